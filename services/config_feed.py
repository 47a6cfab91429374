"""The configuration broadcast: the database is the source of truth, `vigie.config` carries it to workers.

Each record is keyed `watchlist:<id>`; its value is the watchlist as JSON, or empty when it was deleted.
Every process that needs the configuration reads the whole topic from the beginning (no consumer group)
and keeps the latest value per key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import msgspec
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.watchlists import Watchlist

log = logging.getLogger(__name__)

WATCHLIST_PREFIX = "watchlist:"
CATCH_UP_TIMEOUT_S = 15.0

_watchlist_decoder = msgspec.json.Decoder(Watchlist)


def watchlist_record(watchlist: Watchlist) -> tuple[bytes, bytes]:
    return f"{WATCHLIST_PREFIX}{watchlist.id}".encode(), msgspec.json.encode(watchlist)


def watchlist_tombstone(watchlist_id: str) -> tuple[bytes, bytes]:
    return f"{WATCHLIST_PREFIX}{watchlist_id}".encode(), b""


async def publish_watchlists(
    producer: AIOKafkaProducer, topic: str, watchlists: list[Watchlist], deleted: list[str] | None = None
) -> None:
    records = [watchlist_record(w) for w in watchlists] + [watchlist_tombstone(i) for i in deleted or []]
    futures = [await producer.send(topic, value, key=key) for key, value in records]
    await asyncio.gather(*futures)


class ConfigFeed:
    """Follows the config topic; `ready` is set once the records present at start have been read."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        on_change: Callable[[dict[str, Watchlist]], None],
        fetch_max_wait_ms: int = 100,
    ) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.on_change = on_change
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.watchlists: dict[str, Watchlist] = {}
        self.ready = asyncio.Event()

    def apply(self, key: bytes | None, value: bytes | None) -> bool:
        """Apply one record; True when the watchlist set changed."""
        name = (key or b"").decode("utf-8", "replace")
        if not name.startswith(WATCHLIST_PREFIX):
            return False
        watchlist_id = name.removeprefix(WATCHLIST_PREFIX)
        if not value:
            return self.watchlists.pop(watchlist_id, None) is not None
        try:
            watchlist = _watchlist_decoder.decode(value)
        except msgspec.DecodeError as error:
            log.error("ignoring unreadable config record %s: %s", name, error)
            return False
        if self.watchlists.get(watchlist_id) == watchlist:
            return False
        self.watchlists[watchlist_id] = watchlist
        return True

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.fetch_max_wait_ms,
        )
        await consumer.start()
        try:
            partitions = consumer.partitions_for_topic(self.topic)
            while not partitions:
                await asyncio.sleep(0.5)
                await consumer._client.force_metadata_update()
                partitions = consumer.partitions_for_topic(self.topic)
            assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
            consumer.assign(assigned)
            await consumer.seek_to_beginning(*assigned)
            end_offsets = await consumer.end_offsets(assigned)
            started = time.monotonic()
            while True:
                batches = await consumer.getmany(timeout_ms=500)
                changed = False
                for records in batches.values():
                    for record in records:
                        changed |= self.apply(record.key, record.value)
                if changed:
                    self.on_change(dict(self.watchlists))
                if not self.ready.is_set():
                    positions = {tp: await consumer.position(tp) for tp in assigned}
                    caught_up = all(positions[tp] >= end_offsets[tp] for tp in assigned)
                    if caught_up or time.monotonic() - started > CATCH_UP_TIMEOUT_S:
                        log.info("configuration loaded: %d watchlists", len(self.watchlists))
                        self.on_change(dict(self.watchlists))
                        self.ready.set()
        finally:
            await consumer.stop()
