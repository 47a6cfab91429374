"""`vigie notifier`: follows `vigie.alerts` and delivers, at least once, to the right people.

Notifiers share the alert partitions as one consumer group (`<prefix>notifier`); an event's offset is
committed only once its deliveries are enqueued in the database, so a notifier that dies loses nothing and
one that restarts enqueues nothing twice (a delivery is unique per event and endpoint). Three loops run
side by side so a slow receiver never holds up the others: reading events, attempting due deliveries, and
checking escalations and repeats of the alerts still open.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import msgspec
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.structs import TopicPartition

from services.alerts.events import AlertEvent, decode_event
from services.alerts.incidents import joins_paged_incident
from services.alerts.store import AlertStore
from services.delivery.retry import RetryPolicy
from services.delivery.sender import Deliverer
from services.delivery.store import DeliveryStore
from services.notifier.channels import ChannelError, endpoint_for
from services.notifier.routing import Notice, Router, episode_key
from services.runtime.kafka import ALERTS, wait_for_broker
from services.runtime.loops import run_loops
from services.runtime.observability.health_server import start_health_server
from services.settings import Settings
from services.storage import create_db_engine

log = logging.getLogger(__name__)

DELIVERY_TICK_S = 0.25
ESCALATION_TICK_S = 2.0
OPEN_ALERTS_MAX = 10_000
#: Episodes remembered as joined to a paged incident.
JOINED_KEPT = 10_000


def del_oldest(kept: dict[str, None], limit: int) -> None:
    while len(kept) > limit:
        del kept[next(iter(kept))]


class Notifier:
    def __init__(self, settings: Settings, alerts: AlertStore, deliveries: DeliveryStore) -> None:
        self.settings = settings
        self.alerts = alerts
        self.deliveries = deliveries
        self.router = Router()
        self.enqueued = 0
        #: Notices to people not sent because their alert joined an incident already paged.
        self.joined = 0
        #: Episodes that joined a paged incident (their later changes go to webhooks only too).
        self._joined: dict[str, None] = {}
        #: True while the alerts consumer is started (broker reached).
        self.consuming = False
        #: The alert partitions this notifier holds; None until the group first gave it its share.
        self.partitions: frozenset[int] | None = None

    def not_ready(self) -> str | None:
        """Why this notifier cannot deliver yet (its /readyz), or None."""
        if not self.consuming:
            return "not connected to the broker's alerts topic yet"
        if self.partitions is None:
            return "not given its share of the alert partitions by the notifier group yet"
        return None

    def _enqueue(self, notices: list[Notice], machines_only: bool = False) -> None:
        """`machines_only`: the event joins an incident people were already paged for (see `handle`)."""
        for notice in notices:
            try:
                endpoint = endpoint_for(notice.contact.channel, self.deliveries)
            except ChannelError as error:
                log.error(
                    "alert %s: cannot notify %s (subscription %s): %s",
                    notice.event.alert_id,
                    notice.contact.name,
                    notice.subscription,
                    error,
                    extra={"alert_id": notice.event.alert_id, "watchlist_id": notice.event.watchlist},
                )
                continue
            if machines_only and endpoint.kind != "webhook":
                self.joined += 1
                continue
            self.deliveries.enqueue(notice.event, endpoint)
            self.enqueued += 1

    def handle(self, events: list[AlertEvent], now: datetime) -> None:
        """Record the events (so the notifier's view needs no api) and enqueue what they call for."""
        subscriptions = self.alerts.list_subscriptions()
        silences = self.alerts.list_silences(active_at=now)
        for event in events:
            # People are paged once per incident (services/alerts/incidents.py): a new alert of a watchlist
            # that already has one open at least as severe goes to webhooks only (machines keep every
            # event); its incident's timeline shows it. A more severe one is the escalation update.
            episode = episode_key(event)
            if event.status == "firing":
                # Only alerts paged to the people this event would page count: a subscription to volume
                # spikes alone was paged for nothing when a sentiment alert opened the incident.
                wanting = [subscription for subscription in subscriptions if subscription.wants(event)]
                paged = [
                    alert
                    for alert in self._open_alerts(event.watchlist)
                    if any(subscription.wants(alert) for subscription in wanting)
                ]
                joins = joins_paged_incident(event, paged)
            else:  # its acknowledgement or resolution reaches whoever its firing reached
                joins = episode in self._joined
            if joins and event.status == "firing":
                self._joined[episode] = None
                del_oldest(self._joined, JOINED_KEPT)
            elif not joins or event.status == "resolved":
                self._joined.pop(episode, None)
            self.alerts.record(event)
            self._enqueue(self.router.on_event(event, subscriptions, silences, now), machines_only=joins)

    def _open_alerts(self, watchlist: str) -> list[AlertEvent]:
        return [
            alert
            for status in ("firing", "acknowledged")
            for alert in self.alerts.list_alerts(status=status, watchlist=watchlist, limit=OPEN_ALERTS_MAX)
        ]

    def check_open_alerts(self, now: datetime) -> None:
        open_alerts = [
            *self.alerts.list_alerts(status="firing", limit=OPEN_ALERTS_MAX),
            *self.alerts.list_alerts(status="acknowledged", limit=OPEN_ALERTS_MAX),
        ]
        # An alert that joined a paged incident neither repeats nor escalates on its own: its incident does.
        open_alerts = [alert for alert in open_alerts if episode_key(alert) not in self._joined]
        subscriptions = self.alerts.list_subscriptions()
        silences = self.alerts.list_silences(active_at=now)
        self._enqueue(self.router.due(open_alerts, subscriptions, silences, now))


class _Share(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    """Keeps `notifier.partitions` up to date: what /readyz waits for."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.notifier.partitions = frozenset(tp.partition for tp in assigned)
        log.info("holding alert partitions %s", sorted(self.notifier.partitions))


async def _read_events(notifier: Notifier, settings: Settings) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap,
        group_id=f"{settings.topic_prefix}notifier",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.background_fetch_max_wait_ms,
    )
    consumer.subscribe([settings.topic(ALERTS)], listener=_Share(notifier))
    await consumer.start()
    notifier.consuming = True
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=1000)
            events: list[AlertEvent] = []
            for records in batches.values():
                for record in records:
                    try:
                        events.append(decode_event(record.value or b""))
                    except (msgspec.DecodeError, msgspec.ValidationError) as error:
                        log.error(
                            "skipping unreadable alert record %s:%s: %s",
                            record.partition,
                            record.offset,
                            error,
                        )
            if events:
                await asyncio.to_thread(notifier.handle, events, datetime.now(UTC))
            if batches:
                await consumer.commit()
    finally:
        notifier.consuming = False
        notifier.partitions = None
        await consumer.stop()


async def _deliver(deliverer: Deliverer) -> None:
    while True:
        await deliverer.run_due()
        await asyncio.sleep(DELIVERY_TICK_S)


async def _escalate(notifier: Notifier) -> None:
    while True:
        await asyncio.sleep(ESCALATION_TICK_S)
        await asyncio.to_thread(notifier.check_open_alerts, datetime.now(UTC))


async def run_notifier(settings: Settings) -> None:
    await wait_for_broker(settings.bootstrap, timeout_s=60)
    engine = create_db_engine(settings.db_url)
    alerts = AlertStore(engine)
    deliveries = DeliveryStore(engine, RetryPolicy(tuple(settings.delivery_retry_delays_s)))
    notifier = Notifier(settings, alerts, deliveries)
    health = await start_health_server("notifier", settings.host, settings.health_port, notifier.not_ready)
    async with Deliverer.from_settings(settings, store=deliveries) as deliverer:
        log.info("notifier started")
        try:
            await run_loops(
                {
                    "notifier-events": _read_events(notifier, settings),
                    "notifier-deliveries": _deliver(deliverer),
                    "notifier-escalations": _escalate(notifier),
                }
            )
        finally:
            if health is not None:
                await health.stop()
            engine.dispose()
