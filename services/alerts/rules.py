"""Alert rules: per-watchlist configuration (with defaults for a new watchlist) and pure evaluation.

Each `evaluate_*` function takes what a stage knows (a `metrics` message, an enriched mention, a swarm, a
coordinated cluster) and returns the `Condition`s that hold now; the lifecycle (services/alerts/lifecycle.py)
turns conditions observed over time into alert events.

- Volume spike: the rate of the last 5 minutes against the baseline: the median of the per-minute counts
  of the hour before those 5 minutes (the 60-minute series), from the first minute holding data. A median
  is not raised by the spike itself nor by an earlier spike within the hour, and a watchlist seen for 12
  minutes has a 7-minute baseline, not a 55-minute one padded with zeros. The baseline needs
  `min_baseline_min` minutes, else nothing fires (a fresh start is not a spike); its rate is floored at
  `min_baseline_per_min`, so a brand that is usually silent needs a real burst; the recent window needs
  `min_count` mentions. Sensitivity maps to the ratios that make a warning and a critical alert (measured on
  the demo: its 2-4 minute surges reach 2-3x over 5 minutes).
- Sentiment drop: net sentiment ((pos - neg) / count) over 15 minutes below a level, or fallen by `fall_by`
  against the rest of the hour (when that baseline has `min_baseline_count` mentions); needs `min_count`.
- Negative influencer: a negative mention by an author with many followers, or by a journalist or outlet
  with some audience; not by the watchlist's own accounts.
- Swarm / coordination: an emerging (or growing) hashtag swarm, or a coordinated campaign, touching the
  watchlist.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Annotated, Any, Literal

import msgspec

from services.alerts.events import SEVERITY_RANK, RuleKind, Severity, fingerprint
from services.enrich import EnrichedMention
from services.records import Author

Sensitivity = Literal["low", "medium", "high"]
Ratio = Annotated[float, msgspec.Meta(gt=1)]
Net = Annotated[float, msgspec.Meta(ge=-1, le=1)]
Positive = Annotated[float, msgspec.Meta(gt=0)]
Count = Annotated[int, msgspec.Meta(ge=0)]
Seconds = Annotated[float, msgspec.Meta(ge=0, le=86_400)]

#: Rate ratio (recent / baseline) for a warning and for a critical alert, by sensitivity.
SPIKE_RATIOS: dict[str, tuple[float, float]] = {"low": (3.0, 6.0), "medium": (2.0, 4.0), "high": (1.5, 3.0)}
SHORT_WINDOW, SENTIMENT_WINDOW, LONG_WINDOW = "5m", "15m", "60m"
WINDOW_MIN = {"1m": 1, "5m": 5, "15m": 15, "60m": 60}
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")


class _Rule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    enabled: bool = True
    #: The condition must hold this long before the alert fires (Prometheus' `for`).
    for_s: Seconds = 0.0


class VolumeSpikeRule(_Rule):
    sensitivity: Sensitivity = "medium"
    #: Mentions needed in the last 5 minutes.
    min_count: Count = 20
    #: The baseline rate is at least this (a brand that is usually silent needs a real burst).
    min_baseline_per_min: Positive = 1.0
    #: Minutes of data the baseline needs before the rule can fire.
    min_baseline_min: Annotated[int, msgspec.Meta(ge=1, le=55)] = 5


class SentimentDropRule(_Rule):
    #: Mentions needed in the last 15 minutes.
    min_count: Count = 20
    #: Net sentiment at or below this is a warning; at or below `critical_below` critical.
    net_below: Net = -0.3
    critical_below: Net = -0.6
    #: A fall of net sentiment by this much against the baseline is a warning, by twice as much critical.
    fall_by: Annotated[float, msgspec.Meta(gt=0, le=2)] = 0.4
    #: Mentions the baseline (the rest of the hour) needs for the fall to count.
    min_baseline_count: Count = 20


class NegativeInfluencerRule(_Rule):
    """A negative mention by an author with `min_followers`, or by a journalist or outlet with
    `press_min_followers`. Such posts are frequent in a busy room (in the demo's 30 first minutes, 77 author
    and watchlist pairs at these defaults), so the alert is `info` by default: listed and on the wall, not
    paging; from `step_up_followers` it is one severity higher."""

    min_followers: Count = 250_000
    journalists: bool = True
    press_min_followers: Count = 25_000
    severity: Severity = "info"
    step_up_followers: Count = 1_000_000


class SwarmRule(_Rule):
    states: list[Literal["emerging", "growing", "peaking", "fading"]] = msgspec.field(
        default_factory=lambda: ["emerging", "growing"]
    )
    #: Mentions of the watchlist inside the swarm (its window) needed.
    min_mentions: Count = 5
    #: The share of the swarm's watchlist mentions that must be this watchlist's: a swarm spread over many
    #: brands (generic deal spam naming each: #promo #bonplan #deal) is none of theirs. 0 alerts on any.
    min_share: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.34
    severity: Severity = "info"


class CoordinationRule(_Rule):
    #: Mentions of the watchlist inside the coordinated cluster needed.
    min_mentions: Count = 3
    severity: Severity = "warning"


class RuleSet(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The rules of one watchlist; every part has defaults, so `{}` is the default set."""

    volume_spike: VolumeSpikeRule = msgspec.field(default_factory=VolumeSpikeRule)
    sentiment_drop: SentimentDropRule = msgspec.field(default_factory=SentimentDropRule)
    negative_influencer: NegativeInfluencerRule = msgspec.field(default_factory=NegativeInfluencerRule)
    swarm: SwarmRule = msgspec.field(default_factory=SwarmRule)
    coordination: CoordinationRule = msgspec.field(default_factory=CoordinationRule)


