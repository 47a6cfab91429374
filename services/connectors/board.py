"""What the api knows about running connectors: the latest status each one published on vigie.updates."""

from __future__ import annotations

import logging
import time
from typing import Any

import msgspec

from services.runtime.epoch import EpochWatch
from services.runtime.kafka import UPDATES
from services.runtime.topic_follower import TopicFollower
from services.settings import Settings
from services.updates import ConnectorStatus, decode_update

log = logging.getLogger(__name__)

#: On start, how many recent updates per partition are read to find the connectors' last statuses.
WARM_UP_RECORDS = 2000
#: The updates topic is read at most this often: connectors report every few seconds, and the metrics and
#: ticker records between are only skipped here (read one by one, they cost the api a fetch every few).
STATUS_READ_INTERVAL_S = 0.5


class ConnectorBoard:
    def __init__(self, silent_after_s: float) -> None:
        self.silent_after_s = silent_after_s
        self.statuses: dict[str, ConnectorStatus] = {}

    def apply(self, status: ConnectorStatus) -> None:
        """A connector status; one saying it stopped on purpose removes the connector."""
        if status.stopped:
            self.statuses.pop(status.id, None)
        else:
            self.statuses[status.id] = status

    def items(self, now_ts: float | None = None) -> list[dict[str, Any]]:
        """Every connector heard from, with `alive` false once it has been silent too long."""
        now_ts = time.time() if now_ts is None else now_ts
        return [
            {**msgspec.to_builtins(status), "alive": now_ts - status.at_ts <= self.silent_after_s}
            for _, status in sorted(self.statuses.items())
        ]


async def follow_connector_statuses(settings: Settings, board: ConnectorBoard) -> None:
    """Keep `board` current from the updates topic, until cancelled."""

    def on_record(key: bytes | None, value: bytes | None) -> None:
        if key and key.startswith(b"connector:"):
            try:
                status = decode_update(value or b"")
            except msgspec.DecodeError as error:
                log.error("unreadable connector status (%s): %r", error, (value or b"")[:200])
                return
            if isinstance(status, ConnectorStatus):
                board.apply(status)

    wait_ms = max(settings.consumer_fetch_max_wait_ms, 200)
    topic = settings.topic(UPDATES)
    epoch = EpochWatch.for_settings(settings)
    await TopicFollower(
        settings.bootstrap,
        topic,
        on_record,
        wait_ms,
        tail=WARM_UP_RECORDS,
        epoch=epoch,
        batch_interval_s=STATUS_READ_INTERVAL_S,
    ).run()
