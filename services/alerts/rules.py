"""Alert rules: per-watchlist configuration (with defaults for a new watchlist) and pure evaluation.

Each `evaluate_*` function takes what a stage knows (a `metrics` message, an enriched mention, a swarm, a
coordinated cluster) and returns the `Condition`s that hold now; the lifecycle (services/alerts/lifecycle.py)
turns conditions observed over time into alert events, and incidents (services/alerts/incidents.py) group
the alerts of one watchlist and page once. Every summary quotes the figures it compares.

Severity policy (the same for every watchlist kind, brand, competitor or topic: each is measured against
its own history, so a topic that is always negative or always busy is not alarming for being so):

- Volume spike: the rate of the last minute and of the last 5 minutes against the watchlist's expected
  rate. Expected = the median of the complete minutes of its history in the hour before the window
  (robust to the spike itself and to an earlier one), or, while that history is shorter than
  `min_baseline_min` minutes, its mean rate over what history there is. Either is blended with a prior,
  `min_baseline_per_min` (1/min) weighted as `PRIOR_WEIGHT_MIN` minutes: a quiet or new watchlist is
  expected to be about that quiet, so a real burst (`min_count` mentions, 20 by default, in the window) is a
  spike within a minute of the data showing it, without waiting for a baseline. History counts from when
  the watchlist was watched (`watched_since_ts`: its creation, or the start of the stream the engine
  sees, whichever is later): minutes without mentions since then are zeros, before then unknown. The rule
  needs `MIN_HISTORY_S` of history before the window, and the count must stand `MIN_Z` Poisson standard
  deviations above the expectation (the last minute of a small watchlist is noisy).
  warning at `SPIKE_RATIOS[sensitivity][0]` times the expected rate, critical at `[1]` times, but only
  against a measured baseline (`min_baseline_min` minutes of history with mentions): a spike against a
  prior or a short history is at most a warning.
- Sentiment drop: net sentiment ((pos - neg) / count) of the last 15 minutes against the watchlist's own
  level over the rest of the hour (which needs `min_baseline_count` mentions and 5 minutes of watched
  time, `MIN_SENTIMENT_HISTORY_S`; no baseline, no alert). A fall by `fall_by` is a warning, by twice
  that critical, if it also stands 3 standard errors clear of noise and still holds over the last 5
  minutes (no echo of a surge that ended minutes ago). The absolute levels `net_below` and
  `critical_below` are off by default; set on a watchlist, they make a level at or below them a warning or
  critical whatever the baseline.
- Negative posts by high-reach authors or the press: one alert per watchlist listing the most-reached
  negative posts of the last 15 minutes (`NEGATIVE_POSTS_WINDOW_S`), info by default: it explains an
  incident and never pages alone (a loud account complaining is daily life). `step_up_followers` (off by
  default) raises it one severity for an author that large.
- Swarm: an emerging or growing hashtag swarm touching the watchlist with `min_mentions` (20) of its
  mentions and a mean sentiment at or below `max_sentiment` (promotions are not a crisis): info.
- Coordinated campaign: a cluster of near-copies touching the watchlist with `min_mentions`: warning when
  its text is negative, info otherwise (coordinated promotion spam is a nuisance, not a crisis).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Annotated, Any, Literal

import msgspec

from services.aggregation.windows import BUCKET_S, bucket_of
from services.alerts.events import SEVERITY_RANK, RuleKind, Severity, fingerprint
from services.ingest.records import Author
from services.understanding.enrich import EnrichedMention

Sensitivity = Literal["low", "medium", "high"]
Ratio = Annotated[float, msgspec.Meta(gt=1)]
Net = Annotated[float, msgspec.Meta(ge=-1, le=1)]
Positive = Annotated[float, msgspec.Meta(gt=0)]
Count = Annotated[int, msgspec.Meta(ge=0)]
Seconds = Annotated[float, msgspec.Meta(ge=0, le=86_400)]

#: Rate ratio (recent / expected) for a warning and for a critical alert, by sensitivity.
SPIKE_RATIOS: dict[str, tuple[float, float]] = {"low": (3.0, 6.0), "medium": (2.0, 4.0), "high": (1.5, 3.0)}
SHORT_WINDOW, SENTIMENT_WINDOW, LONG_WINDOW = "5m", "15m", "60m"
#: The windows a spike is looked for in (the last minute sees a surge first, the last five sustain it).
SPIKE_WINDOWS = ("1m", "5m")
WINDOW_MIN = {"1m": 1, "5m": 5, "15m": 15, "60m": 60}
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")
#: Weight of the prior rate, in minutes of history: a guess that a few seconds of data overrule.
PRIOR_WEIGHT_MIN = 0.1
#: History needed before a spike window to judge it at all (at a stream's start every rate is "new").
MIN_HISTORY_S = 30.0
#: Poisson standard deviations a spike's count must stand above its expectation.
MIN_Z = 4.0
#: Standard errors a sentiment fall must stand clear of.
MIN_FALL_SE = 3.0
#: Watched time before the 15-minute window the sentiment baseline needs.
MIN_SENTIMENT_HISTORY_S = 300.0
#: How far back the negative posts of a watchlist are listed.
NEGATIVE_POSTS_WINDOW_S = 900.0


class _Rule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    enabled: bool = True
    #: The condition must hold this long before the alert fires (Prometheus' `for`).
    for_s: Seconds = 0.0


class VolumeSpikeRule(_Rule):
    sensitivity: Sensitivity = "medium"
    #: Mentions needed in the window that spikes (1 or 5 minutes).
    min_count: Count = 20
    #: The prior: the rate a watchlist with little or no history is expected to have (per minute).
    min_baseline_per_min: Positive = 1.0
    #: Minutes of history from which the expected rate is their median (and a critical alert possible).
    min_baseline_min: Annotated[int, msgspec.Meta(ge=1, le=55)] = 5


class SentimentDropRule(_Rule):
    #: Mentions needed in the last 15 minutes.
    min_count: Count = 20
    #: Optional absolute levels: net sentiment at or below `net_below` is a warning, at or below
    #: `critical_below` critical, whatever the watchlist's own level (off by default).
    net_below: Net | None = None
    critical_below: Net | None = None
    #: A fall of net sentiment by this much against the watchlist's own level is a warning, by twice as much
    #: critical.
    fall_by: Annotated[float, msgspec.Meta(gt=0, le=2)] = 0.3
    #: Mentions the baseline (the rest of the hour) needs for the fall to count.
    min_baseline_count: Count = 30


class NegativeInfluencerRule(_Rule):
    """Negative mentions by authors with `min_followers`, or by journalists or outlets with
    `press_min_followers`: one alert per watchlist listing them. Such posts are frequent in a busy room (in
    the demo's 30 first minutes, 77 author and watchlist pairs at these defaults), so the alert is `info`:
    listed, and the "why" of an incident, not paging; from `step_up_followers` (off by default) it is one
    severity higher."""

    min_followers: Count = 250_000
    journalists: bool = True
    press_min_followers: Count = 25_000
    severity: Severity = "info"
    step_up_followers: Count | None = None


class SwarmRule(_Rule):
    states: list[Literal["emerging", "growing", "peaking", "fading"]] = msgspec.field(
        default_factory=lambda: ["emerging", "growing"]
    )
    #: Mentions of the watchlist inside the swarm (its window) needed.
    min_mentions: Count = 20
    #: The share of the swarm's watchlist mentions that must be this watchlist's: a swarm spread over many
    #: brands (generic deal spam naming each: #promo #bonplan #deal) is none of theirs. 0 alerts on any.
    min_share: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.34
    #: Mean sentiment score of the swarm at or below which it alerts (a promotion swarm is not a crisis).
    max_sentiment: Net = 0.0
    severity: Severity = "info"


class CoordinationRule(_Rule):
    #: Mentions of the watchlist inside the coordinated cluster needed.
    min_mentions: Count = 3
    #: The severity of a negative campaign; a campaign whose text is not negative (promotion spam) is info.
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
    coordinated: int = 0


class SeriesFigures(msgspec.Struct):
    start_ts: float
    step_s: int
    count: list[int]


class Metrics(msgspec.Struct):
    """The part of a `metrics` message (services/aggregation/aggregate.py) the rules read."""

    watchlist: str
    now_ts: float
    windows: dict[str, WindowFigures]
    series: SeriesFigures
    #: The start of the oldest 10-second bucket holding mentions (None: none, or an older aggregate).
    since_ts: float | None = None


def parse_metrics(message: object) -> Metrics:
    """The figures of a `metrics` message (services/updates.py `Metrics`, or the same as a mapping); raise
    `msgspec.ValidationError` naming the field when the message is not a metrics message."""
    metrics = msgspec.convert(message, Metrics, from_attributes=True)
    for name in (SHORT_WINDOW, SENTIMENT_WINDOW, LONG_WINDOW):
        if name not in metrics.windows:
            raise msgspec.ValidationError(f"Object missing required field `{name}` - at `$.windows`")
    return metrics


def baseline_minutes(metrics: Metrics, before_ts: float, after_ts: float | None = None) -> list[int]:
    """Per-minute counts of the series' complete minutes ending by `before_ts`: from `after_ts` (when the
    watchlist was watched since; minutes without mentions are zeros) or else from the first with data."""
    series = metrics.series
    if after_ts is None:
        first = next((i for i, count in enumerate(series.count) if count), None)
        if first is None:
            return []
        after_ts = series.start_ts + first * series.step_s
    return [
        count
        for i, count in enumerate(series.count)
        if series.start_ts + i * series.step_s >= after_ts
        and series.start_ts + (i + 1) * series.step_s <= before_ts
    ]


def _signed(value: float) -> str:
    return f"{value:+.2f}"


def _rate(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def _span(minutes: float) -> str:
    """How long a window has really run: "50 s", "4 min 50 s", "5 min" (windows start on a 10 s bucket)."""
    whole_min, seconds = divmod(round(minutes * 60), 60)
    if not whole_min:
        return f"{seconds} s"
    return f"{whole_min} min {seconds} s" if seconds else f"{whole_min} min"


#: Under this expected rate a ratio means nothing to a reader ("8155.9x the expected 0.00/min").
NEGLIGIBLE_PER_MIN = 0.01


def _against(ratio: float, expected_per_min: float) -> str:
    if expected_per_min < NEGLIGIBLE_PER_MIN:
        return f"where under {NEGLIGIBLE_PER_MIN}/min was expected"
    return f"{ratio:.1f}x the expected {_rate(expected_per_min)}/min"


def window_start(now_ts: float, window: str) -> float:
    """Where a window of the metrics message really begins: its first 10-second bucket.

    The buckets are services/aggregation/windows.py's.
    """
    return bucket_of(now_ts - WINDOW_MIN[window] * 60) + BUCKET_S


class Expected(msgspec.Struct):
    """The rate a window is compared with, and what it rests on (quoted in the summary)."""

    per_min: float
    history_min: float
    measured: bool
    basis: str


def expected_rate(
    metrics: Metrics, window: str, rule: VolumeSpikeRule, watched_since_ts: float | None
) -> Expected | None:
    """The expected rate before `window` (see the module docstring); None while the history is too short."""
    begin = window_start(metrics.now_ts, window)
    since = watched_since_ts
    if since is None and metrics.since_ts is not None:
        since = metrics.since_ts + BUCKET_S  # the oldest bucket may hold only its last seconds
    if since is None:
        return None
    hour_begin = window_start(metrics.now_ts, LONG_WINDOW)
    since = max(since, hour_begin)
    history_s = begin - since
    if history_s < MIN_HISTORY_S:
        return None
    prior, weight = rule.min_baseline_per_min, PRIOR_WEIGHT_MIN
    minutes = baseline_minutes(metrics, begin, since)
    if len(minutes) >= rule.min_baseline_min:
        median = float(statistics.median(minutes))
        per_min = (median * len(minutes) + prior * weight) / (len(minutes) + weight)
        basis = (
            f"median of the last {len(minutes)} min {_rate(median)}/min"
            if median
            else (f"no mentions in most of the last {len(minutes)} min; prior {_rate(prior)}/min")
        )
        return Expected(per_min, len(minutes), measured=median > 0, basis=basis)
    windows = metrics.windows
    before = max(0, windows[LONG_WINDOW].count - windows[window].count)
    history_min = history_s / 60
    per_min = (before + prior * weight) / (history_min + weight)
    basis = f"{before} mentions in {history_min:.1f} min of history; prior {_rate(prior)}/min"
    return Expected(per_min, history_min, measured=False, basis=basis)


def evaluate_volume_spike(
    metrics: Metrics, rule: VolumeSpikeRule, watched_since_ts: float | None = None
) -> Condition | None:
    """The strongest spike of the 1- and 5-minute windows (see the module docstring)."""
    if not rule.enabled:
        return None
    warning, critical = SPIKE_RATIOS[rule.sensitivity]
    found: Condition | None = None
    for window in SPIKE_WINDOWS:
        count = metrics.windows[window].count
        if count < rule.min_count:
            continue
        expected = expected_rate(metrics, window, rule, watched_since_ts)
        if expected is None:
            continue
        span_min = (metrics.now_ts - window_start(metrics.now_ts, window)) / 60
        if span_min <= 0:
            continue
        rate_per_min = count / span_min
        ratio = rate_per_min / expected.per_min
        mean = expected.per_min * span_min
        z = (count - mean) / math.sqrt(max(mean, 1.0))
        if ratio < warning or z < MIN_Z:
            continue
        severity: Severity = "critical" if ratio >= critical and expected.measured else "warning"
        if found is not None and (SEVERITY_RANK[severity], ratio) <= (
            SEVERITY_RANK[found.severity],
            found.details["ratio"],
        ):
            continue
        found = Condition(
            rule="volume_spike",
            watchlist=metrics.watchlist,
            severity=severity,
            summary=(
                f"{metrics.watchlist}: {count} mentions in the last {_span(span_min)} "
                f"({_rate(rate_per_min)}/min), {_against(ratio, expected.per_min)} ({expected.basis})"
            ),
            details={
                "count": count,
                "window": window,
                "rate_per_min": round(rate_per_min, 3),
                "expected_per_min": round(expected.per_min, 3),
                "baseline_per_min": round(expected.per_min, 3),
                "ratio": round(ratio, 2),
                "z": round(z, 1),
                "baseline_min": round(expected.history_min, 1),
                "measured_baseline": expected.measured,
                "basis": expected.basis,
                "sensitivity": rule.sensitivity,
            },
            for_s=rule.for_s,
        )
    return found


def evaluate_sentiment_drop(
    metrics: Metrics, rule: SentimentDropRule, watched_since_ts: float | None = None
) -> Condition | None:
    """A fall of net sentiment against the watchlist's own level (see the module docstring)."""
    if not rule.enabled:
        return None
    recent, long = metrics.windows[SENTIMENT_WINDOW], metrics.windows[LONG_WINDOW]
    if recent.count < max(1, rule.min_count):
        return None
    net = (recent.pos - recent.neg) / recent.count
    baseline_count = long.count - recent.count
    baseline_net: float | None = None
    fall, fall_se = 0.0, math.inf
    # The rest of the hour is a level only once it is not a sliver before the window (a stream's first
    # seconds are no baseline): it needs `MIN_SENTIMENT_HISTORY_S` of watched time.
    history_s = (
        window_start(metrics.now_ts, SENTIMENT_WINDOW) - watched_since_ts
        if watched_since_ts is not None
        else None
    )
    enough_history = history_s is None or history_s >= MIN_SENTIMENT_HISTORY_S
    if enough_history and baseline_count >= max(1, rule.min_baseline_count):
        base_pos, base_neg = long.pos - recent.pos, long.neg - recent.neg
        baseline_net = (base_pos - base_neg) / baseline_count
        fall = baseline_net - net
        # A mention scores +1, 0 or -1: the variance of its score is the polar share minus net squared.
        variance_recent = max(0.0, (recent.pos + recent.neg) / recent.count - net**2)
        variance_base = max(0.0, (base_pos + base_neg) / baseline_count - baseline_net**2)
        fall_se = math.sqrt(variance_recent / recent.count + variance_base / baseline_count)
    significant = fall >= MIN_FALL_SE * fall_se
    # The fall must still hold over the last 5 minutes: a 15-minute window keeps a finished surge's
    # negativity for 15 minutes, and an alert about it then would be an echo.
    latest = metrics.windows[SHORT_WINDOW]
    if baseline_net is not None and latest.count >= max(1, rule.min_count):
        latest_net = (latest.pos - latest.neg) / latest.count
        significant = significant and baseline_net - latest_net >= rule.fall_by
    else:
        significant = False
    severity: Severity | None = None
    if significant and fall >= 2 * rule.fall_by:
        severity = "critical"
    elif significant and fall >= rule.fall_by:
        severity = "warning"
    if rule.critical_below is not None and net <= rule.critical_below:
        severity = "critical"
    elif rule.net_below is not None and net <= rule.net_below and severity is None:
        severity = "warning"
    if severity is None:
        return None
    if baseline_net is not None:
        against = f", down {fall:.2f} from its own {_signed(baseline_net)} over the rest of the hour"
    else:
        against = ""
    level = (
        rule.critical_below if severity == "critical" and rule.critical_below is not None else rule.net_below
    )
    below = f" (at or below the set level {_signed(level)})" if level is not None and net <= level else ""
    return Condition(
        rule="sentiment_drop",
        watchlist=metrics.watchlist,
        severity=severity,
        summary=(
            f"{metrics.watchlist}: net sentiment {_signed(net)} over 15 min on {recent.count} mentions"
            f"{against}{below}"
        ),
        details={
            "net": round(net, 4),
            "baseline_net": round(baseline_net, 4) if baseline_net is not None else None,
            "fall": round(fall, 4),
            "fall_se": round(fall_se, 4) if math.isfinite(fall_se) else None,
            "count": recent.count,
            "baseline_count": baseline_count,
            "neg": recent.neg,
            "window": SENTIMENT_WINDOW,
        },
        for_s=rule.for_s,
    )