DEFAULT_RULES = RuleSet()
#: The rules evaluated on a metrics message: absent from its result means clear.
METRIC_RULES: frozenset[str] = frozenset({"volume_spike", "sentiment_drop"})


class Condition(msgspec.Struct, kw_only=True):
    """A rule that holds now for a watchlist and subject; `details` are the figures behind it."""

    rule: RuleKind
    watchlist: str
    subject: str = ""
    severity: Severity
    summary: str
    details: dict[str, Any] = msgspec.field(default_factory=dict)
    for_s: float = 0.0

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rule, self.watchlist, self.subject)


# -- metrics ---------------------------------------------------------------------------------------------


class WindowFigures(msgspec.Struct):
    count: int
    pos: int = 0
    neg: int = 0


class SeriesFigures(msgspec.Struct):
    start_ts: float
    step_s: int
    count: list[int]


class Metrics(msgspec.Struct):
    """The part of a `metrics` message (services/aggregate.py) the rules read."""

    watchlist: str
    now_ts: float
    windows: dict[str, WindowFigures]
    series: SeriesFigures


def parse_metrics(message: Mapping[str, Any]) -> Metrics:
    """Raise `msgspec.ValidationError` naming the field when the message is not a metrics message."""
    metrics = msgspec.convert(message, Metrics)
    for name in (SHORT_WINDOW, SENTIMENT_WINDOW, LONG_WINDOW):
        if name not in metrics.windows:
            raise msgspec.ValidationError(f"Object missing required field `{name}` - at `$.windows`")
    return metrics


def baseline_minutes(metrics: Metrics, before_ts: float) -> list[int]:
    """Per-minute counts of the series' complete minutes ending by `before_ts`, from the first with data."""
    series = metrics.series
    first = next((i for i, count in enumerate(series.count) if count), None)
    if first is None:
        return []
    return [
        count
        for i, count in enumerate(series.count)
        if i >= first and series.start_ts + (i + 1) * series.step_s <= before_ts
    ]


def _signed(value: float) -> str:
    return f"{value:+.2f}"


