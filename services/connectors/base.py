"""The loop every connector shares: connect → read → convert → filter → batch → publish → persist cursor.

A source (Bluesky, Mastodon, RSS) only speaks its protocol: `read()` yields `Event`s, each carrying the
mention it converted (or None: a delete, an empty post, the end of a feed poll) and a `token` that says
how far the source got. The runner batches events by count and time, publishes the mentions that pass the
track filter, and only once the broker has acknowledged them folds the tokens into the cursor and saves
it. Delivery is therefore at-least-once: after a crash the last unacknowledged batch is read again, and
the stable mention ids (`bsky:<did>/<rkey>`, `mastodon:<host>:<id>`, `rss:<hash>`) let the pipeline's
dedupe absorb the replay. A lost connection is reopened with capped exponential backoff and full jitter,
from the position the source had read (not only the acknowledged one: what was read is still queued).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import httpx
from websockets.exceptions import WebSocketException

from services.connectors.cursor import CursorStore
from services.connectors.track import Track
from services.delivery.guard import TargetPolicy, TargetRefused
from services.ingest.records import Mention
from services.runtime.loops import run_loops
from services.runtime.observability.logs import redact

log = logging.getLogger(__name__)

#: Ids published recently, remembered to drop the overlap of a resume (the pipeline dedupes anyway).
RECENT_IDS_KEPT = 20_000
#: Events read but not yet published, at most; the reader waits (backpressure) beyond this.
QUEUE_MAX = 10_000


class SourceError(Exception):
    """The source answered, but not as expected (HTTP status, handshake, payload); worth a retry."""


#: What ends one connection and calls for a reconnect, as opposed to a bug.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    EOFError,
    httpx.HTTPError,
    WebSocketException,
    SourceError,
    TargetRefused,  # the address may change (DNS) or be allowed; retried with backoff, said in the status
)

#: What a connector's refusal tells the operator to set.
CONNECTOR_SETTING = "VIGIE_CONNECTOR_ALLOW_PRIVATE_TARGETS"
#: Public addresses only: what a connector may reach unless the settings say otherwise.
PUBLIC_ONLY = TargetPolicy(setting=CONNECTOR_SETTING)


@dataclass(frozen=True)
class Event:
    mention: Mention | None
    token: Any = None


@dataclass
class ConnectorStats:
    """Counters a connector publishes about itself (on vigie.updates, type "connector")."""

    name: str
    kind: str
    received: int = 0  # mentions converted from the source
    published: int = 0  # acknowledged by the broker
    filtered: int = 0  # dropped by --track
    duplicates: int = 0  # dropped as already published by this process (resume overlap)
    errors: int = 0  # unreadable payloads, failed connections or polls, refused publishes
    reconnects: int = 0
    last_event_ts: float | None = None  # event time of the newest mention received
    last_error: str | None = None
    connected: bool = False
    rate_per_s: float = 0.0  # mentions received per second since the previous report
    started_ts: float = field(default_factory=time.time)
    _rate_mark: tuple[float, int] = field(default=(0.0, 0), repr=False)

    def error(self, reason: str) -> None:
        """Count an error; its reason is shown to `read` keys (GET /api/v1/connectors), secrets removed
        (a feed URL may carry a token in its query)."""
        self.errors += 1
        self.last_error = redact(reason)[:500]

    def refresh_rate(self, now_ts: float | None = None) -> None:
        now_ts = time.time() if now_ts is None else now_ts
        then_ts, then_received = self._rate_mark
        if then_ts and now_ts > then_ts:
            self.rate_per_s = (self.received - then_received) / (now_ts - then_ts)
        self._rate_mark = (now_ts, self.received)

    def snapshot(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("_rate_mark")
        return values


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with jitter: attempt n waits uniform(c / 10, c), c = min(cap, base * 2**n).

    The jitter spreads reconnects of many connectors (or many Vigies) after a server restart; the floor
    keeps a flapping server from being hammered with near-zero delays."""

    base_s: float = 1.0
    cap_s: float = 60.0

    def delay_s(self, attempt: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** min(attempt, 30))
        return (rng or random).uniform(ceiling / 10, ceiling)


class Source(Protocol):
    kind: str

    def resume(self, cursor: dict[str, Any]) -> None:
        """Start reading after the position a saved cursor describes."""

    def read(self, stats: ConnectorStats) -> AsyncIterator[Event]:
        """One connection (or poll loop): yield events until it ends or raises a transient error."""

    def advance(self, cursor: dict[str, Any], token: Any) -> dict[str, Any]:
        """Fold one acknowledged event's token into the cursor that will be saved."""


class PublishFailed(Exception):
    """The broker did not acknowledge a publish; the runner retries (mentions) or skips (status) it.

    The process that owns the Kafka producer (services/connectors/process.py) raises it for its client's
    errors, so this loop stays free of any Kafka client.
    """


