"""Gathering concurrent ingest requests into fewer, larger publishes.

Five thousand single-mention POSTs a second, published one by one, are five thousand raw records, and the
worker pays a fixed cost per record. A `Coalescer` keeps each small request waiting at most `linger_s` from
the first one that waits, then publishes every mention that arrived meanwhile in one call: the publisher packs
them into one record per raw partition (within `ingest_batch_max` mentions and the producer's request size:
services/runtime/kafka.py, services/ingest/packing.py), so a burst of small requests costs the worker a few
records instead of one each.

What a request sees does not change:
- it is answered once every mention of its gathering has been acknowledged by the broker: nothing is
  accepted before it is durable;
- the outcome of that publish is its own: held ingest (`IngestHeld`, answered 503 with Retry-After) or a
  broker error fails each request of the gathering with that error and no other request; resending is safe
  (mentions are deduplicated by id, by content when they carry none);
- its refused items never come here (each request is parsed on its own before).
A request of `flush_mentions` or more is published at once on its own (it would fill a gathering alone,
and a large body does not delay nor share its fate with small ones); a gathering that reaches
`flush_mentions` leaves at once. `linger_s` 0 publishes every request on its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from services.ingest.records import Mention

#: Sends mentions and returns once the broker has acknowledged them all (MentionPublisher.publish).
Publish = Callable[[Sequence[Mention]], Awaitable[int]]


def _consume_outcome(done: asyncio.Future[None]) -> None:
    """A gathering whose requests all went away (their clients hung up) still has its error read."""
    if not done.cancelled():
        done.exception()


class _Gathering:
    """Mentions of the requests waiting together, and the outcome they share."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.mentions: list[Mention] = []
        self.done: asyncio.Future[None] = loop.create_future()
        self.done.add_done_callback(_consume_outcome)
        self.timer: asyncio.TimerHandle | None = None


class Coalescer:
    def __init__(self, publish: Publish, linger_s: float, flush_mentions: int) -> None:
        self._publish = publish
        self.linger_s = linger_s
        self.flush_mentions = max(1, flush_mentions)
        self._open: _Gathering | None = None
        self._sending: set[asyncio.Task[None]] = set()
        #: Requests submitted with mentions, and the publishes that carried them.
        self.requests = 0
        self.publishes = 0

    async def submit(self, mentions: Sequence[Mention]) -> int:
        """Publish `mentions` with those of the requests that arrive within `linger_s`; return how many of
        these were acknowledged (all of them), or raise what the shared publish raised."""
        if not mentions:
            return 0
        self.requests += 1
        if self.linger_s <= 0 or len(mentions) >= self.flush_mentions:
            self.publishes += 1
            return await self._publish(mentions)
        gathering = self._open
        if gathering is None:
            loop = asyncio.get_running_loop()
            gathering = self._open = _Gathering(loop)
            gathering.timer = loop.call_later(self.linger_s, self._send, gathering)
        gathering.mentions.extend(mentions)
        if len(gathering.mentions) >= self.flush_mentions:
            self._send(gathering)
        # Shielded: a request whose client hangs up does not take the others' publish with it.
        await asyncio.shield(gathering.done)
        return len(mentions)

    def _send(self, gathering: _Gathering) -> None:
        if self._open is gathering:
            self._open = None
        if gathering.timer is not None:
            gathering.timer.cancel()
        task = asyncio.create_task(self._publish_gathering(gathering), name="ingest-publish")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _publish_gathering(self, gathering: _Gathering) -> None:
        self.publishes += 1
        try:
            await self._publish(gathering.mentions)
        except asyncio.CancelledError:
            gathering.done.cancel()
            raise
        except Exception as error:  # each waiting request answers with it (api/routes/mentions.py)
            gathering.done.set_exception(error)
        else:
            gathering.done.set_result(None)

    async def close(self) -> None:
        """Send what waits now and return once every publish under way has ended (before the producer
        stops)."""
        if self._open is not None:
            self._send(self._open)
        await asyncio.gather(*self._sending, return_exceptions=True)
