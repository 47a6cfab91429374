from __future__ import annotations

import msgspec
import pytest

from services.alerts.rules import (
    DEFAULT_RULES,
    RuleSet,
    SentimentDropRule,
    VolumeSpikeRule,
    coordination_conditions,
    evaluate_metrics,
    evaluate_negative_influencer,
    evaluate_sentiment_drop,
    evaluate_volume_spike,
    parse_metrics,
    swarm_conditions,
)
from services.enrich import EnrichedMention
from services.records import Author, Mention
from tests.services.alerts.figures import metrics_for


def spike(baseline_per_min: int, recent_per_min: int, history_min: int = 60) -> dict:
    """`history_min` minutes of data: all at the baseline rate but the last five."""
    return metrics_for([(baseline_per_min, 0, 0)] * (history_min - 5) + [(recent_per_min, 0, 0)] * 5)


@pytest.mark.parametrize(
    ("baseline", "recent", "sensitivity", "expected"),
    [
        (10, 10, "medium", None),
        (10, 18, "medium", None),
        (10, 18, "high", "warning"),
        (10, 25, "medium", "warning"),
        (10, 25, "low", None),
        (10, 35, "low", "warning"),
        (10, 45, "medium", "critical"),
        (10, 35, "high", "critical"),
    ],
)
def test_a_spike_is_a_rate_against_the_usual_rate_of_the_hour(
    baseline: int, recent: int, sensitivity: str, expected: str | None
) -> None:
    rule = msgspec.convert({"sensitivity": sensitivity}, VolumeSpikeRule)
    condition = evaluate_volume_spike(parse_metrics(spike(baseline, recent)), rule)
    assert (condition.severity if condition else None) == expected
    if condition:
        assert condition.details["baseline_per_min"] == pytest.approx(baseline, rel=0.05)
        assert condition.details["rate_per_min"] == pytest.approx(recent, rel=0.05)
        assert condition.fingerprint.startswith("al_") and condition.subject == ""


def test_neither_the_spike_nor_an_earlier_one_raises_the_baseline() -> None:
    busy = evaluate_volume_spike(parse_metrics(spike(50, 55)), VolumeSpikeRule())
    assert busy is None
    condition = evaluate_volume_spike(parse_metrics(spike(5, 100)), VolumeSpikeRule())
    assert condition is not None and condition.details["baseline_per_min"] == pytest.approx(5, rel=0.05)
    # A four-minute surge half an hour ago does not make today's second surge look ordinary.
    hour = [(10, 0, 0)] * 25 + [(60, 0, 0)] * 4 + [(10, 0, 0)] * 26 + [(30, 0, 0)] * 5
    again = evaluate_volume_spike(parse_metrics(metrics_for(hour)), VolumeSpikeRule())
    assert again is not None and again.details["baseline_per_min"] == 10


def test_a_fresh_watchlist_is_not_a_spike_while_its_baseline_is_short() -> None:
    # Nine minutes of a steady 30/min: a 4-minute baseline is too short to judge.
    assert evaluate_volume_spike(parse_metrics(spike(30, 30, history_min=9)), VolumeSpikeRule()) is None
    # Twelve minutes: the baseline is the 6 whole minutes with data before the last 5 (the minute that
    # straddles the 5-minute window is left out), not 55 minutes padded with zeros.
    steady = parse_metrics(spike(30, 30, history_min=12))
    assert evaluate_volume_spike(steady, VolumeSpikeRule()) is None
    burst = evaluate_volume_spike(parse_metrics(spike(5, 40, history_min=12)), VolumeSpikeRule())
    assert burst is not None and burst.details["baseline_min"] == 6


def test_a_quiet_brand_needs_the_minimum_volume_and_beats_the_floor() -> None:
    one_old_mention = [(1, 0, 0)] + [(0, 0, 0)] * 39  # the usual rate is 0, floored at 1/min
    few = metrics_for([*one_old_mention, *[(0, 0, 0)] * 15, *[(3, 0, 0)] * 5])
    assert evaluate_volume_spike(parse_metrics(few), VolumeSpikeRule()) is None  # 15 < min_count
    many = metrics_for([*one_old_mention, *[(0, 0, 0)] * 15, *[(6, 0, 0)] * 5])
    condition = evaluate_volume_spike(parse_metrics(many), VolumeSpikeRule())
    assert condition is not None and condition.severity == "critical"  # 6/min against the 1/min floor
    assert condition.details["ratio"] == pytest.approx(6.0)


@pytest.mark.parametrize(
    ("baseline", "recent", "expected"),
    [
        ((10, 5, 2), (10, 5, 2), None),  # steady, mildly positive
        ((10, 5, 2), (4, 1, 2), None),  # a fall, but 60 mentions in 15 min, under min_count (100)
        ((10, 2, 2), (10, 1, 5), "warning"),  # net -0.4 is below -0.3
        ((10, 2, 2), (10, 0, 8), "critical"),  # net -0.8 is below -0.6
        ((10, 6, 1), (10, 2, 1), "warning"),  # +0.5 -> +0.1: a fall of 0.4
        ((10, 8, 0), (10, 2, 2), "critical"),  # +0.8 -> 0.0: a fall of twice 0.4
    ],
)
def test_sentiment_drop_is_a_level_or_a_fall_against_the_baseline(
    baseline: tuple[int, int, int], recent: tuple[int, int, int], expected: str | None
) -> None:
    metrics = metrics_for([baseline] * 45 + [recent] * 15)
    rule = SentimentDropRule(min_count=100)
    condition = evaluate_sentiment_drop(parse_metrics(metrics), rule)
    assert (condition.severity if condition else None) == expected
    if condition:
        count, pos, neg = recent
        assert condition.details["net"] == pytest.approx((pos - neg) / count, abs=0.01)


