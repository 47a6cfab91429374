"""Faust's aiokafka transport with a configurable consumer fetch wait and in-order, hole-free delivery.

Faust's driver hard-codes `fetch_max_wait_ms=1500`; on a quiet topic every hop then waits up to 1.5 s.
This transport takes the wait from the app's `fetch_max_wait_ms` attribute (set from
`Settings.consumer_fetch_max_wait_ms`) and registers itself under the URL scheme `vigiekafka://`.

It also keeps Faust from committing records it never processed. Measured on a worker that joins or
takes over partitions: Faust's fetcher hands over records before its post-rebalance seek to the
committed offsets; the streams drop them, records of the same fetch still arrive after the seek, and
Faust's gap bookkeeping (meant for compacted topics) marks the offsets in between as processed, so the
next commit passes over them and those raw records are never enriched. Here every streamed partition
is delivered strictly in offset order from where the consumer was positioned (services/offsets.py): a
hole makes the consumer seek back and read again, and a commit never starts past an unprocessed offset.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import aiokafka
from aiokafka.errors import IllegalStateError
from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message

from services.offsets import InOrderOffsets, Verdict

SCHEME = "vigiekafka"
DEFAULT_FETCH_MAX_WAIT_MS = 20

log = logging.getLogger(__name__)


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
                    owner.in_order.forget(tp)
                    continue
                owner.in_order.expect(tp, start)  # before the seek: a stale record now triggers a rewind
                consumer.seek(tp, start)
            except IllegalStateError:  # revoked meanwhile: the next assignment seeks again
                owner.in_order.forget(tp)
        return committed

    async def rewind(self, tp: TP, offset: int) -> None:
        await self.call_thread(self._rewind, tp, offset)

    async def _rewind(self, tp: TP, offset: int) -> None:
        consumer = self._ensure_consumer()
        if tp in consumer.assignment():
            consumer.seek(tp, offset)


class Consumer(faust_aiokafka.Consumer):
    _thread: ConsumerThread

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.in_order: InOrderOffsets[TP] = InOrderOffsets()
        super().__init__(*args, **kwargs)

    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def _in_order_applies(self, tp: TP) -> bool:
        return self.app.topics.acks_enabled_for(tp.topic) and not self._is_changelog_tp(tp)

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:  # noqa: ASYNC109 (Faust's)
        self.in_order.new_batch()
        async for tp, message in super().getmany(timeout):
            if not self._in_order_applies(tp):
                yield tp, message
                continue
            verdict = self.in_order.check(tp, message.offset)
            if verdict is Verdict.DELIVER:
                yield tp, message
            elif verdict is Verdict.REWIND:
                expected = self.in_order.next_offset(tp)
                assert expected is not None
                log.info(
                    "%s: expected offset %d, got %d: reading again from %d",
                    tp,
                    expected,
                    message.offset,
                    expected,
                )
                await self._thread.rewind(tp, expected)
            elif verdict is Verdict.ACCEPT_HOLE:
                log.warning("%s: offsets before %d are missing from the broker; going on", tp, message.offset)
                yield tp, message

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        for tp in revoked:
            self.in_order.forget(tp)
        await super().on_partitions_revoked(revoked)

    def _new_offset(self, tp: TP) -> int | None:
        # Faust lets a commit start one past the committed offset (`min(acked) - committed > 1`), which
        # commits over a record that was never acked; a commit must start exactly at the committed offset.
        acked: Iterable[int] = self._acked[tp]
        committed = self._committed_offset[tp]
        if committed is not None and acked and not self._gap[tp] and min(acked) > committed:
            return None
        return super()._new_offset(tp)


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer


TRANSPORTS.aliases[SCHEME] = f"{__name__}:Transport"
