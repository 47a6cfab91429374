"""Rolling event-time windows of mention counts and sentiment for one watchlist.

State is a sparse map of 10-second buckets covering the last hour plus a grace period, so it stays bounded
whatever the stream. The 1, 5, 15 and 60 minute windows and the 60-minute sparkline are read from it
relative to the stream clock (`EventClock`), whose time follows event time while mentions flow and wall
time in between, so numbers decay when a live stream goes quiet and a replay of old data still fills its
windows. Events older than the kept history are counted as `late`, never silently dropped.

Each bucket holds `[count, pos, neu, neg, score_sum, coordinated]`: `coordinated` counts the mentions the
insights stage found to be part of a coordinated campaign (services/insights/live.py sends them as
corrections); whether they are also in `count` and the sentiment figures depends on the setting
`count_coordinated`. Buckets written before `coordinated` existed (five values) are read as having none.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from functools import reduce
from operator import add

import msgspec

BUCKET_S = 10
WINDOWS_S: dict[str, int] = {"1m": 60, "5m": 300, "15m": 900, "60m": 3600}
HISTORY_S = max(WINDOWS_S.values())
SERIES_STEP_S = 60
SERIES_POINTS = HISTORY_S // SERIES_STEP_S

COUNT, POS, NEU, NEG, SCORE_SUM, COORD = range(6)
BUCKET_LEN = 6
LABEL_INDEX = {"pos": POS, "neu": NEU, "neg": NEG}

Bucket = list[float]

#: Raw offsets above the applied floor remembered exactly per raw partition (`WindowState`): a partial may
#: come after those of records up to this many offsets later in its partition and still count.
APPLIED_WINDOW = 1024


def empty_bucket() -> Bucket:
    return [0, 0, 0, 0, 0.0, 0]


def bucket_of(ts: float) -> int:
    return int(ts // BUCKET_S) * BUCKET_S


def add_into(target: Bucket, source: Bucket) -> None:
    """Add `source` to `target` in place (either may be a shorter bucket from an older version)."""
    if len(target) < BUCKET_LEN:
        target.extend([0] * (BUCKET_LEN - len(target)))
    for i, value in enumerate(source[:BUCKET_LEN]):
        target[i] += value


class WindowState(msgspec.Struct, kw_only=True):
    """What the aggregate table keeps per watchlist (one changelog record per update)."""

    buckets: dict[int, Bucket] = msgspec.field(default_factory=dict)
    #: Totals since the state was created, late mentions included.
    total: Bucket = msgspec.field(default_factory=empty_bucket)
    late: int = 0
    #: Raw records applied, per raw partition: every offset up to `applied` (a floor), and those above it
    #: flagged in `applied_above` (bit i: offset floor + 1 + i, little-endian bytes, at most APPLIED_WINDOW
    #: bits). A replayed record is skipped; a record whose partial comes after those of later records (read
    #: again after a rebalance or a kill) still counts, once.
    applied: dict[int, int] = msgspec.field(default_factory=dict)
    applied_above: dict[int, bytes] = msgspec.field(default_factory=dict)
    #: When the watchlist these windows count for was created (Unix time; None in states saved before this
    #: was kept): a watchlist deleted and created again under the same id starts from nothing
    #: (services/aggregation/aggregate.py `for_watchlist`).
    created_ts: float | None = None

    def already_applied(self, partition: int, offset: int) -> bool:
        floor = self.applied.get(partition, -1)
        if offset <= floor:
            return True
        flags = int.from_bytes(self.applied_above.get(partition, b""), "little")
        return bool(flags >> (offset - floor - 1) & 1)

    def mark_applied(self, partition: int, offset: int) -> None:
        floor = self.applied.get(partition, -1)
        flags = int.from_bytes(self.applied_above.get(partition, b""), "little")
        bit = offset - floor - 1
        if bit >= APPLIED_WINDOW:  # older offsets not applied by now are taken as never coming
            shift = bit - APPLIED_WINDOW + 1
            floor, flags, bit = floor + shift, flags >> shift, bit - shift
        flags |= 1 << bit
        while flags & 1:  # the floor climbs over the offsets applied right above it
            floor, flags = floor + 1, flags >> 1
        if floor >= 0:
            self.applied[partition] = floor
        if flags:
            self.applied_above[partition] = flags.to_bytes((flags.bit_length() + 7) // 8, "little")
        else:
            self.applied_above.pop(partition, None)

    def apply(self, buckets: Mapping[int, Bucket], *, now_ts: float, grace_s: float) -> int:
        """Add per-bucket counts; return how many mentions were too late for the kept history."""
        horizon = now_ts - HISTORY_S - grace_s
        late = 0
        for start, counts in buckets.items():
            add_into(self.total, counts)
            if start + BUCKET_S <= horizon:
                late += max(0, int(counts[COUNT]))  # a correction (negative) of an old bucket is no mention
                continue
            bucket = self.buckets.get(start)
            if bucket is None:
                bucket = self.buckets[start] = empty_bucket()
            add_into(bucket, counts)
        self.late += late
        self.prune(now_ts=now_ts, grace_s=grace_s)
        return late

    def prune(self, *, now_ts: float, grace_s: float) -> None:
        horizon = now_ts - HISTORY_S - grace_s
        for start in [start for start in self.buckets if start + BUCKET_S <= horizon]:
            del self.buckets[start]


class WindowStats(msgspec.Struct):
    count: int
    pos: int
    neu: int
    neg: int
    mean: float | None
    net: float | None
    per_min: float
    share: float | None = None
    #: Mentions found coordinated, and the others; `organic + coordinated` is every mention of the
    #: window, whether or not `count` includes the coordinated ones.
    coordinated: int = 0
    organic: int = 0


def stats_of(bucket: Bucket, window_s: int, count_coordinated: bool = True) -> WindowStats:
    """Figures of a full-length bucket; `count_coordinated` says whether its count includes the
    coordinated mentions (then organic = count - coordinated) or not (organic = count)."""
    count = int(bucket[COUNT])
    coordinated = int(bucket[COORD])
    return WindowStats(
        count=count,
        pos=int(bucket[POS]),
        neu=int(bucket[NEU]),
        neg=int(bucket[NEG]),
        mean=round(bucket[SCORE_SUM] / count, 4) if count else None,
        net=round((bucket[POS] - bucket[NEG]) / count, 4) if count else None,
        per_min=round(count * 60 / window_s, 3),
        coordinated=coordinated,
        organic=max(0, count - coordinated) if count_coordinated else count,
    )


def _column_sums(rows: list[Bucket]) -> Bucket:
    """The sum of `rows` as `add_into` of each in turn into an empty bucket would make it (the same additions
    in the same order, so the same floats), one column at a time in C."""
    if set(map(len, rows)) != {BUCKET_LEN}:  # a bucket from an older version (or none): the general way
        total = empty_bucket()
        for row in rows:
            add_into(total, row)
        return total
    return [
        reduce(add, column, start)
        for column, start in zip(zip(*rows, strict=True), empty_bucket(), strict=True)
    ]


def window_stats(state: WindowState, now_ts: float, count_coordinated: bool = True) -> dict[str, WindowStats]:
    """The rolling windows ending at `now_ts` (a bucket counts when it starts inside the window)."""
    items = list(state.buckets.items())
    return {
        name: stats_of(
            _column_sums([counts for start, counts in items if -BUCKET_S <= now_ts - start < size]),
            size,
            count_coordinated,
        )
        for name, size in WINDOWS_S.items()
    }


class Series(msgspec.Struct):
    start_ts: int
    step_s: int
    count: list[int]
    net: list[float | None]


def minute_series(state: WindowState, now_ts: float) -> Series:
    """The last hour by minute, oldest first; the last point is the current minute."""
    last = int(now_ts // SERIES_STEP_S) * SERIES_STEP_S
    start = last - (SERIES_POINTS - 1) * SERIES_STEP_S
    # Count, positive and negative of each minute (all the series shows), added up bucket by bucket.
    minutes: list[list[float]] = [[0, 0, 0] for _ in range(SERIES_POINTS)]
    for bucket_start, counts in state.buckets.items():
        index = (bucket_start - start) // SERIES_STEP_S
        if 0 <= index < SERIES_POINTS:
            minute = minutes[index]
            minute[0] += counts[COUNT]
            minute[1] += counts[POS]
            minute[2] += counts[NEG]
    return Series(
        start_ts=start,
        step_s=SERIES_STEP_S,
        count=[int(count) for count, _, _ in minutes],
        net=[round((pos - neg) / count, 4) if count else None for count, pos, neg in minutes],
    )


def share_of_voice(counts: Mapping[str, int]) -> dict[str, float | None]:
    """Each watchlist's share of the mentions of its group; None for all when the group is silent."""
    total = sum(counts.values())
    return {key: (round(value / total, 4) if total else None) for key, value in counts.items()}


class EventClock:
    """The stream's notion of now: the newest event time seen, advanced by the wall time since then.

    Event times are capped at wall time, so one mention from a fast clock cannot push every window ahead.
    """

    def __init__(self, wall: float | None = None) -> None:
        self._watermark = -math.inf
        self._wall_at_watermark = wall if wall is not None else time.time()

    def observe(self, event_ts: float, wall: float | None = None) -> None:
        wall_now = wall if wall is not None else time.time()
        event_ts = min(event_ts, wall_now)
        if self._watermark == -math.inf or event_ts > self.now(wall_now):
            self._watermark = event_ts
            self._wall_at_watermark = wall_now

    def observe_many(self, event_times: Iterable[float], wall: float | None = None) -> None:
        newest = max(event_times, default=None)
        if newest is not None:
            self.observe(newest, wall)

    def now(self, wall: float | None = None) -> float:
        wall_now = wall if wall is not None else time.time()
        if self._watermark == -math.inf:
            return wall_now
        return self._watermark + (wall_now - self._wall_at_watermark)
