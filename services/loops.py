"""A role's loops run together: the first that dies stops the others and raises, so the supervisor restarts
the role; on the way out (an error or a stop) every loop is cancelled and awaited."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


async def run_loops(loops: dict[str, Coroutine[Any, Any, object]]) -> None:
    """Run the named coroutines until one raises (its error propagates) or this call is cancelled."""
    tasks = [asyncio.create_task(loop, name=name) for name, loop in loops.items()]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
