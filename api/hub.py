"""The live hub of one api process: follows `vigie.updates` and fans every change out to websockets.

Each api process consumes the whole updates topic (no consumer group), so api nodes scale horizontally
and each serves its own clients. Every change is serialised once, and the same text is handed to every
client: as one pre-built frame written straight to each client that is idle (api/direct_frames.py), through
the client's own queue otherwise. A client's queue holds at most `CLIENT_QUEUE_MAX` messages; a client that
cannot keep up (a slow screen, a frozen tab) is not closed and does not grow the server's memory: past
that, it keeps only the latest message per key (`message_key`: the metrics of each watchlist, the latest
swarms, ...), which it gets when it catches up, the queued messages first, then the latest ones in the order
they last changed. One that needs more than `CLIENT_KEYS_MAX` keys gets a fresh snapshot instead. A client
that stops reading for good is found by the server's websocket pings (uvicorn: a ping every 20 s, closed
when no pong comes within 20 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import msgspec
from starlette.websockets import WebSocket

from api.direct_frames import DirectWriter, text_frame
from services.aggregation.aggregate import with_share_of_voice
from services.runtime.config_feed import ConfigFeed
from services.runtime.epoch import EpochWatch
from services.runtime.hold import IngestHold, Paused
from services.runtime.kafka import CONFIG, UPDATES
from services.runtime.topic_follower import TopicFollower
from services.settings import Settings
from services.understanding.enrich import MentionItem
from services.understanding.watchlists import Watchlist, own_handles
from services.updates import (
    Alert,
    ConnectorStatus,
    Coordination,
    Correction,
    Heartbeat,
    Influencers,
    Mentions,
    Metrics,
    Snapshot,
    Swarms,
    Update,
    WallMessage,
    Watchlists,
    WorkerStatus,
    decode_update,
    encode,
    type_named,
    type_of,
)

log = logging.getLogger(__name__)
#: A hub loop that failed starts again after this delay (`Hub._keep_running`).
LOOP_RESTART_DELAY_S = 1.0

TICKER_KEPT = 50
#: Messages queued for one client; past this the client is behind and keeps only the latest per key.
CLIENT_QUEUE_MAX = 64
#: Keys a client that is behind may hold (watchlists' metrics and influencers, open alerts, ...); past this
#: it gets one fresh snapshot when it catches up.
CLIENT_KEYS_MAX = 1024
HEARTBEAT_S = 5.0
#: How often the hub looks whether ingest is held.
INGEST_HOLD_CHECK_S = 1.0
#: On start, how many recent updates per partition are read to warm the snapshot.
WARM_UP_RECORDS = 500
#: A snapshot is reused for new clients while nothing changed, for at most this long (its server_time).
SNAPSHOT_REUSE_S = 1.0
#: A worker not heard from for this long is counted as gone.
WORKER_SILENT_AFTER_S = 10.0
#: An insights process not heard from this long after the api started, or after ingest was held, is said to
#: be down: its first status comes once it holds its partitions, longer than a status interval after a start.
INSIGHTS_FIRST_STATUS_GRACE_S = 45.0
#: An insights process silent this long (two status intervals and more) when ingest is released was
#: restarted with the broker: it has INSIGHTS_FIRST_STATUS_GRACE_S, not WORKER_SILENT_AFTER_S, to report.
INSIGHTS_RESTARTED_AFTER_S = 5.0


def message_key(message: WallMessage) -> str:
    """What a newer message replaces for a client that is behind: its type, and the watchlist or alert it
    is about. `mentions` (ticker items) are keyed by type too: such a client gets the latest items only."""
    match message:
        case Metrics() | Influencers():
            return f"{type_of(type(message))}:{message.watchlist}"
        case Alert():
            return f"alert:{message.alert.get('alert_id')}"
        case Correction():
            return f"correction:{message.mention}"
    return type_of(type(message))


class Client:
    """One websocket's outgoing messages: a bounded queue, then the latest message per key (see above)."""

    def __init__(self, websocket: WebSocket, key_id: str | None = None) -> None:
        self.websocket = websocket
        #: The API key it connected with (None when auth is off): revoking the key closes the client.
        self.key_id = key_id
        self.revoked = asyncio.Event()
        self.queue: deque[str] = deque()
        #: While behind: the latest text per key, the longest unchanged first.
        self.latest: dict[str, str] = {}
        #: Behind by more than CLIENT_KEYS_MAX keys: the next message is a fresh snapshot.
        self.resync = False
        #: Messages this client never got because a newer one of the same key (or a snapshot) replaced them.
        self.replaced = 0
        self._ready = asyncio.Event()
        #: Writes a pre-built frame straight to the connection (None: not served by uvicorn's protocol).
        self.direct = DirectWriter.of(websocket)
        #: The pump is sending a message: a newer one must wait its turn behind it.
        self.sending = False
        #: Messages written straight to the connection.
        self.written_direct = 0

    @property
    def behind(self) -> bool:
        return self.resync or bool(self.latest)

    @property
    def pending(self) -> int:
        """Messages waiting for this client (at most CLIENT_QUEUE_MAX + CLIENT_KEYS_MAX)."""
        return len(self.queue) + len(self.latest) + self.resync

    def offer(self, key: str, text: str, frame: bytes | None = None) -> None:
        """Hand a message over: written at once as `frame` (the same message as a websocket frame) when the
        client is idle and its connection takes it, queued for its pump otherwise."""
        if (
            frame is not None
            and self.direct is not None
            and not self.sending
            and not self.queue
            and not self.behind
            and self.direct.write(frame)
        ):
            self.written_direct += 1
            return
        if not self.behind and len(self.queue) < CLIENT_QUEUE_MAX:
            self.queue.append(text)
        elif self.resync:
            self.replaced += 1
        else:
            if self.latest.pop(key, None) is not None:
                self.replaced += 1
            self.latest[key] = text
            if len(self.latest) > CLIENT_KEYS_MAX:
                self.replaced += len(self.latest)
                self.latest.clear()
                self.resync = True
        self._ready.set()

    def next_text(self, snapshot_text: Callable[[], str]) -> str | None:
        """The next text to send, oldest first; None when nothing waits."""
        if self.queue:
            return self.queue.popleft()
        if self.resync:
            self.resync = False
            return snapshot_text()
        if self.latest:
            return self.latest.pop(next(iter(self.latest)))
        return None

    async def pump(self, snapshot_text: Callable[[], str]) -> None:
        """Send what is offered, as fast as the client reads (`snapshot_text` builds a resync's snapshot)."""
        while True:
            text = self.next_text(snapshot_text)
            if text is None:
                self._ready.clear()
                await self._ready.wait()
            else:
                self.sending = True
                try:
                    await self.websocket.send_text(text)
                finally:
                    self.sending = False


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


