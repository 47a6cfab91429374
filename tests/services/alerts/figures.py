"""Metrics messages made the way the aggregate stage makes them (real window state, real message), and
swarms and coordination messages as the insights stage sends them."""

from __future__ import annotations

from services.aggregation.aggregate import metrics_message
from services.aggregation.windows import WindowState, bucket_of
from services.insights.coordination import CoordinatedCluster
from services.insights.swarms import Swarm
from services.updates import Coordination, Metrics, Swarms

NOW = 1_800_000_000.0


def add_minute(state: WindowState, minute_start_ts: float, count: int, pos: int = 0, neg: int = 0) -> None:
    """Spread one minute of mentions over its six 10-second buckets."""
    neu = count - pos - neg
    assert neu >= 0
    for i in range(6):
        share = [count * (i + 1) // 6 - count * i // 6]
        p = pos * (i + 1) // 6 - pos * i // 6
        n = neg * (i + 1) // 6 - neg * i // 6
        bucket = [share[0], p, share[0] - p - n, n, 0.0]
        state.apply({bucket_of(minute_start_ts + 10 * i): bucket}, now_ts=minute_start_ts + 60, grace_s=3600)


def metrics_for(
    minutes: list[tuple[int, int, int]], watchlist: str = "aerolis", now_ts: float = NOW
) -> Metrics:
    """A metrics message just before `now_ts` after `minutes` of (count, pos, neg), oldest first, ending at
    now (the stream clock is inside the newest 10-second bucket, so the 5-minute window holds 5 minutes)."""
    state = WindowState()
    start = now_ts - 60 * len(minutes)
    for index, (count, pos, neg) in enumerate(minutes):
        add_minute(state, start + 60 * index, count, pos, neg)
    return metrics_message(watchlist, state, now_ts - 1)


def swarms(state: str = "emerging", mentions: int = 24) -> Swarms:
    swarm = Swarm(
        id="sw_1",
        state=state,  # type: ignore[arg-type]  # the tests pass the states as text
        tags=["aerolisgate", "boycottaerolis"],
        tag_count=2,
        authors=40,
        mentions=mentions + 1,
        mentions_per_min=2.0,
        growth=None,
        reach=1000,
        sentiment=None,
        top_authors=[],
        watchlists={"aerolis": mentions, "skyvane": 1},
        first_seen_ts=NOW - 300,
        peak_per_min=3.0,
    )
    return Swarms(now_ts=NOW, total=1, items=[swarm])


def coordination(accounts: int = 10) -> Coordination:
    cluster = CoordinatedCluster(
        id="co_1",
        accounts=[f"a{i}" for i in range(accounts)],
        account_count=accounts,
        small_audience_accounts=accounts,
        automated_accounts=0,
        template="boycott now",
        example="Boycott now",
        first_seen_ts=NOW - 90,
        last_seen_ts=NOW,
        span_s=90.0,
        mentions=10,
        reach=40,
        watchlists={"aerolis": 10},
    )
    return Coordination(now_ts=NOW, clusters=[cluster], accounts=[], coordinated_mentions=10)
