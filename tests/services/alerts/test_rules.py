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
from services.ingest.records import Author, Mention
from services.understanding.enrich import EnrichedMention
from services.updates import Metrics
from tests.services.alerts.figures import metrics_for


def spike(baseline_per_min: int, recent_per_min: int, history_min: int = 60) -> Metrics:
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
    assert again is not None and again.details["baseline_per_min"] == pytest.approx(10, abs=0.05)


def quiet_then(minutes_quiet: int, burst: list[int]) -> Metrics:
    """A watchlist watched for `minutes_quiet` minutes without a mention, then `burst` mentions a minute."""
    return metrics_for([(0, 0, 0)] * minutes_quiet + [(count, 0, 0) for count in burst])


def watched(message: Metrics, minutes: int) -> float:
    return float(message.now_ts) + 1 - 60 * minutes


def test_a_quiet_watchlist_alerts_on_a_real_burst_without_waiting_for_a_baseline() -> None:
    # Forty quiet minutes, then 20 mentions in the last minute: a spike at once (the prior is 1/min).
    message = quiet_then(40, [20])
    condition = evaluate_volume_spike(parse_metrics(message), VolumeSpikeRule(), watched(message, 41))
    assert condition is not None and condition.details["window"] == "1m"
    # Against a prior rather than a measured rate, a spike is at most a warning.
    assert condition.severity == "warning" and condition.details["measured_baseline"] is False
    # The summary quotes the numbers it compares, and what the expected rate rests on: no hidden floor.
    expected = condition.details["expected_per_min"]
    assert expected < 0.1 and "no mentions" in condition.summary and "prior 1.00/min" in condition.summary
    # A ratio against almost nothing is not quoted ("8155.9x the expected 0.00/min" told a reader nothing).
    assert "where under 0.01/min was expected" in condition.summary
    assert "x the expected" not in condition.summary
    # The count and the rate beside it agree: the count is over the span the window really covers.
    span_s = round(60 * condition.details["count"] / condition.details["rate_per_min"])
    assert 50 <= span_s <= 60
    count, rate = condition.details["count"], condition.details["rate_per_min"]
    quoted = f"{span_s} s" if span_s < 60 else "1 min"
    assert f"{count} mentions in the last {quoted} ({rate:.0f}/min)" in condition.summary
    # Too few mentions is no burst.
    few = quiet_then(40, [12])
    assert evaluate_volume_spike(parse_metrics(few), VolumeSpikeRule(), watched(few, 41)) is None


def test_a_new_watchlist_alerts_within_two_minutes_of_a_burst() -> None:
    # Created two minutes ago: one quiet minute, then 25 mentions.
    message = quiet_then(1, [25])
    condition = evaluate_volume_spike(parse_metrics(message), VolumeSpikeRule(), watched(message, 2))
    assert condition is not None and condition.severity == "warning"
    assert "min of history" in condition.summary


def test_a_stream_that_starts_busy_is_not_a_spike() -> None:
    # The stream this engine sees started 20 s before the window: nothing to compare with yet.
    fresh = metrics_for([(300, 0, 0)])
    assert evaluate_volume_spike(parse_metrics(fresh), VolumeSpikeRule(), float(fresh.now_ts) - 80) is None
    # Three minutes of a steady 200/min: the short history says 200/min is usual.
    steady = metrics_for([(200, 0, 0)] * 3)
    assert evaluate_volume_spike(parse_metrics(steady), VolumeSpikeRule(), watched(steady, 3)) is None
    # Twelve minutes of a steady 30/min, then 40/min for five: not a spike either.
    steady = spike(30, 40, history_min=12)
    assert evaluate_volume_spike(parse_metrics(steady), VolumeSpikeRule(), watched(steady, 12)) is None


@pytest.mark.parametrize(
    ("baseline", "recent", "rule", "expected"),
    [
        ((10, 5, 2), (10, 5, 2), {}, None),  # steady, mildly positive
        ((10, 0, 10), (10, 0, 10), {}, None),  # a topic that is always negative is not alarming
        ((10, 2, 2), (10, 1, 5), {}, "warning"),  # 0.0 -> -0.4: a fall of 0.4
        ((10, 6, 1), (10, 1, 5), {}, "critical"),  # +0.5 -> -0.4: a fall of twice 0.3 and more
        ((10, 2, 2), (10, 2, 3), {}, None),  # a fall of 0.1
        ((10, 0, 6), (10, 0, 7), {"net_below": -0.6}, "warning"),  # an absolute level set on the watchlist
        ((10, 5, 2), (4, 1, 2), {"min_count": 100}, None),  # 60 mentions in 15 min, under min_count
    ],
)
def test_sentiment_drop_is_a_fall_against_the_watchlists_own_level(
    baseline: tuple[int, int, int], recent: tuple[int, int, int], rule: dict, expected: str | None
) -> None:
    metrics = metrics_for([baseline] * 45 + [recent] * 15)
    condition = evaluate_sentiment_drop(parse_metrics(metrics), msgspec.convert(rule, SentimentDropRule))
    assert (condition.severity if condition else None) == expected
    if condition:
        count, pos, neg = recent
        assert condition.details["net"] == pytest.approx((pos - neg) / count, abs=0.01)
        base_count, base_pos, base_neg = baseline
        if expected != "warning" or not rule:
            assert f"from its own {(base_pos - base_neg) / base_count:+.2f}" in condition.summary


