"""The producer: a flush (so every commit) waits until the broker acknowledged every earlier send.

Why: see the package docstring (streams/transport/__init__.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from faust.exceptions import ProducerSendError
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import HeadersArg, RecordMetadata
from faust.types.tuples import FutureMessage


class Producer(faust_aiokafka.Producer):
    """Faust's aiokafka producer whose `flush()` returns only once every message sent before it was
    acknowledged by the broker (Faust flushes before each commit: see the package docstring)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._unacked: set[asyncio.Future[Any]] = set()

    def _track(self, future: asyncio.Future[Any]) -> None:
        if not future.done():
            self._unacked.add(future)
            future.add_done_callback(self._unacked.discard)

    def send_soon(self, fut: FutureMessage) -> None:
        self._track(fut)  # resolved by Faust once the broker acknowledged it (or the send failed)
        super().send_soon(fut)

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: float | None,
        headers: HeadersArg | None,
        *,
        transactional_id: str | None = None,
    ) -> Awaitable[RecordMetadata]:
        delivered = await super().send(
            topic, key, value, partition, timestamp, headers, transactional_id=transactional_id
        )
        self._track(asyncio.ensure_future(delivered))
        return delivered

    async def flush(self) -> None:
        pending = list(self._unacked)
        await super().flush()
        if not pending:
            return
        await asyncio.wait(pending)
        failed = [f.exception() for f in pending if not f.cancelled() and f.exception() is not None]
        if failed:
            # Committing now would pass over records whose output is lost: fail the commit instead, so
            # they are processed again (at-least-once).
            raise ProducerSendError(
                f"expected every send before the commit to be acknowledged; {len(failed)} of "
                f"{len(pending)} failed, first: {failed[0]!r}"
            )
