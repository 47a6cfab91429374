"""The api's side of alerts: its alert tables follow `vigie.alerts`, and what people do goes back on it.

Decision: the rule engine (a worker) only publishes events; each api process follows the whole
`vigie.alerts` topic from the beginning (no consumer group) and folds every event into the database with
`AlertStore.record`, which is idempotent and only moves an alert forward, so api nodes sharing a database,
redeliveries and restarts all agree. Acknowledge and resolve publish an event (the worker stops treating the
alert as open, the notifier stops escalating, PagerDuty follows) and record it at once, so the answer to the
POST and the next GET already show it. Rule sets are published on `vigie.config` at start and on change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Annotated

import msgspec
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from fastapi import Depends, Request

from services.alerts.engine import publish_rules
from services.alerts.events import AlertEvent, decode_event, encode_event
from services.alerts.feed import TopicFollower
from services.alerts.rules import RuleSet
from services.alerts.store import AlertStore
from services.kafka import ALERTS, CONFIG
from services.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Alerts:
    settings: Settings
    store: AlertStore
    producer: AIOKafkaProducer
    follower: TopicFollower | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def on_record(self, _: bytes | None, value: bytes | None) -> None:
        try:
            event = decode_event(value or b"")
        except msgspec.DecodeError as error:
            log.error("ignoring an unreadable record on %s: %s", self.settings.topic(ALERTS), error)
            return
        self.store.record(event)

    async def publish(self, event: AlertEvent) -> AlertEvent:
        """Publish a person's change (waiting for the broker), then record it."""
        await self.producer.send_and_wait(
            self.settings.topic(ALERTS), encode_event(event), key=event.alert_id.encode()
        )
        self.store.record(event)
        return event

    async def publish_rules(self, watchlist: str, rules: RuleSet | None) -> None:
        await publish_rules(self.producer, self.settings.topic(CONFIG), {watchlist: rules})

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def start_alerts(settings: Settings, engine: sa.Engine, producer: AIOKafkaProducer) -> Alerts:
    """Create the alert tables, publish the stored rule sets, follow `vigie.alerts` in the background."""
    alerts = Alerts(settings, AlertStore(engine), producer)
    await publish_rules(producer, settings.topic(CONFIG), alerts.store.all_rules())
    alerts.follower = TopicFollower(
        settings.bootstrap, settings.topic(ALERTS), alerts.on_record, settings.consumer_fetch_max_wait_ms
    )
    alerts.tasks.append(asyncio.create_task(alerts.follower.run(), name="alert-feed"))
    return alerts


def get_alerts(request: Request) -> Alerts:
    alerts: Alerts = request.app.state.alerts
    return alerts


AlertsDep = Annotated[Alerts, Depends(get_alerts)]