def test_a_rule_set_has_defaults_refuses_unknown_fields_and_disables_rules() -> None:
    assert msgspec.convert({}, RuleSet) == DEFAULT_RULES
    partial = msgspec.convert({"volume_spike": {"sensitivity": "high"}}, RuleSet)
    assert (
        partial.volume_spike.sensitivity == "high" and partial.sentiment_drop == DEFAULT_RULES.sentiment_drop
    )
    with pytest.raises(msgspec.ValidationError, match="sensitivty"):
        msgspec.convert({"volume_spike": {"sensitivty": "high"}}, RuleSet)
    with pytest.raises(msgspec.ValidationError, match=r"volume_spike.sensitivity"):
        msgspec.convert({"volume_spike": {"sensitivity": "extreme"}}, RuleSet)
    both = parse_metrics(metrics_for([(10, 5, 2)] * 45 + [(60, 0, 50)] * 15))
    assert {c.rule for c in evaluate_metrics(both, DEFAULT_RULES)} == {"volume_spike", "sentiment_drop"}
    off = msgspec.convert({"volume_spike": {"enabled": False}, "sentiment_drop": {"enabled": False}}, RuleSet)
    assert evaluate_metrics(both, off) == []


def test_a_message_that_is_not_metrics_is_refused_naming_the_field() -> None:
    with pytest.raises(msgspec.ValidationError, match=r"`now_ts`"):
        parse_metrics({"type": "metrics", "watchlist": "w", "windows": {}})
    message = metrics_for([(1, 0, 0)])
    del message["windows"]["15m"]
    with pytest.raises(msgspec.ValidationError, match="15m"):
        parse_metrics(message)


def enriched(label: str, followers: int, watchlists: list[str], bio: str | None = None) -> EnrichedMention:
    author = Author(handle="loud", followers=followers, bio=bio)
    return EnrichedMention(
        mention=Mention(id="m1", text="Aerolis lost my bag", author=author),
        watchlists=watchlists,
        score=-0.8 if label == "neg" else 0.5,
        label=label,
    )


def test_a_negative_post_by_a_loud_author_or_the_press_is_an_alert_about_that_author() -> None:
    def rules_of(watchlist: str) -> RuleSet:
        if watchlist == "quiet":
            return msgspec.convert({"negative_influencer": {"enabled": False}}, RuleSet)
        if watchlist == "loud":
            return msgspec.convert({"negative_influencer": {"severity": "warning"}}, RuleSet)
        return DEFAULT_RULES

    def is_press(author: Author) -> bool:
        return author.bio == "reporter"

    def evaluate(item: EnrichedMention, own: frozenset[str] = frozenset()) -> list[tuple[str, str, str]]:
        found = evaluate_negative_influencer(item, rules_of, is_press, lambda _: own)
        return [(c.watchlist, c.subject, c.severity) for c in found]

    assert evaluate(enriched("neg", 300_000, ["aerolis", "quiet"])) == [("aerolis", "@loud", "info")]
    assert evaluate(enriched("neg", 2_000_000, ["aerolis", "loud"])) == [
        ("aerolis", "@loud", "warning"),
        ("loud", "@loud", "critical"),
    ]
    assert evaluate(enriched("neg", 30_000, ["aerolis"], bio="reporter")) == [("aerolis", "@loud", "info")]
    assert evaluate(enriched("neg", 3_000, ["aerolis"], bio="reporter")) == [], "a small audience"
    assert evaluate(enriched("neg", 30_000, ["aerolis"])) == []
    assert evaluate(enriched("pos", 2_000_000, ["aerolis"])) == []
    assert evaluate(enriched("neg", 2_000_000, ["aerolis"]), own=frozenset({"loud"})) == [], "its own account"


def test_swarm_and_coordination_conditions_touch_each_watchlist_enough_mentioned() -> None:
    def rules_of(_: str) -> RuleSet:
        return DEFAULT_RULES

    swarms = swarm_conditions(
        "sw_1", ["aerolisdelays", "strike"], "emerging", {"aerolis": 12, "skyvane": 2}, rules_of
    )
    assert [(c.rule, c.watchlist, c.subject, c.severity) for c in swarms] == [
        ("swarm", "aerolis", "sw_1", "info")
    ]
    assert swarm_conditions("sw_1", ["x"], "fading", {"aerolis": 12}, rules_of) == []
    # Generic spam naming every brand makes one swarm touching them all: it is none of theirs.
    spam = {"aerolis": 6, "skyvane": 5, "veltra": 5, "brisaline": 6}
    assert swarm_conditions("sw_2", ["promo", "bonplan", "deal"], "emerging", spam, rules_of) == []
    pair = swarm_conditions("sw_3", ["aerolisvsskyvane"], "growing", {"aerolis": 9, "skyvane": 7}, rules_of)
    assert sorted(c.watchlist for c in pair) == ["aerolis", "skyvane"]  # a two-brand swarm is both's
    clusters = coordination_conditions("cl_9", 14, ["aerolis"], rules_of)
    assert clusters == []  # a plain list counts one mention each, below the default minimum of 3
    clusters = coordination_conditions("cl_9", 14, {"aerolis": 30}, rules_of, example="boycott now")
    assert [(c.watchlist, c.subject, c.severity) for c in clusters] == [("aerolis", "cl_9", "warning")]