def evaluate_volume_spike(metrics: Metrics, rule: VolumeSpikeRule) -> Condition | None:
    if not rule.enabled:
        return None
    short = metrics.windows[SHORT_WINDOW]
    short_min = WINDOW_MIN[SHORT_WINDOW]
    if short.count < rule.min_count:
        return None
    minutes = baseline_minutes(metrics, metrics.now_ts - short_min * 60)
    if len(minutes) < rule.min_baseline_min:
        return None
    baseline_min = len(minutes)
    baseline_per_min = float(statistics.median(minutes))
    rate_per_min = short.count / short_min
    ratio = rate_per_min / max(baseline_per_min, rule.min_baseline_per_min)
    warning, critical = SPIKE_RATIOS[rule.sensitivity]
    if ratio < warning:
        return None
    severity: Severity = "critical" if ratio >= critical else "warning"
    return Condition(
        rule="volume_spike",
        watchlist=metrics.watchlist,
        severity=severity,
        summary=(
            f"{metrics.watchlist}: mentions at {rate_per_min:.1f}/min over {short_min} min, "
            f"{ratio:.1f}x the usual {baseline_per_min:.1f}/min"
        ),
        details={
            "rate_per_min": round(rate_per_min, 3),
            "baseline_per_min": round(baseline_per_min, 3),
            "ratio": round(ratio, 2),
            "count": short.count,
            "window": SHORT_WINDOW,
            "baseline_min": round(baseline_min, 1),
            "sensitivity": rule.sensitivity,
        },
        for_s=rule.for_s,
    )


def evaluate_sentiment_drop(metrics: Metrics, rule: SentimentDropRule) -> Condition | None:
    if not rule.enabled:
        return None
    recent, long = metrics.windows[SENTIMENT_WINDOW], metrics.windows[LONG_WINDOW]
    if recent.count < rule.min_count or recent.count == 0:
        return None
    net = (recent.pos - recent.neg) / recent.count
    baseline_count = long.count - recent.count
    baseline_net = (
        ((long.pos - recent.pos) - (long.neg - recent.neg)) / baseline_count
        if baseline_count >= max(1, rule.min_baseline_count)
        else None
    )
    fall = baseline_net - net if baseline_net is not None else 0.0
    if net <= rule.critical_below or fall >= 2 * rule.fall_by:
        severity: Severity = "critical"
    elif net <= rule.net_below or fall >= rule.fall_by:
        severity = "warning"
    else:
        return None
    against = f" (usually {_signed(baseline_net)})" if baseline_net is not None else ""
    return Condition(
        rule="sentiment_drop",
        watchlist=metrics.watchlist,
        severity=severity,
        summary=(
            f"{metrics.watchlist}: net sentiment {_signed(net)} over 15 min{against}, {recent.count} mentions"
        ),
        details={
            "net": round(net, 4),
            "baseline_net": round(baseline_net, 4) if baseline_net is not None else None,
            "fall": round(fall, 4),
            "count": recent.count,
            "neg": recent.neg,
            "window": SENTIMENT_WINDOW,
        },
        for_s=rule.for_s,
    )


def evaluate_metrics(metrics: Metrics, rules: RuleSet) -> list[Condition]:
    """The metric rules (`METRIC_RULES`) that hold for this watchlist now."""
    found = (
        evaluate_volume_spike(metrics, rules.volume_spike),
        evaluate_sentiment_drop(metrics, rules.sentiment_drop),
    )
    return [condition for condition in found if condition is not None]


# -- mentions --------------------------------------------------------------------------------------------

IsPress = Callable[[Author], bool]


