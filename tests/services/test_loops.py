"""A role's loops: the first that dies stops the others and its error reaches the caller."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from services.runtime.loops import run_loops


async def wait_forever(name: str, stopped: list[str]) -> None:
    """A loop that runs until cancelled, and says it stopped."""
    try:
        await asyncio.Event().wait()
    finally:
        stopped.append(name)


async def test_a_dying_loop_stops_the_others_and_raises() -> None:
    stopped: list[str] = []

    def forever(name: str) -> Coroutine[Any, Any, None]:
        return wait_forever(name, stopped)

    async def dies() -> None:
        await asyncio.sleep(0)
        raise RuntimeError("the broker went away")

    with pytest.raises(RuntimeError, match="the broker went away"):
        await run_loops({"a": forever("a"), "b": forever("b"), "dying": dies()})
    assert sorted(stopped) == ["a", "b"]


async def test_cancelling_the_role_cancels_every_loop() -> None:
    stopped: list[str] = []

    def forever(name: str) -> Coroutine[Any, Any, None]:
        return wait_forever(name, stopped)

    role = asyncio.create_task(run_loops({"a": forever("a"), "b": forever("b")}))
    await asyncio.sleep(0.01)
    role.cancel()
    with pytest.raises(asyncio.CancelledError):
        await role
    assert sorted(stopped) == ["a", "b"]