Publish = Callable[[Sequence[Mention]], Awaitable[int]]
Report = Callable[[dict[str, Any]], Awaitable[None]]


class ConnectorRunner:
    def __init__(
        self,
        source: Source,
        publish: Publish,
        store: CursorStore,
        stats: ConnectorStats,
        *,
        track: Track | None = None,
        batch_max: int = 500,
        batch_wait_s: float = 0.5,
        backoff: Backoff | None = None,
        report: Report | None = None,
        report_interval_s: float = 2.0,
    ) -> None:
        self.source = source
        self.publish = publish
        self.store = store
        self.stats = stats
        self.track = track or Track()
        self.batch_max = batch_max
        self.batch_wait_s = batch_wait_s
        self.backoff = backoff or Backoff()
        self.report = report
        self.report_interval_s = report_interval_s
        self.queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_MAX)
        self._recent: deque[str] = deque()
        self._recent_set: set[str] = set()

    async def run(self) -> None:
        """Until cancelled; a bug in any part (not a lost connection) ends the run with its exception, so
        the process exits and its supervisor restarts it rather than leaving a connector silently stuck."""
        cursor = self.store.load()
        self.source.resume(cursor)
        name = self.stats.name
        loops: dict[str, Coroutine[Any, Any, object]] = {
            f"{name}-read": self._read(),
            f"{name}-publish": self._publish_loop(cursor),
        }
        if self.report is not None:
            loops[f"{name}-report"] = self._report()
        await run_loops(loops, until_one_ends=True)

    # -- reading -----------------------------------------------------------------------------------------

    async def _read(self) -> None:
        attempt = 0
        while True:
            try:
                async for event in self.source.read(self.stats):
                    self.stats.connected = True
                    attempt = 0
                    if event.mention is not None:
                        self.stats.received += 1
                        self.stats.last_event_ts = event.mention.created_ts
                    await self.queue.put(event)
                reason = "the source closed the connection"
            except TRANSIENT_ERRORS as error:
                reason = f"{type(error).__name__}: {error}"
                self.stats.error(reason)
            self.stats.connected = False
            self.stats.reconnects += 1
            delay_s = self.backoff.delay_s(attempt)
            attempt += 1
            log.warning("%s: %s; reconnecting in %.1f s", self.stats.name, reason, delay_s)
            await asyncio.sleep(delay_s)

    # -- publishing --------------------------------------------------------------------------------------

    async def _publish_loop(self, cursor: dict[str, Any]) -> None:
        pending: list[Event] = []
        deadline = 0.0
        while True:
            timeout_s = max(0.0, deadline - time.monotonic()) if pending else None
            try:
                # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that comes as an event
                # arrives, and a deleted connector would never stop.
                async with asyncio.timeout(timeout_s):
                    event = await self.queue.get()
            except TimeoutError:
                cursor = await self._flush(pending, cursor)
                pending = []
                continue
            if not pending:
                deadline = time.monotonic() + self.batch_wait_s
            pending.append(event)
            if len(pending) >= self.batch_max:
                cursor = await self._flush(pending, cursor)
                pending = []

    def _keep(self, mention: Mention) -> bool:
        if not self.track.keeps(mention):
            self.stats.filtered += 1
            return False
        if mention.id in self._recent_set:
            self.stats.duplicates += 1
            return False
        return True

    def _remember(self, mentions: Sequence[Mention]) -> None:
        for mention in mentions:
            self._recent.append(mention.id)
            self._recent_set.add(mention.id)
        while len(self._recent) > RECENT_IDS_KEPT:
            self._recent_set.discard(self._recent.popleft())

    async def _flush(self, events: list[Event], cursor: dict[str, Any]) -> dict[str, Any]:
        mentions = [
            event.mention for event in events if event.mention is not None and self._keep(event.mention)
        ]
        mentions = list({mention.id: mention for mention in mentions}.values())
        attempt = 0
        while mentions:
            try:
                self.stats.published += await self.publish(mentions)
                break
            except PublishFailed as error:
                self.stats.error(f"the broker did not acknowledge {len(mentions)} mentions: {error}")
                delay_s = self.backoff.delay_s(attempt)
                attempt += 1
                log.warning("%s: %s; retrying in %.1f s", self.stats.name, self.stats.last_error, delay_s)
                await asyncio.sleep(delay_s)
        self._remember(mentions)
        for event in events:
            cursor = self.source.advance(cursor, event.token)
        self.store.save(cursor)
        return cursor

    # -- reporting ---------------------------------------------------------------------------------------

    async def _report(self) -> None:
        assert self.report is not None
        while True:
            self.stats.refresh_rate()
            try:
                await self.report(self.stats.snapshot())
            except PublishFailed as error:
                log.warning("%s: could not publish its status: %s", self.stats.name, error)
            await asyncio.sleep(self.report_interval_s)