def evaluate_negative_influencer(
    item: EnrichedMention,
    rules_of: Callable[[str], RuleSet],
    is_press: IsPress,
    own_handles: Callable[[str], Collection[str]] = lambda watchlist: (),
) -> list[Condition]:
    """One condition per watchlist of a negative mention whose author is loud or press; subject = author.
    The watchlist's own accounts (`own_handles`, lower case) answering a crisis are not an alert about it."""
    if item.label != "neg":
        return []
    mention, author = item.mention, item.mention.author
    handle = author.handle.lstrip("@").lower()
    known: list[bool] = []

    def author_is_press() -> bool:
        if not known:
            known.append(is_press(author))
        return known[0]

    found = []
    for watchlist in item.watchlists:
        rule = rules_of(watchlist).negative_influencer
        if not rule.enabled or handle in own_handles(watchlist):
            continue
        loud = author.followers >= rule.min_followers
        press = rule.journalists and author.followers >= rule.press_min_followers and author_is_press()
        if not loud and not press:
            continue
        severity = step_up(rule.severity) if author.followers >= rule.step_up_followers else rule.severity
        who = "journalist/outlet" if press else f"{author.followers:,} followers"
        found.append(
            Condition(
                rule="negative_influencer",
                watchlist=watchlist,
                subject=f"@{author.handle}",
                severity=severity,
                summary=f"{watchlist}: negative post by @{author.handle} ({who}): {mention.text[:140]}",
                details={
                    "mention_id": mention.id,
                    "text": mention.text[:500],
                    "url": mention.url,
                    "followers": author.followers,
                    "press": bool(press),
                    "score": round(item.score, 3),
                },
                for_s=rule.for_s,
            )
        )
    return found


# -- swarms and coordination -----------------------------------------------------------------------------


def _touching(watchlists: Mapping[str, int] | Iterable[str]) -> dict[str, int]:
    if isinstance(watchlists, Mapping):
        return {str(key): int(value) for key, value in watchlists.items()}
    return {str(key): 1 for key in watchlists}


def swarm_conditions(
    swarm_id: str,
    tags: list[str],
    state: str,
    watchlists: Mapping[str, int] | Iterable[str],
    rules_of: Callable[[str], RuleSet],
    authors: int = 0,
) -> list[Condition]:
    """A swarm touching watchlists (mentions of each in it; a plain list counts 1 each); subject = swarm.
    A watchlist needs `min_mentions` in it, and `min_share` of the swarm's watchlist mentions."""
    found = []
    touching = _touching(watchlists)
    total = sum(touching.values()) or 1
    for watchlist, mentions in touching.items():
        rule = rules_of(watchlist).swarm
        if not rule.enabled or state not in rule.states or mentions < rule.min_mentions:
            continue
        if mentions / total < rule.min_share:
            continue
        shown = " ".join(f"#{tag}" for tag in tags[:5])
        found.append(
            Condition(
                rule="swarm",
                watchlist=watchlist,
                subject=swarm_id,
                severity=rule.severity,
                summary=f"{watchlist}: {state} hashtag swarm {shown} ({mentions} mentions, {authors} people)",
                details={"swarm": swarm_id, "tags": tags[:20], "state": state, "mentions": mentions},
                for_s=rule.for_s,
            )
        )
    return found


def coordination_conditions(
    cluster_id: str,
    accounts: int,
    watchlists: Mapping[str, int] | Iterable[str],
    rules_of: Callable[[str], RuleSet],
    example: str = "",
) -> list[Condition]:
    """A coordinated campaign touching watchlists; subject = the cluster."""
    found = []
    for watchlist, mentions in _touching(watchlists).items():
        rule = rules_of(watchlist).coordination
        if not rule.enabled or mentions < rule.min_mentions:
            continue
        found.append(
            Condition(
                rule="coordination",
                watchlist=watchlist,
                subject=cluster_id,
                severity=rule.severity,
                summary=f"{watchlist}: coordinated campaign, {accounts} accounts posting near-copies",
                details={
                    "cluster": cluster_id,
                    "accounts": accounts,
                    "mentions": mentions,
                    "example": example,
                },
                for_s=rule.for_s,
            )
        )
    return found


def step_up(severity: Severity) -> Severity:
    """One severity higher (critical stays critical)."""
    return SEVERITIES[min(SEVERITY_RANK[severity] + 1, len(SEVERITIES) - 1)]
