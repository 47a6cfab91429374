"""In-order delivery of fetched records per partition: which to deliver, which to drop, when to read again.

A stream consumer must hand its records over in offset order without holes, or an offset it never
processed ends up committed (Faust fills holes in as "compacted away") and a later replay of the skipped
records arrives after newer ones (the records after them are then processed twice). Vigie's
streamed topics are neither compacted nor written transactionally, so a hole means records were fetched
and dropped on the way (seen around rebalances: records fetched before the post-rebalance seek), and the
cure is to read again from the first missing offset. Likewise a record delivered and then
skipped by its stream (Faust skips events fetched under an older rebalance generation, or while a
rebalance has paused the streams) is read again from its offset, never counted as processed, and so is a
record handed to the streams that none took in while a later one was taken (`HandedOut`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from enum import Enum
from itertools import islice
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Item = TypeVar("Item")

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


#: Records remembered per partition while no stream has taken them in (bounds memory if none ever does).
MAX_HANDED = 100_000


class HandedOut(Generic[Key, Item]):
    """Records handed to the streams, per partition, until a stream takes each in.

    A stream takes in its records in order, so a record not taken in while a later record of its partition
    was, or while nothing is left queued for the streams, has been dropped on the way and must be read
    again. Seen with Faust: records queued for an agent
    around a rebalance or while it starts vanished before the agent saw them, and the next commit passed
    over them once the following records were processed.
    """

    def __init__(self, max_handed: int = MAX_HANDED) -> None:
        self.max_handed = max_handed
        self._handed: dict[Key, deque[tuple[int, Item]]] = {}

    def add(self, key: Key, offset: int, item: Item) -> None:
        handed = self._handed.get(key)
        if handed is None:
            handed = self._handed[key] = deque(maxlen=self.max_handed)
        handed.append((offset, item))

    def forget(self, key: Key) -> None:
        """The partition was revoked or read again from elsewhere: what was handed before no longer counts."""
        self._handed.pop(key, None)

    def lost(self, taken: Callable[[Item], bool], idle: Callable[[Key], bool]) -> dict[Key, int]:
        """The first lost offset of each partition that has one (forgotten here: read it again).

        `taken` says whether a stream took a record in; `idle` whether the streams of a partition have
        nothing queued (then a record handed to them and not taken will never be: the last records of a
        partition have no later one to tell)."""
        found: dict[Key, int] = {}
        for key, handed in list(self._handed.items()):
            while handed and taken(handed[0][1]):
                handed.popleft()
            if not handed:
                continue
            if idle(key) or any(taken(item) for _, item in islice(handed, 1, None)):
                found[key] = handed[0][0]
                self._handed.pop(key, None)
        return found
