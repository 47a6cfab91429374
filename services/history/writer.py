"""History writes off the event loop: one thread, in the order they were taken, each made once taken.

The aggregate agent takes what changed on the event loop and writes it here. A write can wait seconds for
SQLite's lock while the archiver writes. With a thread per write (`asyncio.to_thread`), a flush cancelled
while its write waited (a worker stopping) left that write running, and the stop's own flush, on another
thread, could commit first: the older rows then replaced the newer ones (seen: a minute's roll-up left at a
third of its count). Here writes run on one thread in submission order, and cancelling the caller does not
cancel a write already taken.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from services.history.store import MinuteRow, Snapshot

Save = Callable[[Sequence[Snapshot], Sequence[MinuteRow]], None]


class HistoryWriter:
    def __init__(self, save: Save) -> None:
        self._save = save
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vigie-history")

    async def write(self, snapshots: Sequence[Snapshot], minutes: Sequence[MinuteRow]) -> None:
        """Write on the history thread after every earlier write; raises what the save raised."""
        written = asyncio.get_running_loop().run_in_executor(self._thread, self._save, snapshots, minutes)
        await asyncio.shield(written)
