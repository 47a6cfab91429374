"""The consumer thread: the fetch wait, seeks to committed offsets, exact end offsets, seeks back.

Why each exists: see the package docstring (streams/transport/__init__.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import aiokafka
from aiokafka.errors import IllegalStateError
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from services.runtime.kafka import exact_end_offsets

if TYPE_CHECKING:
    from streams.transport.consumer import Consumer

DEFAULT_FETCH_MAX_WAIT_MS = 20


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka builds its fetcher in start() from this attribute, so setting it before start() suffices.
        consumer._fetch_max_wait_ms = getattr(self.app, "fetch_max_wait_ms", DEFAULT_FETCH_MAX_WAIT_MS)
        return consumer

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Seek every assigned partition to its committed offset, or to its start when it has none
        (aiokafka leaves those where they are, past records a stream may have dropped)."""
        return await self.call_thread(self._seek_to_committed)  # type: ignore[no-any-return]

    async def _seek_to_committed(self) -> dict[TP, int | None]:
        consumer = self._ensure_consumer()
        owner: Consumer = self.consumer  # type: ignore[assignment]
        committed: dict[TP, int | None] = {}
        for tp in consumer.assignment():
            offset = await consumer.committed(tp)
            committed[tp] = offset
            try:
                if offset is not None and offset > 0:
                    start = offset
                elif self.app.conf.consumer_auto_offset_reset == "earliest":
                    await consumer.seek_to_beginning(tp)
                    start = await consumer.position(tp)
                else:
                    start = await consumer.position(tp)  # auto_offset_reset decides
                owner.in_order.expect(tp, start)  # before the seek: a stale record now triggers a rewind
                owner._sought[tp] = start
                owner.handed.forget(tp)
                consumer.seek(tp, start)
            except IllegalStateError:  # revoked meanwhile: the next assignment seeks again
                owner.in_order.forget(tp)
        return committed

    async def _highwaters(self, partitions: list[TP]) -> Mapping[TP, int]:
        """End offsets checked by reading the last batch (services/runtime/kafka.py `exact_end_offsets`):
        table
        recovery reads changelogs up to them, and the embedded broker undercounts a multi-record batch."""
        reported = await super()._highwaters(partitions)
        if self.consumer.in_transaction:
            return reported
        client = self._ensure_consumer()._client
        return await exact_end_offsets(client._bootstrap_servers, reported)  # type: ignore[arg-type]

    async def rewind(self, tp: TP, offset: int) -> None:
        await self.call_thread(self._rewind, tp, offset)

    async def _rewind(self, tp: TP, offset: int) -> None:
        consumer = self._ensure_consumer()
        if tp in consumer.assignment():
            consumer.seek(tp, offset)
