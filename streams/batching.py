"""Faust events in batches, for agents that ack by hand and must keep at-least-once exact.

`Batches` wraps faust's `Stream.noack_take`: it yields what arrived within `wait_s` (at most `max_records`
events), one event when traffic is quiet. Nothing is acked until the agent calls `ack` after its work
(sends handed to the producer, table writes made): an agent cancelled mid-batch leaves the whole batch to
be read again. Two things Faust does for one event at a time are done here for a batch:
- a batch taken before a rebalance (older consumer generation, or taken while Faust paused the streams) is
  dropped unacked, so the partition's next owner, or this worker after its seek, reads it again;
- while the agent works on a batch the worker's consumer sees it in progress (`VigieApp.batches_in_progress`,
  read by streams/transport/consumer.py `wait_empty`), so a rebalance waits for it as it waits for a single
  event.
`acting_for(event)` makes `event` the current event of the agent's task (what `faust.current_event()`
answers): a table write then goes to the changelog partition of that event, as in plain stream iteration.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import faust
from faust import streams as faust_streams

log = logging.getLogger(__name__)


class Batches:
    def __init__(self, app: faust.App, stream: faust.StreamT[Any], max_records: int, wait_s: float) -> None:
        self.app = app
        self.max_records = max_records
        self.wait_s = wait_s
        self.records: faust.StreamT[Any] = stream.noack()  # type: ignore[attr-defined]  # not in StreamT

    async def __aiter__(self) -> AsyncIterator[list[faust.EventT[Any]]]:
        taken = self.records.noack_take(self.max_records, within=self.wait_s)  # type: ignore[attr-defined]
        async for events in taken:
            fresh = [event for event in events if self._current(event)]
            if len(fresh) < len(events):
                log.info("%d events taken before a rebalance left to be read again", len(events) - len(fresh))
            if fresh:
                yield fresh

    def _current(self, event: faust.EventT[Any]) -> bool:
        """Whether Faust would hand this event to an agent now (its stream loop skips the others)."""
        return (
            self.app.flow_control.is_active()
            and event.message.generation_id == self.app.consumer_generation_id
        )

    @contextmanager
    def working(self) -> Iterator[None]:
        """The agent works on a batch: a rebalance waits until it is done."""
        app: Any = self.app
        app.batches_in_progress += 1
        try:
            yield
        finally:
            app.batches_in_progress -= 1

    async def ack(self, events: Sequence[faust.EventT[Any]]) -> None:
        for event in events:
            await self.records.ack(event)


@contextmanager
def acting_for(event: faust.EventT[Any]) -> Iterator[None]:
    token = faust_streams._current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        faust_streams._current_event.reset(token)
