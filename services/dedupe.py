"""Bounded memory of recently seen mention ids."""

from __future__ import annotations


class RecentIds:
    """Remembers at least the last `capacity / 2` and at most `capacity` ids, in O(1) per id.

    Two generations: when the young one is full it becomes the old one and the previous old one is
    forgotten. Producers route a mention id always to the same raw partition, so one worker sees every
    copy of an id.
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
