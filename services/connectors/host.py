"""`vigie connectors`: the process that runs the connectors configured through the API.

The api stores each connector in the database and sends it on `vigie.config` as `connector:<name>` (the
spec as JSON; empty once deleted). The host follows that topic from its beginning and keeps one
`ConnectorRunner` task per configured connector: a new spec starts a task, a tombstone cancels it (its
cursor file stays, so adding the connector again resumes where it stopped), a changed spec restarts it.
A connector that fails with a bug is restarted after a growing delay without touching the others. With
nothing configured the host holds one idle consumer and one idle producer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from services.connectors.base import Backoff
from services.connectors.process import run_spec
from services.connectors.specs import Spec, SpecError, decode_spec, spec_name
from services.runtime.config_feed import CONNECTOR_PREFIX
from services.runtime.epoch import EpochWatch
from services.runtime.kafka import CONFIG, make_producer, wait_for_broker
from services.runtime.observability.health_server import Readiness, start_health_server
from services.runtime.topic_follower import TopicFollower
from services.settings import Settings

log = logging.getLogger(__name__)

RunSpec = Callable[[Spec], Awaitable[None]]
#: A connector that ran this long before failing starts again after the shortest delay.
HEALTHY_AFTER_S = 60.0


class ConnectorHost:
    """The connectors configured (`apply` each config record) and the tasks running them (`reconcile`)."""

    def __init__(self, run_spec: RunSpec, backoff: Backoff | None = None) -> None:
        self.run_spec = run_spec
        self.backoff = backoff or Backoff()
        self.configured: dict[str, Spec] = {}
        self.running: dict[str, tuple[Spec, asyncio.Task[None]]] = {}
        self.changed = asyncio.Event()

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """One record of the config topic; others than `connector:` are ignored, bad ones logged."""
        record = (key or b"").decode("utf-8", "replace")
        if not record.startswith(CONNECTOR_PREFIX):
            return
        name = record.removeprefix(CONNECTOR_PREFIX)
        if not value:
            if self.configured.pop(name, None) is not None:
                self.changed.set()
            return
        try:
            spec = decode_spec(value)
        except SpecError as error:
            log.error("ignoring config record %s: %s", record, error)
            return
        if spec_name(spec) != name:
            log.error("ignoring config record %s: it names the connector %r", record, spec_name(spec))
            return
        if self.configured.get(name) != spec:
            self.configured[name] = spec
            self.changed.set()

    async def reconcile(self) -> None:
        """Stop the tasks of connectors deleted or changed, then start those configured and not running."""
        for name, (spec, task) in list(self.running.items()):
            if self.configured.get(name) != spec:
                del self.running[name]
                await _cancel(task)
        for name, spec in self.configured.items():
            if name not in self.running:
                self.running[name] = (spec, asyncio.create_task(self._keep_running(spec), name=name))
        log.info("connectors running: %s", ", ".join(sorted(self.running)) or "none")

    async def run(self) -> None:
        """Reconcile after every change, until cancelled; then stop every connector."""
        try:
            while True:
                await self.changed.wait()
                self.changed.clear()
                await self.reconcile()
        finally:
            await _stop_all([task for _, task in self.running.values()])
            self.running.clear()

    async def _keep_running(self, spec: Spec) -> None:
        name = spec_name(spec)
        attempt = 0
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                await self.run_spec(spec)
                reason = "it returned"
            except Exception as error:  # one connector's bug must not stop the others
                log.exception("connector %s failed", name)
                reason = f"{type(error).__name__}: {error}"
            if loop.time() - started > HEALTHY_AFTER_S:
                attempt = 0
            delay_s = self.backoff.delay_s(attempt)
            attempt += 1
            log.warning("connector %s ended (%s); starting it again in %.1f s", name, reason, delay_s)
            await asyncio.sleep(delay_s)


async def _cancel(task: asyncio.Task[None]) -> None:
    """Cancel `task` and wait for it to finish (its cursor is saved after each batch already)."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # we are being cancelled ourselves


async def _stop_all(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel every task and wait for all of them (when we are being cancelled ourselves too)."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def run_host(settings: Settings) -> None:
    """Until cancelled: follow `vigie.config` and run what it configures, on one shared producer; with
    VIGIE_HEALTH_PORT set, answer health checks there (ready once it has read the configuration)."""
    readiness = Readiness("not connected to the broker yet")
    health = await start_health_server("connectors", settings.host, settings.health_port, readiness.not_ready)
    try:
        await wait_for_broker(settings.bootstrap, timeout_s=60)
        producer = make_producer(settings)
        await producer.start()
        try:
            await _host(settings, lambda spec: run_spec(settings, spec, producer), readiness)
        finally:
            await producer.stop()
    finally:
        if health is not None:
            await health.stop()


async def _host(settings: Settings, run: Callable[[Spec], Awaitable[None]], readiness: Readiness) -> None:
    """Follow the configuration and run each connector it names with `run` until one of the two ends."""
    host = ConnectorHost(run, Backoff(cap_s=settings.connector_backoff_max_s))
    follower = TopicFollower(
        settings.bootstrap,
        settings.topic(CONFIG),
        host.apply,
        settings.connector_config_fetch_max_wait_ms,
        epoch=EpochWatch.for_settings(settings),
    )
    readiness.waiting_for = "reading the configuration"

    async def ready_once_read() -> None:
        await follower.ready.wait()
        readiness.ready = True

    tasks = [
        asyncio.create_task(follower.run(), name="connector-config"),
        asyncio.create_task(host.run(), name="connector-host"),
        asyncio.create_task(ready_once_read(), name="connector-ready"),
    ]
    log.info("connector host following %s", settings.topic(CONFIG))
    try:
        done, _ = await asyncio.wait(tasks[:2], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        await _stop_all(tasks)
