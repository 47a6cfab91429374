"""Faust's aiokafka transport with a configurable consumer fetch wait and in-order, hole-free delivery.

Faust's driver hard-codes `fetch_max_wait_ms=1500`; on a quiet topic every hop then waits up to 1.5 s.
This transport takes the wait from the app's `fetch_max_wait_ms` attribute (set from
`Settings.consumer_fetch_max_wait_ms`) and registers itself under the URL scheme `vigiekafka://`.

It also keeps Faust from committing records it never processed. Measured on a worker that joins or
takes over partitions: Faust's fetcher hands over records before its post-rebalance seek to the
committed offsets; the streams drop them, records of the same fetch still arrive after the seek, and
Faust's gap bookkeeping (meant for compacted topics) marks the offsets in between as processed, so the
next commit passes over them and those raw records are never enriched. Here every streamed partition
is delivered strictly in offset order from where the consumer was positioned (streams/transport/offsets.py): a
hole makes the consumer seek back and read again, and a commit never starts past an unprocessed offset.
Records can also vanish after they were handed over (measured: records queued for the enrich agent while
it started, or around a rebalance, never reached it). The consumer follows each record until a stream
takes it in; one not taken while a later one of its partition was, or while nothing is left queued, is read
again from its offset. Every seek back also lowers Faust's own read mark, below which its drain loop
silently drops records.

And it keeps a commit from running ahead of the sends of the records it covers. Faust flushes its producer
before committing, but its buffer flush gives up after 0.1 s without progress and does not see the
message its sender task has taken off the queue and not yet handed to aiokafka; table changelog writes go
through that buffer. A worker killed right after such a commit lost the aggregate state of records it
had committed. Here the producer remembers every message until the broker acknowledged it, and a flush
(so every commit) waits for all those sent before it started.

And end offsets (highwaters) are read exactly: table recovery stops at them, and the embedded broker
reports the last batch's base offset + 1, which missed the last changelog records of a window.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from typing import Any

import aiokafka
from aiokafka.errors import IllegalStateError
from faust.exceptions import ProducerSendError
from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, HeadersArg, Message, RecordMetadata
from faust.types.tuples import FutureMessage

from services.runtime.kafka import exact_end_offsets
from streams.transport.offsets import HandedOut, InOrderOffsets, Verdict

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


class Consumer(faust_aiokafka.Consumer):
    _thread: ConsumerThread

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.in_order: InOrderOffsets[TP] = InOrderOffsets()
        #: Partitions to read again from an offset a stream skipped (seeks are async, acks are not).
        self._redeliver: dict[TP, int] = {}
        #: Where each partition was sought to after its assignment (its committed offset, or its start).
        self._sought: dict[TP, int] = {}
        #: Records handed to the streams and not yet taken in by one (a later one taken: this one was lost).
        self.handed: HandedOut[TP, Message] = HandedOut()
        super().__init__(*args, **kwargs)

    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def _in_order_applies(self, tp: TP) -> bool:
        return self.app.topics.acks_enabled_for(tp.topic) and not self._is_changelog_tp(tp)

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:  # noqa: ASYNC109 (Faust's)
        self.in_order.new_batch()
        for tp, offset in self.handed.lost(_taken_in, self._nothing_queued).items():
            if self.in_order.redeliver(tp, offset):
                log.info(
                    "%s: offset %d never reached its stream (a later one did): reading it again", tp, offset
                )
                self._redeliver[tp] = min(offset, self._redeliver.get(tp, offset))
        redeliver, self._redeliver = self._redeliver, {}
        for tp, offset in redeliver.items():
            await self._rewind(tp, offset)
        async for tp, message in super().getmany(timeout):
            if not self._in_order_applies(tp):
                yield tp, message
                continue
            verdict = self.in_order.check(tp, message.offset)
            if verdict is Verdict.DELIVER:
                self.handed.add(tp, message.offset, message)
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
                await self._rewind(tp, expected)
            elif verdict is Verdict.ACCEPT_HOLE:
                log.warning("%s: offsets before %d are missing from the broker; going on", tp, message.offset)
                self.handed.add(tp, message.offset, message)
                yield tp, message

    def _nothing_queued(self, tp: TP) -> bool:
        """Whether every stream channel fed by `tp` has an empty queue (False when none is known)."""
        channels = self.app.topics._tp_index.get(tp)  # type: ignore[attr-defined]  # Faust's conductor
        return bool(channels) and all(channel.queue.empty() for channel in channels)

    async def _rewind(self, tp: TP, offset: int) -> None:
        """Seek back to `offset` and let Faust's drain loop take the records from there again: it drops every
        record below the last offset it read (`_read_offset`), and only Faust's own seeks lower that."""
        await self._thread.rewind(tp, offset)
        self._read_offset[tp] = offset if offset else None
        self.handed.forget(tp)

    def ack(self, message: Message) -> bool:
        # Faust acks an event its stream skipped without processing it (fetched under an older rebalance
        # generation, or while a rebalance paused the streams), so its offset was committed though no
        # agent saw it. A message no stream took in stays unacked here and is read again.
        if not message.tracked and self._in_order_applies(message.tp):
            if self.in_order.redeliver(message.tp, message.offset):
                log.info(
                    "%s: offset %d was skipped by its stream: reading it again", message.tp, message.offset
                )
                self._redeliver[message.tp] = message.offset
            return False
        if self.in_order.next_offset(message.tp) is None and self._in_order_applies(message.tp):
            # Revoked while an agent was processing it: Faust has already dropped the partition's commit
            # bookkeeping, and an ack now would start it afresh with no committed offset, so the commit
            # made during the rebalance would jump over the records before this one that were never
            # processed. The next owner reads it again.
            self._unacked_messages.discard(message)
            return False
        return super().ack(message)

    async def wait_empty(self) -> None:
        """Wait for the events agents are processing, then commit.

        Faust waits until every message handed to its streams is acked; on a topic read by two agents
        (vigie.mentions.enriched: insights and alert-mentions) a message cleared from one agent's queue at
        a rebalance is never acked by it, and the rebalance waited for it forever (seen: no worker could
        join). Cleared messages are read again by whoever owns the partition next.
        """
        while not self.should_stop and self._events_in_progress():
            await self._wait_for_ack(timeout=1)
        await self.commit_and_end_transactions()

    def _events_in_progress(self) -> bool:
        """Whether an agent holds an event it has not finished (an agent iterating `stream.noack()`
        iterates a clone: Faust links it as the stream's `_next`), or a batch (streams/batching.py)."""
        if getattr(self.app, "batches_in_progress", 0):
            return True
        for agent in self.app.agents.values():
            for actor in list(agent._actors):  # type: ignore[attr-defined]
                stream = getattr(actor, "stream", None)
                while stream is not None:
                    if stream.current_event is not None:
                        return True
                    stream = getattr(stream, "_next", None)
        return False

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        for tp in revoked:
            self.in_order.forget(tp)
            self.handed.forget(tp)
            self._sought.pop(tp, None)
            self._redeliver.pop(tp, None)
        await super().on_partitions_revoked(revoked)

    def _new_offset(self, tp: TP) -> int | None:
        # Faust lets a commit start one past the committed offset (`min(acked) - committed > 1`), which
        # commits over a record that was never acked; a commit must start exactly at the committed offset.
        acked: Iterable[int] = self._acked[tp]
        committed = self._committed_offset[tp]
        if committed is None:  # Faust keeps none for a committed offset of 0: where the consumer was sought
            committed = self._sought.get(tp)
        if committed is not None and acked and not self._gap[tp] and min(acked) > committed:
            return None
        return super()._new_offset(tp)


class Producer(faust_aiokafka.Producer):
    """Faust's aiokafka producer whose `flush()` returns only once every message sent before it was
    acknowledged by the broker (Faust flushes before each commit: see the module docstring)."""

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


def _taken_in(message: Message) -> bool:
    """Whether a stream took the message in (Faust marks it tracked then) or it was acked."""
    return message.tracked or message.acked


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer
    Producer = Producer


TRANSPORTS.aliases[SCHEME] = f"{__name__}:Transport"
