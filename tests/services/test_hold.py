"""Holding ingest while the embedded broker is renewed: publishes under way finish first, later ones wait
or are refused, and nothing slips between the two (the lock works across processes, as here across two
open files)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.runtime.hold import IngestHeld, IngestHold


async def test_the_supervisor_waits_for_a_publish_under_way(tmp_path: Path) -> None:
    publisher, supervisor = IngestHold(tmp_path), IngestHold(tmp_path)
    async with publisher.publishing(wait=False):
        supervisor.hold("renewing")
        assert not supervisor.wait_for_publishers(timeout_s=0.2)  # the publish is not acknowledged yet
    assert supervisor.wait_for_publishers(timeout_s=0.2)


async def test_publishes_after_the_hold_are_refused_or_wait_for_its_end(tmp_path: Path) -> None:
    publisher, supervisor = IngestHold(tmp_path), IngestHold(tmp_path)
    supervisor.hold("the embedded broker is being renewed (partition x holds 20,001 records)")
    with pytest.raises(IngestHeld, match="partition x holds"):
        async with publisher.publishing(wait=False):
            raise AssertionError("published while held")
    sent: list[str] = []

    async def send() -> None:
        async with publisher.publishing():
            sent.append("after the hold")

    waiting = asyncio.create_task(send())
    await asyncio.sleep(0.3)
    assert sent == []
    supervisor.release()
    await asyncio.wait_for(waiting, timeout=5)
    assert sent == ["after the hold"]


async def test_concurrent_publishes_of_one_process_hold_the_lock_until_the_last_ends(tmp_path: Path) -> None:
    publisher, supervisor = IngestHold(tmp_path), IngestHold(tmp_path)
    first = publisher.publishing()
    second = publisher.publishing()
    await first.__aenter__()
    await second.__aenter__()
    await first.__aexit__(None, None, None)
    supervisor.hold("renewing")
    assert not supervisor.wait_for_publishers(timeout_s=0.1)
    await second.__aexit__(None, None, None)
    assert supervisor.wait_for_publishers(timeout_s=0.1)
