"""A role's loops run together: the first that dies stops the others and raises, so the supervisor restarts
the role; on the way out (an error or a stop) every loop is cancelled and awaited."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


async def run_loops(loops: dict[str, Coroutine[Any, Any, object]], *, until_one_ends: bool = False) -> None:
    """Run the named coroutines until one raises (its error propagates) or this call is cancelled;
    `until_one_ends`: also stop when one returns."""
    tasks = [asyncio.create_task(loop, name=name) for name, loop in loops.items()]
    when = asyncio.FIRST_COMPLETED if until_one_ends else asyncio.FIRST_EXCEPTION
    try:
        done, _ = await asyncio.wait(tasks, return_when=when)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
