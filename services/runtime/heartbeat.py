"""A role's heartbeat: its event loop touches a file every BEAT_EVERY_S, so that `vigie run` can tell a
process that hangs (alive, its event loop stuck) from one that works, and restart it
(services/runtime/supervisor.py).

The supervisor names the file in HEARTBEAT_FILE_ENV for the roles it watches; without it nothing is written
(`vigie worker` under Kubernetes has its /healthz probe instead). The beat runs on the role's own event loop,
never in a thread: a loop blocked by a runaway computation or a deadlock stops it, which is the point.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

HEARTBEAT_FILE_ENV = "VIGIE_HEARTBEAT_FILE"
BEAT_EVERY_S = 2.0
#: What a process may take before its first beat: a worker's start (imports, joining its consumer group,
#: loading its window states from the database) can hold its loop longer than a beat interval.
FIRST_BEAT_ALLOWANCE_S = 120.0

T = TypeVar("T")


def heartbeat_path() -> Path | None:
    """The file this process beats on, when its supervisor asked for one."""
    value = os.environ.get(HEARTBEAT_FILE_ENV, "")
    return Path(value) if value else None


def beat(path: Path) -> None:
    """Touch the file, creating it and its folder when missing."""
    try:
        path.touch()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


async def keep_beating(path: Path) -> None:
    while True:
        with contextlib.suppress(OSError):  # a full disk: the supervisor sees an old beat, as it should
            beat(path)
        await asyncio.sleep(BEAT_EVERY_S)


@contextlib.asynccontextmanager
async def heartbeat_alongside() -> AsyncIterator[None]:
    """While the block runs, beat on this process's file from the same loop (nothing without a file)."""
    path = heartbeat_path()
    if path is None:
        yield
        return
    beats = asyncio.create_task(keep_beating(path), name="heartbeat")
    try:
        yield
    finally:
        beats.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beats


async def beating(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` with the beat alongside (`heartbeat_alongside`)."""
    async with heartbeat_alongside():
        return await main


def last_beat(path: Path) -> float | None:
    """When the file was last touched (wall-clock seconds), None if it was never written."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return None


def stuck_for(
    last: float | None, started: float, watched_since: float, now: float, after_s: float
) -> float | None:
    """How long a process started at `started` has not beaten, once that is past what it is allowed; None
    while it is not stuck (or `after_s` is 0: never). A beat older than its start is its predecessor's.
    Until its first beat a process has FIRST_BEAT_ALLOWANCE_S at least. Silence is counted from
    `watched_since` at the earliest: the supervisor's own start of watching it, or its return from a pause
    (a suspended machine stops every loop at once, and that is no reason to kill them all)."""
    if after_s <= 0:
        return None
    beaten = last is not None and last >= started
    silent = now - max(last if last is not None and beaten else started, watched_since)
    allowed = after_s if beaten else max(after_s, FIRST_BEAT_ALLOWANCE_S)
    return silent if silent > allowed else None
