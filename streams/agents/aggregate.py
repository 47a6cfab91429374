"""Agent: partial aggregates -> per-watchlist window table -> throttled `metrics` updates."""

from __future__ import annotations

import time

import faust
import msgspec
import orjson

from services.aggregate import PublishThrottle, apply_partial, decode_state, encode_state, metrics_message
from services.enrich import Partial
from services.kafka import partition_for
from services.settings import Settings
from services.windows import EventClock
from streams.topics import Topics

TABLE = "aggregate-windows"


def register(app: faust.App, settings: Settings, topics: Topics) -> None:
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
    decode_partial = msgspec.json.Decoder(Partial).decode
    last_refresh = {"at": 0.0}

    async def publish(key: bytes) -> None:
        state = decode_state(table.get(key))
        message = metrics_message(key.decode(), state, clock.now(), settings.count_coordinated)
        await topics.updates.send(key=key, value=orjson.dumps(message))

    @app.agent(topics.partials, name="aggregate")
    async def aggregate(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            key = event.key
            assert isinstance(key, bytes)
            partial = decode_partial(event.value)
            state = decode_state(table.get(key))
            if apply_partial(state, partial, clock, grace_s):
                table[key] = encode_state(state)
                if throttle.changed(key.decode(), time.monotonic()):
                    await publish(key)

    def owned(key: bytes) -> bool:
        assignment = app.consumer.assignment()
        partition = partition_for(key.decode(), settings.topic_partitions)
        return any(
            tp.topic == topics.partials.get_topic_name() and tp.partition == partition for tp in assignment
        )

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
            for key in list(table.keys()):
                if owned(key):
                    await publish(key)
