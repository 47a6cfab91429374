"""A worker stopping cancels the flush whose write waits for the database (SQLite locked by the archiver);
the stop's own flush then writes newer figures. The history must end with the newer ones."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from services.aggregation.windows import empty_bucket
from services.history.store import MinuteRow, Snapshot
from services.history.writer import HistoryWriter


def minute(count: int) -> MinuteRow:
    figures = empty_bucket()
    figures[0] = count
    return MinuteRow("acme", 1_800_000_000, figures)


class LockedDatabase:
    """Keeps each minute's last committed count; the first write waits until the lock is released."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.counts: dict[int, int] = {}
        self.commits: list[int] = []

    def save(self, snapshots: Sequence[Snapshot], minutes: Sequence[MinuteRow]) -> None:
        if not self.commits and minutes[0].figures[0] == 31:
            assert self.released.wait(timeout=10)
        for row in minutes:
            self.counts[row.start_ts] = int(row.figures[0])
        self.commits.append(int(minutes[0].figures[0]))


async def test_a_cancelled_flush_still_writes_and_the_last_flush_lands_after_it() -> None:
    database = LockedDatabase()
    writer = HistoryWriter(database.save)
    stale = asyncio.create_task(writer.write([], [minute(31)]))  # a third of the way through
    await asyncio.sleep(0.05)
    stale.cancel()  # the worker stops: its timer is cancelled while the write waits for the lock
    last = asyncio.create_task(writer.write([], [minute(93)]))  # the stop's own flush: everything
    await asyncio.sleep(0.05)
    database.released.set()
    await last
    assert database.commits == [31, 93]
    assert database.counts == {1_800_000_000: 93}


async def test_a_failed_write_is_raised_to_its_flush_and_the_next_one_still_runs() -> None:
    written: list[int] = []

    def save(snapshots: Sequence[Snapshot], minutes: Sequence[MinuteRow]) -> None:
        if minutes[0].figures[0] == 1:
            raise OSError("database is locked")
        written.append(int(minutes[0].figures[0]))

    writer = HistoryWriter(save)
    with pytest.raises(OSError, match="locked"):  # the flush gives the rows back and tries again
        await writer.write([], [minute(1)])
    await writer.write([], [minute(2)])
    assert written == [2]
