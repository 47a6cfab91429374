"""In-order delivery of fetched records per partition: which to deliver, which to drop, when to read again.

A stream consumer must hand its records over in offset order without holes, or an offset it never
processed ends up committed (Faust fills holes in as "compacted away") and a later replay of the skipped
records arrives after newer ones (the aggregate's per-partition high-water mark then skips them). Vigie's
streamed topics are neither compacted nor written transactionally, so a hole means records were fetched
and dropped on the way (seen around rebalances: records fetched before the post-rebalance seek), and the
cure is to read again from the first missing offset. Likewise a record delivered and then
skipped by its stream (Faust skips events fetched under an older rebalance generation, or while a
rebalance has paused the streams) is read again from its offset, never counted as processed.
"""

from __future__ import annotations

from collections.abc import Hashable
from enum import Enum
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)

#: How many batches in a row may show the same hole before it is taken as real (e.g. transaction markers).
MAX_REWINDS = 3


class Verdict(Enum):
    DELIVER = "deliver"
    #: Already delivered (a stale record fetched before a seek back): skip it.
    DROP = "drop"
    #: Records before this one were never delivered: seek back to `next_offset` and read again.
    REWIND = "rewind"
    #: The same hole came back `MAX_REWINDS` times: the offsets do not exist, deliver and move on.
    ACCEPT_HOLE = "accept_hole"


class InOrderOffsets(Generic[Key]):
    """The next offset to deliver per partition, set when the consumer seeks."""

    def __init__(self, max_rewinds: int = MAX_REWINDS) -> None:
        self.max_rewinds = max_rewinds
        self._next: dict[Key, int] = {}
        self._rewinds: dict[Key, int] = {}
        self._rewound_in_batch: set[Key] = set()

    def expect(self, key: Key, offset: int) -> None:
        """The consumer was positioned at `offset`: deliver from there."""
        self._next[key] = offset
        self._rewinds.pop(key, None)

    def forget(self, key: Key) -> None:
        """The partition was revoked: nothing is delivered until the next seek."""
        self._next.pop(key, None)
        self._rewinds.pop(key, None)

    def redeliver(self, key: Key, offset: int) -> bool:
        """A delivered record was not processed after all (its stream skipped it): deliver again from
        `offset`. True when the consumer must seek back there; False when nothing is expected (revoked)
        or an earlier offset already is."""
        expected = self._next.get(key)
        if expected is None or offset >= expected:
            return False
        self.expect(key, offset)
        return True

    def next_offset(self, key: Key) -> int | None:
        return self._next.get(key)

    def new_batch(self) -> None:
        """A new fetch result starts: records after a seek back can no longer be stale ones."""
        self._rewound_in_batch.clear()

    def check(self, key: Key, offset: int) -> Verdict:
        expected = self._next.get(key)
        if expected is None:
            # Not positioned yet: Faust resumes fetching newly assigned partitions before its seek to
            # the committed offsets, from wherever the client stood; the seek reads these again in order.
            return Verdict.DROP
        if offset == expected:
            self._next[key] = offset + 1
            self._rewinds.pop(key, None)
            return Verdict.DELIVER
        if offset < expected or key in self._rewound_in_batch:
            return Verdict.DROP
        rewinds = self._rewinds.get(key, 0)
        if rewinds >= self.max_rewinds:
            self._next[key] = offset + 1
            self._rewinds.pop(key, None)
            return Verdict.ACCEPT_HOLE
        self._rewinds[key] = rewinds + 1
        self._rewound_in_batch.add(key)
        return Verdict.REWIND
