"""The api's side of alerts: its alert tables follow `vigie.alerts`, and what people do goes back on it.

Decision: the rule engine (a worker) only publishes events; each api process follows the whole
`vigie.alerts` topic from the beginning (no consumer group) and folds every event into the database with
`AlertStore.record`, which is idempotent and only moves an alert forward, so api nodes sharing a database,
redeliveries and restarts all agree. Acknowledge and resolve publish an event (the worker stops treating the
alert as open, the notifier stops escalating, PagerDuty follows) and record it at once, so the answer to the
POST and the next GET already show it. Rule sets are published on `vigie.config` at start and on change.
Every change that moves an alert is also handed to the websocket hub (an `alert` message, api/websocket.md),
and the hub keeps the open alerts (firing or acknowledged) for the snapshot of walls that connect later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from fastapi import Depends, Request

from api.hub import Hub
from services.alerts.engine import publish_rules
from services.alerts.events import AlertEvent, decode_event, encode_event
from services.alerts.rules import RuleSet
from services.alerts.silences import silenced
from services.alerts.store import AlertStore
from services.runtime.epoch import EpochWatch
from services.runtime.kafka import ALERTS, CONFIG
from services.runtime.topic_follower import TopicFollower
from services.settings import Settings
from services.updates import Alert as UpdateAlert

log = logging.getLogger(__name__)


@dataclass
class Alerts:
    settings: Settings
    store: AlertStore
    producer: AIOKafkaProducer
    hub: Hub | None = None
    follower: TopicFollower | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def alert_out(self, event: AlertEvent, now: datetime) -> dict[str, Any]:
        """An alert as the api shows it: the event plus `silenced_by`, the id of the silence stopping it."""
        body: dict[str, Any] = msgspec.to_builtins(event)
        silence = silenced(event, self.store.list_silences(active_at=now), now)
        body["silenced_by"] = silence.id if silence else None
        return body

    def tell_hub(self, alert_id: str) -> None:
        """Hand the alert's current state to the hub: kept for snapshots while open, sent to every wall."""
        current = self.store.get_alert(alert_id) if self.hub is not None else None
        if self.hub is None or current is None:
            return
        body = self.alert_out(current, datetime.now(UTC))
        if current.status == "resolved":
            if self.hub.alerts.pop(alert_id, None) is None:
                return  # walls never had it open: nothing to take down
        elif self.hub.alerts.get(alert_id) == body:
            return  # walls have this state already
        else:
            self.hub.alerts[alert_id] = body
        self.hub.broadcast(UpdateAlert(alert=body))

    def on_record(self, _: bytes | None, value: bytes | None) -> None:
        try:
            event = decode_event(value or b"")
        except msgspec.DecodeError as error:
            log.error("ignoring an unreadable record on %s: %s", self.settings.topic(ALERTS), error)
            return
        # The notifier records events in the same database, so this process may find an event recorded
        # already: the walls are told whatever this process has not shown them yet.
        self.store.record(event)
        self.tell_hub(event.alert_id)

    async def publish(self, event: AlertEvent) -> AlertEvent:
        """Publish a person's change (waiting for the broker), then record it."""
        await self.producer.send_and_wait(
            self.settings.topic(ALERTS), encode_event(event), key=event.alert_id.encode()
        )
        # The notifier records events in the same database, so this process may find an event recorded
        # already: the walls are told whatever this process has not shown them yet.
        self.store.record(event)
        self.tell_hub(event.alert_id)
        return event

    async def publish_rules(self, watchlist: str, rules: RuleSet | None) -> None:
        await publish_rules(self.producer, self.settings.topic(CONFIG), {watchlist: rules})

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


#: At most this many open alerts are kept for the wall's snapshot.
OPEN_ALERTS_KEPT = 500
#: At most this many open alerts are republished at start.
OPEN_ALERTS_MAX = 10_000


async def start_alerts(
    settings: Settings, engine: sa.Engine, producer: AIOKafkaProducer, hub: Hub | None = None
) -> Alerts:
    """Create the alert tables, publish the stored rule sets, follow `vigie.alerts` in the background.

    With a hub, the open alerts already in the database seed its snapshot (events replayed from the topic
    are seen before, so they would not)."""
    alerts = Alerts(settings, AlertStore(engine), producer, hub)
    if hub is not None:
        now = datetime.now(UTC)
        for status in ("firing", "acknowledged"):
            for event in alerts.store.list_alerts(status=status, limit=OPEN_ALERTS_KEPT):
                hub.alerts[event.alert_id] = alerts.alert_out(event, now)
    await publish_rules(producer, settings.topic(CONFIG), alerts.store.all_rules())
    await republish_open_alerts(alerts.store, producer, settings.topic(ALERTS))
    alerts.follower = TopicFollower(
        settings.bootstrap,
        settings.topic(ALERTS),
        alerts.on_record,
        settings.background_fetch_max_wait_ms,
        epoch=EpochWatch.for_settings(settings),
    )
    alerts.tasks.append(asyncio.create_task(alerts.follower.run(), name="alert-feed"))
    return alerts


async def republish_open_alerts(store: AlertStore, producer: AIOKafkaProducer, topic: str) -> int:
    """Put the latest event of every open alert of the database back on `vigie.alerts`; return how many.

    After a fresh broker (`vigie run` restarted, an embedded broker that keeps nothing) the topic no longer
    holds them, so no rule engine would ever resolve them: 39 stayed firing 14 minutes after a restart. Back
    on the topic, the engine re-evaluates each (services/alerts/lifecycle.py) and resolves those whose
    condition is not seen again within its resolve delay, with the reason in the history. Every consumer
    deduplicates by `event_id`, so republishing an event the topic still holds changes nothing."""
    events = [
        event
        for status in ("firing", "acknowledged")
        for event in store.list_alerts(status=status, limit=OPEN_ALERTS_MAX)
    ]
    futures = [await producer.send(topic, encode_event(e), key=e.alert_id.encode()) for e in events]
    await asyncio.gather(*futures)
    if events:
        log.info("republished %d open alerts on %s for the rule engine to re-evaluate", len(events), topic)
    return len(events)


def get_alerts(request: Request) -> Alerts:
    alerts: Alerts = request.app.state.alerts
    return alerts


AlertsDep = Annotated[Alerts, Depends(get_alerts)]
