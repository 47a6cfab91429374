"""Concurrent ingest requests share publishes: fewer, larger raw records; each request is still answered only
once its mentions are acknowledged, with its gathering's outcome (success, a broker error, held ingest)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from aiokafka.errors import KafkaTimeoutError

from services.ingest.coalescer import Coalescer
from services.ingest.records import Mention, parse_mention
from services.runtime.hold import IngestHeld, IngestHold

#: Long enough that a test which depends on the timer firing would visibly hang, not pass by luck.
LONG_LINGER_S = 60.0


def mentions(count: int, prefix: str = "m") -> list[Mention]:
    return [
        parse_mention({"id": f"{prefix}-{i}", "text": "hello", "author": {"handle": "a"}})
        for i in range(count)
    ]


class Broker:
    """Stands for the publisher: records each publish, acknowledges when `ack` is set (at once by default),
    or fails with `error`."""

    def __init__(self) -> None:
        self.publishes: list[list[str]] = []
        self.ack = asyncio.Event()
        self.ack.set()
        self.error: Exception | None = None
        #: Set once a publish has reached it.
        self.sent = asyncio.Event()

    async def publish(self, batch: Sequence[Mention]) -> int:
        self.publishes.append([m.id for m in batch])
        self.sent.set()
        await self.ack.wait()
        if self.error is not None:
            raise self.error
        return len(batch)


async def test_concurrent_requests_share_one_publish_and_each_gets_its_own_count() -> None:
    broker = Broker()
    coalescer = Coalescer(broker.publish, linger_s=0.005, flush_mentions=500)
    counts = await asyncio.gather(*(coalescer.submit(mentions(n, f"r{n}")) for n in (1, 2, 3)))
    assert counts == [1, 2, 3]
    assert len(broker.publishes) == 1
    assert sorted(broker.publishes[0]) == sorted(["r1-0", "r2-0", "r2-1", "r3-0", "r3-1", "r3-2"])
    assert (coalescer.requests, coalescer.publishes) == (3, 1)


async def test_no_request_is_answered_before_the_broker_acknowledges_its_mentions() -> None:
    broker = Broker()
    broker.ack.clear()
    coalescer = Coalescer(broker.publish, linger_s=0.001, flush_mentions=500)
    waiting = [asyncio.create_task(coalescer.submit(mentions(1, f"r{i}"))) for i in range(3)]
    await asyncio.wait_for(broker.sent.wait(), timeout=10)
    await asyncio.sleep(0.05)
    assert not any(task.done() for task in waiting)  # sent, not yet acknowledged
    broker.ack.set()
    assert await asyncio.gather(*waiting) == [1, 1, 1]


async def test_a_broker_error_fails_the_requests_of_its_publish_only() -> None:
    broker = Broker()
    coalescer = Coalescer(broker.publish, linger_s=0.001, flush_mentions=500)
    broker.error = KafkaTimeoutError("no answer from the broker")
    failed = await asyncio.gather(
        *(coalescer.submit(mentions(1, f"a{i}")) for i in range(3)), return_exceptions=True
    )
    assert all(isinstance(outcome, KafkaTimeoutError) for outcome in failed), failed
    broker.error = None
    assert await asyncio.gather(*(coalescer.submit(mentions(1, f"b{i}")) for i in range(3))) == [1, 1, 1]
    assert len(broker.publishes) == 2


async def test_held_ingest_refuses_every_waiting_request_and_accepts_them_once_lifted(tmp_path: Path) -> None:
    broker = Broker()
    hold, supervisor = IngestHold(tmp_path), IngestHold(tmp_path)

    async def publish(batch: Sequence[Mention]) -> int:
        async with hold.publishing(wait=False):
            return await broker.publish(batch)

    coalescer = Coalescer(publish, linger_s=0.001, flush_mentions=500)
    supervisor.hold("the embedded broker is being renewed")
    refused = await asyncio.gather(
        *(coalescer.submit(mentions(1, f"h{i}")) for i in range(3)), return_exceptions=True
    )
    assert all(isinstance(outcome, IngestHeld) for outcome in refused), refused
    assert broker.publishes == []  # nothing reached the broker while held
    supervisor.release()
    assert await asyncio.gather(*(coalescer.submit(mentions(1, f"h{i}")) for i in range(3))) == [1, 1, 1]


async def test_the_supervisor_waits_for_a_gathering_being_published(tmp_path: Path) -> None:
    broker = Broker()
    broker.ack.clear()
    hold, supervisor = IngestHold(tmp_path), IngestHold(tmp_path)

    async def publish(batch: Sequence[Mention]) -> int:
        async with hold.publishing(wait=False):
            return await broker.publish(batch)

    coalescer = Coalescer(publish, linger_s=0.001, flush_mentions=500)
    waiting = [asyncio.create_task(coalescer.submit(mentions(1, f"w{i}"))) for i in range(2)]
    await asyncio.wait_for(broker.sent.wait(), timeout=10)
    supervisor.hold("renewing")
    assert not await asyncio.to_thread(supervisor.wait_for_publishers, 0.2)  # not acknowledged yet
    broker.ack.set()
    assert await asyncio.gather(*waiting) == [1, 1]
    assert await asyncio.to_thread(supervisor.wait_for_publishers, 0.2)


async def test_a_gathering_leaves_as_soon_as_it_holds_flush_mentions() -> None:
    broker = Broker()
    coalescer = Coalescer(broker.publish, linger_s=LONG_LINGER_S, flush_mentions=10)
    counts = await asyncio.wait_for(
        asyncio.gather(*(coalescer.submit(mentions(2, f"f{i}")) for i in range(5))), timeout=10
    )
    assert counts == [2] * 5
    assert [len(ids) for ids in broker.publishes] == [10]


async def test_a_large_request_is_published_alone_at_once() -> None:
    broker = Broker()
    coalescer = Coalescer(broker.publish, linger_s=LONG_LINGER_S, flush_mentions=10)
    small = asyncio.create_task(coalescer.submit(mentions(1, "small")))
    await asyncio.sleep(0)
    assert await asyncio.wait_for(coalescer.submit(mentions(10, "large")), timeout=10) == 10
    assert broker.publishes == [[f"large-{i}" for i in range(10)]]
    assert not small.done()  # still gathering; close() sends it
    await coalescer.close()
    assert await small == 1
    assert broker.publishes[1] == ["small-0"]


async def test_linger_zero_publishes_each_request_on_its_own() -> None:
    broker = Broker()
    coalescer = Coalescer(broker.publish, linger_s=0, flush_mentions=500)
    assert await asyncio.gather(*(coalescer.submit(mentions(1, f"z{i}")) for i in range(3))) == [1, 1, 1]
    assert len(broker.publishes) == 3


async def test_a_request_whose_client_goes_away_does_not_cancel_the_others() -> None:
    broker = Broker()
    broker.ack.clear()
    coalescer = Coalescer(broker.publish, linger_s=0.001, flush_mentions=500)
    leaving = asyncio.create_task(coalescer.submit(mentions(1, "gone")))
    staying = asyncio.create_task(coalescer.submit(mentions(1, "here")))
    await asyncio.wait_for(broker.sent.wait(), timeout=10)
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    broker.ack.set()
    assert await staying == 1
    assert sorted(broker.publishes[0]) == ["gone-0", "here-0"]  # its mentions were sent all the same


async def test_a_request_without_mentions_publishes_nothing() -> None:
    broker = Broker()
    coalescer = Coalescer(broker.publish, linger_s=0.001, flush_mentions=500)
    assert await coalescer.submit([]) == 0
    assert broker.publishes == []
