"""What the api knows about running connectors: the latest status each one published on vigie.updates."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson

from services.runtime.epoch import EpochWatch
from services.runtime.kafka import UPDATES
from services.runtime.topic_follower import TopicFollower
from services.settings import Settings

log = logging.getLogger(__name__)

#: On start, how many recent updates per partition are read to find the connectors' last statuses.
WARM_UP_RECORDS = 2000


class ConnectorBoard:
    def __init__(self, silent_after_s: float) -> None:
        self.silent_after_s = silent_after_s
        self.statuses: dict[str, dict[str, Any]] = {}

    def apply(self, message: Any) -> None:
        """A connector status; one saying it stopped on purpose removes the connector."""
        if isinstance(message, dict) and message.get("type") == "connector" and message.get("id"):
            if message.get("stopped"):
                self.statuses.pop(str(message["id"]), None)
            else:
                self.statuses[str(message["id"])] = message

    def items(self, now_ts: float | None = None) -> list[dict[str, Any]]:
        """Every connector heard from, with `alive` false once it has been silent too long."""
        now_ts = time.time() if now_ts is None else now_ts
        return [
            {**status, "alive": now_ts - float(status.get("at_ts") or 0) <= self.silent_after_s}
            for _, status in sorted(self.statuses.items())
        ]


async def follow_connector_statuses(settings: Settings, board: ConnectorBoard) -> None:
    """Keep `board` current from the updates topic, until cancelled."""

    def on_record(key: bytes | None, value: bytes | None) -> None:
        if key and key.startswith(b"connector:"):
            try:
                board.apply(orjson.loads(value or b""))
            except orjson.JSONDecodeError:
                log.error("unreadable connector status: %r", (value or b"")[:200])

    wait_ms = max(settings.consumer_fetch_max_wait_ms, 200)
    topic = settings.topic(UPDATES)
    epoch = EpochWatch.for_settings(settings)
    await TopicFollower(
        settings.bootstrap, topic, on_record, wait_ms, tail=WARM_UP_RECORDS, epoch=epoch
    ).run()
