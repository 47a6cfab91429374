"""Agent: partial aggregates -> per-watchlist window table -> throttled `metrics` updates and history.

It takes the partials topic in batches (streams/batching.py) and reads and writes each watchlist's window
state once per batch; every partial still carries its raw record's (partition, offset), and the state
remembers which it applied, so a batch read again after a kill or a rebalance counts each record once.

The window table's changelog lives on the broker; the history tables (services/history/) keep the same
state in the database, written at most every `history_flush_interval_s` off the event loop, with the
minute roll-ups it implies. A watchlist the table does not know (a fresh broker, after a rotation or a
restart of `vigie run`) starts from the state saved in the database, so its totals, sparkline and timeline
go on where they were.
"""

from __future__ import annotations

import asyncio
import logging
import time

import faust
import msgspec
from sqlalchemy.exc import SQLAlchemyError

from services import updates
from services.aggregation.aggregate import (
    DecodedStates,
    PublishThrottle,
    apply_partials,
    decode_partials,
    encode_state,
    for_watchlist,
    metrics_message,
)
from services.aggregation.windows import EventClock, WindowState
from services.history.rollups import minutes_touched
from services.history.sink import HistorySink, restore_state, resumed_clock
from services.history.store import HistoryStore
from services.history.writer import HistoryWriter
from services.runtime.config_feed import ConfigFeed
from services.runtime.epoch import current_epoch
from services.runtime.ownership import owns
from services.settings import Settings
from services.understanding.enrich import Partial
from streams.batching import Batches, acting_for
from streams.topics import Topics

TABLE = "aggregate-windows"
#: Minute rows older than the minute retention are folded into hours this often.
COMPACT_INTERVAL_S = 3600.0

log = logging.getLogger(__name__)


