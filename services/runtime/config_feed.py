"""The configuration broadcast: the database is the source of truth, `vigie.config` carries it to workers.

Each record is keyed `watchlist:<id>`; its value is the watchlist as JSON, or empty when it was deleted.
Connectors configured through the API travel the same way as `connector:<name>` (the spec as JSON; the
connector host, services/connectors/host.py, runs them).
Every process that needs the configuration reads the whole topic from the beginning (no consumer group)
and keeps the latest value per key.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import msgspec
from aiokafka import AIOKafkaProducer

from services.connectors.specs import Spec, encode_spec, spec_name
from services.runtime.epoch import EpochWatch
from services.runtime.topic_follower import TopicFollower
from services.understanding.watchlists import Watchlist

log = logging.getLogger(__name__)

WATCHLIST_PREFIX = "watchlist:"
CONNECTOR_PREFIX = "connector:"

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


def connector_record(spec: Spec) -> tuple[bytes, bytes]:
    return f"{CONNECTOR_PREFIX}{spec_name(spec)}".encode(), encode_spec(spec).encode()


def connector_tombstone(name: str) -> tuple[bytes, bytes]:
    return f"{CONNECTOR_PREFIX}{name}".encode(), b""


async def publish_connectors(
    producer: AIOKafkaProducer, topic: str, specs: list[Spec], deleted: list[str] | None = None
) -> None:
    records = [connector_record(s) for s in specs] + [connector_tombstone(n) for n in deleted or []]
    futures = [await producer.send(topic, value, key=key) for key, value in records]
    await asyncio.gather(*futures)


class ConfigFeed:
    """Follows the config topic; `ready` is set once the records present at start have been read, and
    `on_change` gets the whole watchlist set after each batch that changed it (and once when ready)."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        on_change: Callable[[dict[str, Watchlist]], None],
        fetch_max_wait_ms: int = 100,
        epoch: EpochWatch | None = None,
    ) -> None:
        self.on_change = on_change
        self.watchlists: dict[str, Watchlist] = {}
        self._changed = False
        self._follower = TopicFollower(
            bootstrap, topic, self._on_record, fetch_max_wait_ms, self._on_batch, epoch=epoch
        )
        self.ready = self._follower.ready

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

    def _on_record(self, key: bytes | None, value: bytes | None) -> None:
        self._changed |= self.apply(key, value)

    def _on_batch(self) -> None:
        if self._changed or not self.ready.is_set():
            self._changed = False
            if not self.ready.is_set():
                log.info("configuration loaded: %d watchlists", len(self.watchlists))
            self.on_change(dict(self.watchlists))

    async def run(self) -> None:
        await self._follower.run()