def test_a_sentiment_fall_that_is_over_is_no_alert() -> None:
    # Ten bad minutes, then five ordinary ones: the 15-minute window still holds the fall, the last 5 not.
    metrics = metrics_for([(10, 5, 2)] * 45 + [(10, 0, 8)] * 10 + [(10, 5, 2)] * 5)
    assert evaluate_sentiment_drop(parse_metrics(metrics), SentimentDropRule()) is None


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
    del message.windows["15m"]
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


def test_a_negative_post_by_a_loud_author_or_the_press_is_an_alert_of_the_watchlist() -> None:
    def rules_of(watchlist: str) -> RuleSet:
        if watchlist == "quiet":
            return msgspec.convert({"negative_influencer": {"enabled": False}}, RuleSet)
        if watchlist == "loud":
            return msgspec.convert(
                {"negative_influencer": {"severity": "warning", "step_up_followers": 1_000_000}}, RuleSet
            )
        return DEFAULT_RULES

    def is_press(author: Author) -> bool:
        return author.bio == "reporter"

    def evaluate(item: EnrichedMention, own: frozenset[str] = frozenset()) -> list[tuple[str, str, str]]:
        found = evaluate_negative_influencer(item, rules_of, is_press, lambda _: own)
        return [(c.watchlist, c.subject, c.severity) for c in found]

    assert evaluate(enriched("neg", 300_000, ["aerolis", "quiet"])) == [("aerolis", "", "info")]
    # However loud, a post alone does not page (stepping up is a watchlist's choice).
    assert evaluate(enriched("neg", 2_000_000, ["aerolis", "loud"])) == [
        ("aerolis", "", "info"),
        ("loud", "", "critical"),
    ]
    assert evaluate(enriched("neg", 30_000, ["aerolis"], bio="reporter")) == [("aerolis", "", "info")]
    assert evaluate(enriched("neg", 3_000, ["aerolis"], bio="reporter")) == [], "a small audience"
    assert evaluate(enriched("neg", 30_000, ["aerolis"])) == []
    assert evaluate(enriched("pos", 2_000_000, ["aerolis"])) == []
    assert evaluate(enriched("neg", 2_000_000, ["aerolis"]), own=frozenset({"loud"})) == [], "its own account"


def test_swarm_and_coordination_conditions_touch_each_watchlist_enough_mentioned() -> None:
    def rules_of(_: str) -> RuleSet:
        return DEFAULT_RULES

    swarms = swarm_conditions(
        "sw_1", ["aerolisdelays", "strike"], "emerging", {"aerolis": 24, "skyvane": 2}, rules_of
    )
    assert [(c.rule, c.watchlist, c.subject, c.severity) for c in swarms] == [
        ("swarm", "aerolis", "sw_1", "info")
    ]
    assert swarm_conditions("sw_1", ["x"], "fading", {"aerolis": 12}, rules_of) == []
    # Generic spam naming every brand makes one swarm touching them all: it is none of theirs.
    spam = {"aerolis": 26, "skyvane": 25, "veltra": 25, "brisaline": 26}  # each over min_mentions (20)
    assert swarm_conditions("sw_2", ["promo", "bonplan", "deal"], "emerging", spam, rules_of) == []
    pair = swarm_conditions("sw_3", ["aerolisvsskyvane"], "growing", {"aerolis": 24, "skyvane": 21}, rules_of)
    assert sorted(c.watchlist for c in pair) == ["aerolis", "skyvane"]  # a two-brand swarm is both's
    clusters = coordination_conditions("cl_9", 14, ["aerolis"], rules_of)
    assert clusters == []  # a plain list counts one mention each, below the default minimum of 3
    clusters = coordination_conditions("cl_9", 14, {"aerolis": 30}, rules_of, example="boycott now")
    assert [(c.watchlist, c.subject, c.severity) for c in clusters] == [("aerolis", "cl_9", "warning")]
