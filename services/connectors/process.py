"""One connector as a process (`vigie connect ...`, or a role of `vigie run`): broker, publisher, status.

Every few seconds the connector's counters go to `vigie.updates` as
`{"type": "connector", "v": 1, "id": <name>, "at_ts": ..., "received": ..., ...}` (key `connector:<name>`),
as workers announce themselves, so any api process can show them (`GET /api/v1/connectors`). A connector
stopped on purpose (SIGTERM, or deleted through the API) says so with a last status carrying
`"stopped": true`, and the api stops listing it; one that crashed stays listed, not alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from services.connectors.base import Backoff, ConnectorRunner, ConnectorStats, PublishFailed
from services.connectors.cursor import CursorStore
from services.connectors.specs import Spec, build_source, connector_policy, spec_name
from services.connectors.track import Track
from services.ingest.records import Mention
from services.runtime.hold import IngestHold
from services.runtime.kafka import RAW, UPDATES, MentionPublisher, make_producer, wait_for_broker
from services.runtime.observability.health_server import Readiness, start_health_server
from services.settings import Settings
from services.updates import ConnectorStatus, encode

log = logging.getLogger(__name__)

#: How long a stopping connector tries to publish its last ("stopped") status.
LAST_STATUS_TIMEOUT_S = 5.0


def status_record(snapshot: dict[str, Any], now_ts: float | None = None) -> ConnectorStatus:
    """The `connector` update (services/updates.py) of a `ConnectorStats.snapshot()`."""
    fields = {"id": snapshot["name"], "at_ts": now_ts or time.time(), **snapshot}
    return msgspec.convert(fields, ConnectorStatus)


async def run_spec(settings: Settings, spec: Spec, producer: AIOKafkaProducer) -> None:
    """One connector on a started producer, until cancelled (its cursor is saved after every batch)."""
    name = spec_name(spec)
    source = build_source(spec, connector_policy(settings))
    updates = settings.topic(UPDATES)

    async def report(snapshot: dict[str, Any]) -> None:
        try:
            await producer.send_and_wait(
                updates, encode(status_record(snapshot)), key=f"connector:{name}".encode()
            )
        except KafkaError as error:
            raise PublishFailed(str(error)) from error

    publisher = MentionPublisher(
        producer, settings.topic(RAW), settings.ingest_batch_max, IngestHold(settings.data_dir)
    )

    async def publish(mentions: Sequence[Mention]) -> int:
        try:
            return await publisher.publish(mentions)
        except KafkaError as error:
            raise PublishFailed(str(error)) from error

    stats = ConnectorStats(name=name, kind=source.kind)
    runner = ConnectorRunner(
        source,
        publish,
        CursorStore.for_connector(settings.data_dir, name),
        stats,
        track=Track(spec.track),
        batch_max=settings.ingest_batch_max,
        batch_wait_s=settings.connector_batch_wait_ms / 1000,
        backoff=Backoff(cap_s=settings.connector_backoff_max_s),
        report=report,
        report_interval_s=settings.connector_status_interval_s,
    )
    log.info("connector %s (%s) starting; track: %s", name, source.kind, runner.track.terms() or "everything")
    try:
        await runner.run()
    except asyncio.CancelledError:
        stats.connected = False
        try:
            await asyncio.wait_for(report({**stats.snapshot(), "stopped": True}), LAST_STATUS_TIMEOUT_S)
        except (PublishFailed, TimeoutError) as error:
            log.warning("connector %s: could not publish that it stopped: %s", name, error)
        log.info("connector %s stopped", name)
        raise


async def run_connector(settings: Settings, spec: Spec) -> None:
    """Until cancelled (SIGTERM and SIGINT cancel it; the cursor is already saved)."""
    readiness = Readiness("not connected to the broker yet")
    health = await start_health_server("connector", settings.host, settings.health_port, readiness.not_ready)
    await wait_for_broker(settings.bootstrap, timeout_s=60)
    producer = make_producer(settings)
    await producer.start()
    readiness.ready = True
    try:
        await run_spec(settings, spec, producer)
    finally:
        await producer.stop()
        if health is not None:
            await health.stop()


def run_until_signalled(main: Callable[[], Awaitable[None]]) -> None:
    """A process entry point: run `main()` until SIGTERM or Ctrl-C cancels it."""

    async def guarded() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await main()

    asyncio.run(guarded())


def run_connector_forever(settings: Settings, spec: Spec) -> None:
    """The process entry point of `vigie connect`."""
    run_until_signalled(lambda: run_connector(settings, spec))
