"""One connector as a process (`vigie connect ...`, or a role of `vigie run`): broker, publisher, status.

Every few seconds the connector's counters go to `vigie.updates` as
`{"type": "connector", "v": 1, "id": <name>, "at_ts": ..., "received": ..., ...}` (key `connector:<name>`),
as workers announce themselves, so any api process can show them (`GET /api/v1/connectors`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from typing import Any

import orjson

from services.connectors.base import Backoff, ConnectorRunner, ConnectorStats
from services.connectors.cursor import CursorStore
from services.connectors.specs import Spec, build_source, spec_name
from services.connectors.track import Track
from services.kafka import RAW, UPDATES, MentionPublisher, make_producer, wait_for_broker
from services.settings import Settings

log = logging.getLogger(__name__)


def status_record(snapshot: dict[str, Any], now_ts: float | None = None) -> dict[str, Any]:
    return {"type": "connector", "v": 1, "id": snapshot["name"], "at_ts": now_ts or time.time(), **snapshot}


async def run_connector(settings: Settings, spec: Spec) -> None:
    """Until cancelled (SIGTERM and SIGINT cancel it; the cursor is already saved)."""
    name = spec_name(spec)
    source = build_source(spec)
    await wait_for_broker(settings.bootstrap, timeout_s=60)
    producer = make_producer(settings)
    await producer.start()
    updates = settings.topic(UPDATES)

    async def report(snapshot: dict[str, Any]) -> None:
        await producer.send_and_wait(
            updates, orjson.dumps(status_record(snapshot)), key=f"connector:{name}".encode()
        )

    try:
        publisher = MentionPublisher(producer, settings.topic(RAW), settings.ingest_batch_max)
        runner = ConnectorRunner(
            source,
            publisher.publish,
            CursorStore.for_connector(settings.data_dir, name),
            ConnectorStats(name=name, kind=source.kind),
            track=Track(spec.track),
            batch_max=settings.ingest_batch_max,
            batch_wait_s=settings.connector_batch_wait_ms / 1000,
            backoff=Backoff(cap_s=settings.connector_backoff_max_s),
            report=report,
            report_interval_s=settings.connector_status_interval_s,
        )
        log.info(
            "connector %s (%s) starting; track: %s", name, source.kind, runner.track.terms() or "everything"
        )
        await runner.run()
    finally:
        await producer.stop()


def run_connector_forever(settings: Settings, spec: Spec) -> None:
    """The process entry point: run until SIGTERM or Ctrl-C."""

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await run_connector(settings, spec)

    asyncio.run(main())