def evaluate_metrics(
    metrics: Metrics, rules: RuleSet, watched_since_ts: float | None = None
) -> list[Condition]:
    """The metric rules (`METRIC_RULES`) that hold for this watchlist now."""
    found = (
        evaluate_volume_spike(metrics, rules.volume_spike, watched_since_ts),
        evaluate_sentiment_drop(metrics, rules.sentiment_drop, watched_since_ts),
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
    """One condition per watchlist of a negative mention whose author is loud or press (subject "": one alert
    per watchlist, `details["posts"]` this post; the engine lists the most reached of the window). The
    watchlist's own accounts (`own_handles`, lower case) answering a crisis are not an alert about it."""
    if item.label != "neg":
        return []
    author = item.mention.author
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
        step = rule.step_up_followers is not None and author.followers >= rule.step_up_followers
        severity = step_up(rule.severity) if step else rule.severity
        post = negative_post(item, bool(press))
        found.append(
            Condition(
                rule="negative_influencer",
                watchlist=watchlist,
                severity=severity,
                summary=f"{watchlist}: negative post by {describe_post(post)}",
                details={"posts": [post], "count": 1},
                for_s=rule.for_s,
            )
        )
    return found


def negative_post(item: EnrichedMention, press: bool) -> dict[str, Any]:
    """What an alert shows of a negative post."""
    mention, author = item.mention, item.mention.author
    return {
        "mention_id": mention.id,
        "handle": author.handle,
        "followers": author.followers,
        "press": press,
        "text": mention.text[:500],
        "url": mention.url,
        "at": mention.created_at.timestamp() if mention.created_at else None,
        "score": round(item.score, 3),
    }


def describe_post(post: Mapping[str, Any]) -> str:
    who = "journalist/outlet, " if post.get("press") else ""
    return f"@{post['handle']} ({who}{int(post['followers']):,} followers): {str(post['text'])[:140]}"


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
    sentiment: float | None = None,
) -> list[Condition]:
    """A swarm touching watchlists (mentions of each in it; a plain list counts 1 each); subject = swarm.
    A watchlist needs `min_mentions` in it, and `min_share` of the swarm's watchlist mentions.
    `sentiment`: its mean score (None: unknown, taken as negative enough)."""
    found = []
    touching = _touching(watchlists)
    total = sum(touching.values()) or 1
    for watchlist, mentions in touching.items():
        rule = rules_of(watchlist).swarm
        if not rule.enabled or state not in rule.states or mentions < rule.min_mentions:
            continue
        if mentions / total < rule.min_share:
            continue
        if sentiment is not None and sentiment > rule.max_sentiment:
            continue
        shown = " ".join(f"#{tag}" for tag in tags[:5])
        found.append(
            Condition(
                rule="swarm",
                watchlist=watchlist,
                subject=swarm_id,
                severity=rule.severity,
                summary=(
                    f"{watchlist}: {state} hashtag swarm {shown} ({mentions} of its mentions, "
                    f"{authors} people"
                    + (f", mean sentiment {_signed(sentiment)})" if sentiment is not None else ")")
                ),
                details={
                    "swarm": swarm_id,
                    "tags": tags[:20],
                    "state": state,
                    "mentions": mentions,
                    "authors": authors,
                    "sentiment": sentiment,
                },
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
    negative: bool = True,
) -> list[Condition]:
    """A coordinated campaign touching watchlists; subject = the cluster. `negative`: whether its text is
    negative (a campaign that is not, promotion spam, is info whatever the rule's severity)."""
    found = []
    for watchlist, mentions in _touching(watchlists).items():
        rule = rules_of(watchlist).coordination
        if not rule.enabled or mentions < rule.min_mentions:
            continue
        tone = "negative" if negative else "not negative"
        found.append(
            Condition(
                rule="coordination",
                watchlist=watchlist,
                subject=cluster_id,
                severity=rule.severity if negative else "info",
                summary=(
                    f"{watchlist}: coordinated campaign ({tone}), {accounts} accounts posting near-copies, "
                    f"{mentions} of its mentions: {example[:120]}"
                ),
                details={
                    "cluster": cluster_id,
                    "accounts": accounts,
                    "mentions": mentions,
                    "example": example,
                    "negative": negative,
                },
                for_s=rule.for_s,
            )
        )
    return found


def step_up(severity: Severity) -> Severity:
    """One severity higher (critical stays critical)."""
    return SEVERITIES[min(SEVERITY_RANK[severity] + 1, len(SEVERITIES) - 1)]