def register(app: faust.App, settings: Settings, topics: Topics, feed: ConfigFeed) -> None:
    table = app.Table(
        TABLE,
        default=None,
        partitions=settings.topic_partitions,
        key_type=bytes,
        value_type=bytes,
    )
    clock = EventClock()
    throttle = PublishThrottle(settings.publish_interval_ms / 1000)
    grace_s = settings.window_grace_s
    last_refresh = {"at": 0.0, "compacted": time.monotonic()}
    history = HistoryStore(settings.db_url)
    epoch = current_epoch(settings)
    sink = HistorySink(epoch)
    writer = HistoryWriter(history.save)  # in order, even past a cancelled flush (services/history/writer.py)
    #: States saved under a previous broker (renewed, or restarted with `vigie run`), whose changelog is gone:
    #: published as they are until a partial brings them into the table. States of this broker's epoch are
    #: in its changelog, which Faust restores into the table.
    foreign = history.snapshots_before(epoch)
    saved: dict[str, WindowState] = {s.watchlist_id: restore_state(s, epoch) for s in foreign}
    resumed_ts = resumed_clock(foreign, time.time())
    if resumed_ts is not None:
        clock.observe(resumed_ts)  # a replay of older mentions reads on where it was

    states = DecodedStates()

    def created_ts(name: str) -> float | None:
        """When the watchlist `name` was created, as the configuration says (None: it does not know it)."""
        watchlist = feed.watchlists.get(name)
        return watchlist.created_at.timestamp() if watchlist is not None else None

    def state_of(key: bytes) -> WindowState | None:
        """The key's state, to read only: empty for a watchlist created again since it was written."""
        value = table.get(key)
        state: WindowState | None
        if value is not None:
            state = states.read(key, value)
        elif app.in_recovery:  # the table may not hold this broker's state of the key yet
            return None
        else:
            state = saved.get(key.decode())
        if state is None:
            return None
        since = created_ts(key.decode())
        if since is not None and state.created_ts is not None and since > state.created_ts:
            return WindowState(created_ts=since)
        return state

    async def publish(key: bytes) -> None:
        state = state_of(key)
        if state is None:
            return
        message = metrics_message(key.decode(), state, clock.now(), settings.count_coordinated)
        await topics.updates.send(key=key, value=updates.encode(message))

    @app.agent(topics.partials, name="aggregate")
    async def aggregate(stream: faust.StreamT[bytes]) -> None:
        # Acked by hand once the batch's table writes are made: a batch left half-way (a worker stopping)
        # is read again, and the partials it had applied are skipped (`WindowState.already_applied`).
        batches = Batches(
            app, stream, settings.worker_batch_max_records, settings.worker_batch_wait_ms / 1000
        )
        async for events in batches:
            with batches.working():
                await apply_batch(events)
                await batches.ack(events)

    async def apply_batch(events: list[faust.EventT[bytes]]) -> None:
        """One table read and write per watchlist for all its partials in the batch, in arrival order."""
        pending: dict[bytes, list[Partial]] = {}
        latest: dict[bytes, faust.EventT[bytes]] = {}
        for event in events:
            key = event.key
            assert isinstance(key, bytes)
            try:
                partials = decode_partials(event.value)
            except msgspec.MsgspecError as error:
                message = event.message
                log.error(
                    "aggregate: expected a partial aggregate or a JSON array of them at %s:%d@%d, got %s",
                    message.topic,
                    message.partition,
                    message.offset,
                    error,
                )
                continue
            # The latest event of the key: its partition is the key's, so the write goes to that changelog
            # partition as if made while iterating it.
            latest[key] = event
            pending.setdefault(key, []).extend(partials)
        for key, partials in pending.items():
            value = table.get(key)
            state = states.take(key, value) if value is not None else saved.get(key.decode(), WindowState())
            state, partials = for_watchlist(state, partials, created_ts(key.decode()))
            applied = apply_partials(state, partials, clock, grace_s)
            if not applied:
                if value is not None:
                    states.keep(key, value, state)  # untouched
                continue
            encoded = encode_state(state)
            with acting_for(latest[key]):
                table[key] = encoded
            states.keep(key, encoded, state)
            saved.pop(key.decode(), None)  # the table holds it now
            for partial in applied:
                sink.note(partial.watchlist, minutes_touched(partial.buckets))
            if throttle.changed(key.decode(), time.monotonic()):
                await publish(key)

    def owned(key: bytes) -> bool:
        topic = topics.partials.get_topic_name()
        return owns(app.consumer.assignment(), topic, key.decode(), settings.topic_partitions)

    @app.timer(settings.publish_interval_ms / 1000)
    async def publish_pending() -> None:
        now = time.monotonic()
        for name in throttle.due(now):
            key = name.encode()
            # A key whose partition moved to another worker since its change is that worker's to publish:
            # this worker's copy is stale and would overwrite the newer figures on the wall.
            if owned(key):
                await publish(key)
        if now - last_refresh["at"] >= settings.refresh_interval_s:
            last_refresh["at"] = now
            keys = set(table.keys()) | {name.encode() for name in saved}
            for key in keys:
                if owned(key) and not app.rebalancing:
                    await publish(key)

    async def flush() -> None:
        snapshots, minutes = sink.take(
            lambda name: state_of(name.encode()),
            now_ts=clock.now(),
            grace_s=grace_s,
            owned=lambda name: owned(name.encode()),
        )
        if not snapshots and not minutes:
            return
        try:
            await writer.write(snapshots, minutes)
        except SQLAlchemyError as error:
            sink.give_back(snapshots, minutes)
            log.warning(
                "history: could not write %d window states (%s); will try again", len(snapshots), error
            )

    @app.timer(settings.history_flush_interval_s)
    async def flush_history() -> None:
        await flush()
        if time.monotonic() - last_refresh["compacted"] >= COMPACT_INTERVAL_S:
            last_refresh["compacted"] = time.monotonic()
            mine = [key.decode() for key in list(table.keys()) if owned(key)]
            await asyncio.to_thread(
                history.compact,
                mine,
                now_ts=time.time(),
                minute_keep_s=settings.history_minute_days * 86_400,
                keep_s=settings.history_days * 86_400,
            )

    async def flush_on_stop(app: faust.App, **_: object) -> None:
        await flush()

    app.on_before_shutdown.connect(flush_on_stop)  # type: ignore[arg-type]  # mode's signal typing
