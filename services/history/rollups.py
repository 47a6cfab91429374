"""Minute roll-ups read from a window state.

A roll-up row holds the absolute figures of one minute, `[count, pos, neu, neg, score_sum, coordinated]`,
summed from the state's six 10-second buckets, so writing it again (a partial applied twice across a kill, a
flush repeated) gives the same row: history is idempotent because it copies the state, never adds to it.
Only minutes the state still holds whole are written; older ones were written while they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from services.aggregation.windows import BUCKET_S, HISTORY_S, Bucket, WindowState, add_into, empty_bucket

MINUTE_S = 60
HOUR_S = 3600
DAY_S = 86_400


def minute_of(ts: float) -> int:
    return int(ts // MINUTE_S) * MINUTE_S


def minutes_touched(buckets: Mapping[int, Bucket] | Iterable[int]) -> set[int]:
    """The minutes that a partial's 10-second buckets fall in."""
    return {minute_of(start) for start in buckets}


def minute_figures(state: WindowState, minute_start: int, *, now_ts: float, grace_s: float) -> Bucket | None:
    """The minute's absolute figures from the state; None when the state no longer holds all of it."""
    horizon = now_ts - HISTORY_S - grace_s
    if minute_start < horizon:
        return None
    total = empty_bucket()
    for start in range(minute_start, minute_start + MINUTE_S, BUCKET_S):
        bucket = state.buckets.get(start)
        if bucket is not None:
            add_into(total, bucket)
    return total


def state_minutes(state: WindowState) -> dict[int, Bucket]:
    """Every minute the state holds, summed (for a state restored or seen for the first time)."""
    minutes: dict[int, Bucket] = {}
    for start, bucket in state.buckets.items():
        add_into(minutes.setdefault(minute_of(start), empty_bucket()), bucket)
    return minutes
