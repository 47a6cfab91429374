"""Bounded memory of recently seen mention ids."""

from __future__ import annotations


class RecentIds:
    """Remembers at least the last `capacity / 2` and at most `capacity` ids, in O(1) per id.

    Two generations: when the young one is full it becomes the old one and the previous old one is
    forgotten.
    """

    def __init__(self, capacity: int) -> None:
        self._half = max(1, capacity // 2)
        self._young: set[str] = set()
        self._old: set[str] = set()

    def __len__(self) -> int:
        return len(self._young) + len(self._old)

    def __contains__(self, mention_id: str) -> bool:
        return mention_id in self._young or mention_id in self._old

    def add(self, mention_id: str) -> bool:
        """Remember the id; False when it was already known (a duplicate)."""
        if mention_id in self._young or mention_id in self._old:
            return False
        if len(self._young) >= self._half:
            self._old = self._young
            self._young = set()
        self._young.add(mention_id)
        return True

    def newest(self, limit: int) -> list[str]:
        """At most `limit` ids, the younger generation first (no order within a generation)."""
        ids = list(self._young)[:limit]
        return ids + list(self._old)[: max(0, limit - len(ids))]


class PartitionIds:
    """Recently seen mention ids of each raw partition, and where each partition's memory ends.

    A mention id always goes to the same raw partition, so deduplication needs only that partition's
    history. When a worker reads a partition somewhere else than right after the last record it processed
    (it just started, took the partition over from another worker, or was sent back to the committed
    offset after a rebalance), its memory of that partition no longer matches what the records before that
    offset contained. `restore_start` says so, and `restore` rebuilds the memory from the ids of the
    partition's last `restore_records` records before the offset: a record processed again after a kill
    then keeps and drops exactly the mentions it did the first time, and its partials are the same.
    """

    def __init__(self, capacity_per_partition: int, restore_records: int = 64) -> None:
        self.capacity_per_partition = capacity_per_partition
        self.restore_records = restore_records
        self._ids: dict[int, RecentIds] = {}
        self._next_offset: dict[int, int] = {}
        self._carried: dict[int, list[str]] = {}

    def carry(self, carried: dict[int, list[str]]) -> None:
        """Ids seen before the raw topic was renewed (a fresh embedded broker numbers its records from zero
        again): every memory of a partition, built or rebuilt, starts with them."""
        self._carried = carried

    def newest(self, limit_per_partition: int) -> dict[int, list[str]]:
        """The most recent ids of each partition, to carry over to a renewed raw topic."""
        return {partition: ids.newest(limit_per_partition) for partition, ids in self._ids.items()}

    def add(self, partition: int, mention_id: str) -> bool:
        """Remember the id; False when it was already known in this partition (a duplicate)."""
        ids = self._ids.get(partition)
        if ids is None:
            ids = self._ids[partition] = self._fresh(partition)
        return ids.add(mention_id)

    def _fresh(self, partition: int) -> RecentIds:
        ids = RecentIds(self.capacity_per_partition)
        for mention_id in self._carried.get(partition, ()):
            ids.add(mention_id)
        return ids

    def processing(self, partition: int, offset: int) -> None:
        """The record at `offset` is being processed: the memory now reaches past it."""
        self._next_offset[partition] = offset + 1

    def restore_start(self, partition: int, offset: int) -> int | None:
        """The first offset to read ids from before processing `offset`; None when the memory already
        ends right before it."""
        if self._next_offset.get(partition) == offset:
            return None
        return max(0, offset - self.restore_records)

    def restore(self, partition: int, offset: int, earlier_ids: list[str]) -> None:
        """Replace the partition's memory with `earlier_ids`, the ids of the records just before `offset`
        in partition order."""
        ids = self._ids[partition] = self._fresh(partition)
        for mention_id in earlier_ids:
            ids.add(mention_id)
        self._next_offset[partition] = offset
