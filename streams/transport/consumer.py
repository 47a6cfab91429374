"""The consumer: in-order, hole-free delivery per partition, and commits only of what was processed.

Why: see the package docstring (streams/transport/__init__.py); the bookkeeping is offsets.py.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message

from streams.transport.offsets import HandedOut, InOrderOffsets, Verdict
from streams.transport.thread import ConsumerThread

log = logging.getLogger(__name__)


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

        Faust waits until every message handed to its streams is acked; on a topic read by two agents (as
        vigie.mentions.enriched was, by insights and alert-mentions, until 2026-12-07) a message cleared from
        one agent's queue at a rebalance is never acked by it, and the rebalance waited for it forever (seen:
        no worker could join). Cleared messages are read again by whoever owns the partition next.
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

    async def perform_seek(self) -> None:
        """Faust's post-rebalance seek, except that it never lowers the read mark of a partition whose records
        the drain loop delivered since its seek.

        Faust resumes the stream partitions, seeks them one after the other (thread.py `_seek_to_committed`)
        and only then sets every read mark to the committed offset. Records of a partition sought first can
        be delivered meanwhile; the mark then falls back below them, and the drain loop takes the next record
        for one after a hole from the committed offset on and fills that "gap" in as processed (`_add_gap`):
        the next commit passes over every record in it, the ones the agent has not processed yet included. A
        worker killed right after such a commit lost them.
        """
        committed = await self.seek_to_committed()
        for tp, offset in committed.items():
            if self._in_order_applies(tp) and self.in_order.next_offset(tp) != self._sought.get(tp):
                continue  # delivered since the seek (or revoked meanwhile): the drain loop's mark is right
            self._read_offset[tp] = offset if offset is not None and offset >= 0 else None
        self._committed_offset.update(
            {tp: offset if offset else None for tp, offset in committed.items() if offset is not None}
        )

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


def _taken_in(message: Message) -> bool:
    """Whether a stream took the message in (Faust marks it tracked then) or it was acked."""
    return message.tracked or message.acked
