"""Who is told what, and when: plain decisions over alert events, subscriptions, silences and what was sent.

- A firing event (or a severity rise) goes to every subscription that wants it and whose schedule accepts it
  now (level 0).
- While an alert fires unacknowledged, each subscription's escalation levels are told once their
  `after_min` has passed; acknowledging or resolving stops escalation.
- Acknowledged and resolved events go to level 0 and to every level already reached, so whoever was woken
  hears that it is handled.
- Repeats (every `repeat_every_min` while firing and unacknowledged) go to people, over Slack and e-mail:
  a webhook receiver or PagerDuty already has the event (PagerDuty re-notifies by its own rules), so a
  repeat to them would only be dropped as a duplicate. A repeat carries the event under
  `<event_id>:repeat<n>`, so it is a new message to the person and not a redelivery.
- A silence in force stops every delivery of the events it matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from services.alerts.events import AlertEvent
from services.alerts.silences import Silence, silenced
from services.alerts.subscriptions import (
    Contact,
    Subscription,
    due_escalations,
    due_repeat,
    recipients,
)

REPEAT_KINDS = frozenset({"slack", "email"})


class Notice(msgspec.Struct, frozen=True):
    """One event to send to one contact (the channel is resolved to an endpoint by the caller)."""

    event: AlertEvent
    contact: Contact
    subscription: str
    level: int
    repeat: bool = False


@dataclass
class Sent:
    """What was sent for one episode of one alert, per subscription."""

    levels: dict[str, set[int]] = field(default_factory=dict)
    last_sent_at: dict[str, datetime] = field(default_factory=dict)
    repeats: dict[str, int] = field(default_factory=dict)


def episode_key(event: AlertEvent) -> str:
    return f"{event.alert_id}:{int(event.started_at.timestamp())}"


class Router:
    """Keeps what was sent per episode (bounded by the open alerts it is given) and decides what to send."""

    def __init__(self) -> None:
        self.sent: dict[str, Sent] = {}

    def _notices(
        self, event: AlertEvent, subscription: Subscription, levels: set[int], *, repeat: bool = False
    ) -> list[Notice]:
        return [
            Notice(event=event, contact=contact, subscription=subscription.id, level=level, repeat=repeat)
            for level in sorted(levels)
            for contact in subscription.contacts_at(level)
        ]

    def on_event(
        self, event: AlertEvent, subscriptions: list[Subscription], silences: list[Silence], now: datetime
    ) -> list[Notice]:
        """What to send for a new event from the topic."""
        if silenced(event, silences, now) is not None:
            return []
        sent = self.sent.setdefault(episode_key(event), Sent())
        by_id = {subscription.id: subscription for subscription in subscriptions}
        notices: list[Notice] = []
        if event.status == "firing":
            for recipient in recipients(event, subscriptions, now):
                subscription = by_id[recipient.subscription]
                sent.levels.setdefault(subscription.id, set()).add(0)
                sent.last_sent_at[subscription.id] = now
                notices += self._notices(event, subscription, {0})
            return notices
        # Acknowledged or resolved: level 0 of whoever wants it now, and every level already woken.
        wanting = {recipient.subscription for recipient in recipients(event, subscriptions, now)}
        for subscription in subscriptions:
            reached = set(sent.levels.get(subscription.id, set()))
            if subscription.id in wanting:
                reached.add(0)
            if reached and subscription.wants(event):
                notices += self._notices(event, subscription, reached)
        if event.status == "resolved":
            self.sent.pop(episode_key(event), None)
        return notices

    def due(
        self,
        open_alerts: list[AlertEvent],
        subscriptions: list[Subscription],
        silences: list[Silence],
        now: datetime,
    ) -> list[Notice]:
        """Escalations and repeats due now, given the latest event of every alert not resolved; what was
        sent for episodes no longer open is forgotten."""
        notices: list[Notice] = []
        open_episodes = set()
        for event in open_alerts:
            key = episode_key(event)
            open_episodes.add(key)
            if event.status != "firing" or silenced(event, silences, now) is not None:
                continue
            sent = self.sent.setdefault(key, Sent())
            for subscription in subscriptions:
                reached = sent.levels.setdefault(subscription.id, set())
                new_levels = set(due_escalations(event, subscription, reached, now))
                if new_levels:
                    reached |= new_levels
                    sent.last_sent_at[subscription.id] = now
                    notices += self._notices(event, subscription, new_levels)
                    continue
                # After a restart nothing is known of earlier sends: count from when the alert last changed.
                last = sent.last_sent_at.get(subscription.id, event.at)
                if due_repeat(event, subscription, last, now):
                    count = sent.repeats.get(subscription.id, 0) + 1
                    sent.repeats[subscription.id] = count
                    sent.last_sent_at[subscription.id] = now
                    again = msgspec.structs.replace(event, event_id=f"{event.event_id}:repeat{count}")
                    notices += self._notices(again, subscription, reached or {0}, repeat=True)
        for key in [key for key in self.sent if key not in open_episodes]:
            del self.sent[key]
        return notices
