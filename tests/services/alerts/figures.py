"""Metrics messages made the way the aggregate stage makes them (real window state, real message)."""

from __future__ import annotations

from services.aggregation.aggregate import metrics_message
from services.aggregation.windows import WindowState, bucket_of
from services.updates import Metrics

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
