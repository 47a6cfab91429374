"""Swarms and coordinated campaigns touching a watchlist become alerts: one per swarm or cluster, not one
per message, resolved once they stop being seen."""

from __future__ import annotations

from services.alerts.engine import AlertEngine
from services.alerts.lifecycle import AlertBook
from tests.services.alerts.figures import NOW, coordination, swarms

RESOLVE_AFTER_S = 600.0


def engine() -> AlertEngine:
    return AlertEngine(AlertBook(RESOLVE_AFTER_S), is_press=lambda _: False)


def test_an_emerging_swarm_alerts_the_watchlists_it_touches_enough_once() -> None:
    alerts = engine()
    [event] = alerts.on_insights(swarms(), NOW)
    assert (event.rule, event.watchlist, event.subject, event.status) == (
        "swarm",
        "aerolis",
        "sw_1",
        "firing",
    )
    assert "#aerolisgate" in event.summary
    for step in range(1, 20):  # a message every 5 s for the next minutes: still one alert
        assert alerts.on_insights(swarms(state="growing"), NOW + 5 * step) == []


def test_a_fading_or_thin_swarm_does_not_alert() -> None:
    assert engine().on_insights(swarms(state="fading"), NOW) == []
    assert engine().on_insights(swarms(mentions=2), NOW) == []
    cheerful = swarms()
    cheerful.items[0].sentiment = 0.6  # a promotion, not a crisis
    assert engine().on_insights(cheerful, NOW) == []


def test_a_coordinated_campaign_alerts_once_and_resolves_after_it_stops_being_seen() -> None:
    alerts = engine()
    [fired] = alerts.on_insights(coordination(), NOW)
    assert (fired.rule, fired.subject, fired.severity) == ("coordination", "co_1", "warning")
    assert alerts.on_insights(coordination(accounts=14), NOW + 60) == []
    [resolved] = alerts.tick(NOW + 60 + RESOLVE_AFTER_S + 1)
    assert (resolved.alert_id, resolved.status) == (fired.alert_id, "resolved")


def test_a_coordinated_promotion_is_info_and_a_finished_campaign_no_alert() -> None:
    alerts = AlertEngine(
        AlertBook(RESOLVE_AFTER_S), is_press=lambda _: False, is_negative=lambda t: "Boycott" in t
    )
    spam = coordination()
    spam.clusters[0].example = "Win a voucher! Follow + RT"
    [fired] = alerts.on_insights(spam, NOW)
    assert (fired.severity, fired.details["negative"]) == ("info", False)
    assert "not negative" in fired.summary and "Win a voucher" in fired.summary
    over = coordination()
    over.now_ts, over.clusters[0].last_seen_ts = NOW, NOW - 3000
    over.clusters[0].id = "co_2"
    assert alerts.on_insights(over, NOW) == []


def test_negative_posts_are_one_alert_per_watchlist_listing_the_most_reached() -> None:
    from datetime import UTC, datetime

    from services.ingest.records import Author, Mention
    from services.understanding.enrich import EnrichedMention

    def post(handle: str, followers: int, at_s: float) -> EnrichedMention:
        mention = Mention(
            id=f"m-{handle}",
            text=f"{handle} says aerolis is awful",
            author=Author(handle=handle, followers=followers),
            created_at=datetime.fromtimestamp(NOW - 86_400 + at_s, UTC),  # a replay of yesterday
            url=f"https://social.example/{handle}",
        )
        return EnrichedMention(mention=mention, watchlists=["aerolis"], score=-0.8, label="neg")

    alerts = engine()
    [fired] = alerts.on_mentions([post("big", 400_000, 0)], NOW)
    assert (fired.rule, fired.subject, fired.severity) == ("negative_influencer", "", "info")
    assert alerts.on_mentions([post("bigger", 900_000, 60), post("small", 10, 61)], NOW + 60) == []
    listed = alerts.negative_posts.top("aerolis")
    assert [p["handle"] for p in listed] == ["bigger", "big"]
    assert fired.details["why"]["negative_posts"][0]["url"] == "https://social.example/big"