class Hub:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.metrics: dict[str, Metrics] = {}
        #: The latest `swarms` and `coordination` messages, and `influencers` message per watchlist.
        self.swarms: Swarms | None = None
        self.coordination: Coordination | None = None
        self.influencers: dict[str, Influencers] = {}
        #: Open alerts (firing or acknowledged) by id, as api/alert_feed.py hands them over.
        self.alerts: dict[str, dict[str, Any]] = {}
        self.ticker: deque[MentionItem] = deque(maxlen=TICKER_KEPT)
        self.clients: set[Client] = set()
        self.watchlists: dict[str, Watchlist] = {}
        self.feed = ConfigFeed(
            settings.bootstrap,
            settings.topic(CONFIG),
            on_change=self._on_watchlists,
            epoch=EpochWatch.for_settings(settings),
        )
        self.updates = TopicFollower(
            settings.bootstrap,
            settings.topic(UPDATES),
            self._on_update_record,
            settings.consumer_fetch_max_wait_ms,
            tail=WARM_UP_RECORDS,
            epoch=EpochWatch.for_settings(settings),
            batch_interval_s=settings.consumer_fetch_max_wait_ms / 1000,
        )
        self._tasks: list[asyncio.Task[None]] = []
        #: How often each of the hub's loops failed and was started again (`_keep_running`; in /readyz).
        self.loop_restarts: dict[str, int] = {}
        self.updates_seen = 0
        #: Each worker process heard from: when, and its stage (services/updates.py `WorkerStatus`).
        self.workers: dict[str, tuple[float, str]] = {}
        #: When the api started or ingest was last released (`insights_silent_since`).
        self.resumed_ts = time.time()
        #: Bumped by every change sent to clients: a snapshot built at the same version is still exact.
        self._version = 0
        self._snapshot_cache: tuple[int, float, str] | None = None

    # -- state -------------------------------------------------------------------------------------------

    def _on_watchlists(self, watchlists: dict[str, Watchlist]) -> None:
        # The figures of a watchlist deleted, or deleted and created again under its id, are not the new
        # one's: its tile starts empty until the worker counts for it.
        for watchlist_id in list(self.metrics):
            now, before = watchlists.get(watchlist_id), self.watchlists.get(watchlist_id)
            if now is None or (before is not None and before.created_at != now.created_at):
                del self.metrics[watchlist_id]
        self.watchlists = watchlists
        self.broadcast(Watchlists(items=self.watchlist_items()))

    def watchlist_items(self) -> list[dict[str, Any]]:
        """The watchlists as the protocol sends them, each with its `own_handles` (the wall shows its own
        accounts apart from the people who talk about it)."""
        ordered = sorted(self.watchlists.values(), key=lambda w: (w.group, w.id))
        return [{**msgspec.to_builtins(w), "own_handles": own_handles(w)} for w in ordered]

    def apply_update(self, message: Update) -> WallMessage | None:
        """Fold one message from the updates topic into the hub's state; return what clients should get."""
        match message:
            case Metrics():
                groups = {w.id: w.group for w in self.watchlists.values()}
                self.metrics[message.watchlist] = with_share_of_voice(message, self.metrics, groups)
            case Mentions():
                self.ticker.extend(message.items)
            case Swarms():
                self.swarms = message
            case Coordination():
                self.coordination = message
            case Influencers():
                self.influencers[message.watchlist] = message
            case Correction():  # people relabelled a mention (api/routes/corrections.py)
                for item in self.ticker:
                    if item.id == message.mention:
                        item.sentiment = message.sentiment
            case WorkerStatus():
                self.workers[message.id] = (message.at_ts, message.stage)
                return None
            case ConnectorStatus():  # the connector board's (services/connectors/board.py)
                return None
        return message

    def workers_alive(self, now: float | None = None, stage: str | None = None) -> int:
        """Worker processes heard from within WORKER_SILENT_AFTER_S (of `stage` only, when given)."""
        now = time.time() if now is None else now
        return sum(
            1
            for seen, of in self.workers.values()
            if now - seen <= WORKER_SILENT_AFTER_S and stage in (None, of)
        )

    def insights_silent_since(self, now: float | None = None) -> float | None:
        """When the insights process (alert rules, swarms, influencers, coordination) was last heard from,
        once it has been silent for WORKER_SILENT_AFTER_S; None while one reports. After the api starts, and
        after a hold of ingest during which it fell silent (a broker renewal restarts it), one not heard from
        since has INSIGHTS_FIRST_STATUS_GRACE_S to report. Walls say that those panels and the alert rules
        stand still, while counts and sentiment, which the workers compute, stay live."""
        now = time.time() if now is None else now
        last = self._insights_last_seen()
        if last is None or last < self.resumed_ts:  # not heard from since the api started or ingest resumed
            late = now - self.resumed_ts > INSIGHTS_FIRST_STATUS_GRACE_S
            return (last or self.resumed_ts) if late else None
        return last if now - last > WORKER_SILENT_AFTER_S else None

    def ingest_resumed(self, now: float | None = None) -> None:
        """Ingest is released: an insights process silent for a few status intervals was restarted with the
        broker, and is given time to report again (`insights_silent_since`)."""
        now = time.time() if now is None else now
        last = self._insights_last_seen()
        if last is None or now - last > INSIGHTS_RESTARTED_AFTER_S:
            self.resumed_ts = now

    def _insights_last_seen(self) -> float | None:
        return max((at for at, stage in self.workers.values() if stage == "insights"), default=None)

    def snapshot(self) -> Snapshot:
        known = self.watchlists
        return Snapshot(
            server_time=_now_iso(),
            watchlists=self.watchlist_items(),
            metrics={key: value for key, value in self.metrics.items() if key in known},
            mentions=list(self.ticker),
            swarms=self.swarms,
            coordination=self.coordination,
            influencers={key: value for key, value in self.influencers.items() if key in known},
            alerts=list(self.alerts.values()),
        )

    # -- clients -----------------------------------------------------------------------------------------

    def snapshot_text(self) -> str:
        """The snapshot as sent, built once for all the clients that connect between two changes (a wall
        of 1,000 screens reconnecting at once costs one snapshot, not 1,000)."""
        now = time.monotonic()
        cached = self._snapshot_cache
        if cached is not None and cached[0] == self._version and now - cached[1] < SNAPSHOT_REUSE_S:
            return cached[2]
        text = encode(self.snapshot()).decode()
        self._snapshot_cache = (self._version, now, text)
        return text

    def connect(self, websocket: WebSocket, key_id: str | None = None) -> Client:
        client = Client(websocket, key_id)
        client.offer("snapshot", self.snapshot_text())
        self.clients.add(client)
        return client

    def disconnect(self, client: Client) -> None:
        self.clients.discard(client)

    def revoke(self, key_ids: set[str]) -> int:
        """Mark the clients connected with these keys for closing; how many there were."""
        marked = [client for client in self.clients if client.key_id in key_ids]
        for client in marked:
            client.revoked.set()
        return len(marked)

    def broadcast(self, message: WallMessage) -> None:
        if not isinstance(message, Heartbeat):
            self._version += 1  # every state change reaches clients through here
        if not self.clients:
            return
        data = encode(message)  # once for every client
        key, text, frame = message_key(message), data.decode(), text_frame(data)
        for client in self.clients:
            client.offer(key, text, frame)

    # -- background tasks --------------------------------------------------------------------------------

    async def start(self) -> None:
        loops: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
            "hub-config": self.feed.run,
            "hub-updates": self.updates.run,
            "hub-heartbeat": self._heartbeat,
        }
        self._tasks = [
            asyncio.create_task(self._keep_running(name, loop), name=name) for name, loop in loops.items()
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.feed.ready.wait(), timeout=20)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _keep_running(self, name: str, loop: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run one of the hub's loops for the api's whole life: one that fails (the broker went away, a
        record it could not fold in) is logged, counted in /readyz and started again, so walls never freeze
        behind a dead loop while the api looks healthy."""
        while True:
            try:
                await loop()
                log.warning("%s ended; starting it again in %.0f s", name, LOOP_RESTART_DELAY_S)
            except asyncio.CancelledError:
                raise
            except Exception:  # logged with its traceback, counted, and the loop starts again
                log.exception("%s failed; starting it again in %.0f s", name, LOOP_RESTART_DELAY_S)
            self.loop_restarts[name] = self.loop_restarts.get(name, 0) + 1
            await asyncio.sleep(LOOP_RESTART_DELAY_S)

    async def _heartbeat(self) -> None:
        """A heartbeat every HEARTBEAT_S, and at once when ingest is held or resumes, or the insights process
        falls silent or reports again (walls say so)."""
        hold = IngestHold(self.settings.data_dir)
        shown: tuple[Paused | None, float | None] | None = None
        sent_at = 0.0
        while True:
            await asyncio.sleep(INGEST_HOLD_CHECK_S)
            paused = hold.paused()
            if paused is None and shown is not None and shown[0] is not None:
                self.ingest_resumed()
            insights_silent = self.insights_silent_since()
            if (paused, insights_silent) == shown and time.monotonic() - sent_at < HEARTBEAT_S:
                continue
            shown, sent_at = (paused, insights_silent), time.monotonic()
            self.broadcast(
                Heartbeat(
                    server_time=_now_iso(),
                    ingest_paused=paused.summary if paused else None,
                    ingest_paused_since_ts=paused.since_ts if paused else None,
                    insights_silent_since_ts=insights_silent,
                )
            )

    def _on_update_record(self, _: bytes | None, value: bytes | None) -> None:
        """One record of the updates topic: decoded once (services/updates.py), folded in, sent on; one the
        protocol does not describe is skipped with a log line naming its type and what did not fit."""
        try:
            message = decode_update(value or b"")
        except msgspec.DecodeError as error:  # ValidationError included: one bad update stops nothing
            log.error(
                "update skipped on %s: expected a message of services/updates.py, got type %r: %s; record %r",
                self.settings.topic(UPDATES),
                type_named(value or b""),
                error,
                (value or b"")[:200],
            )
            return
        self.updates_seen += 1
        outgoing = self.apply_update(message)
        if outgoing is not None:
            self.broadcast(outgoing)
