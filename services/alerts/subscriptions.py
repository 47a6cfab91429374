"""On-call subscriptions: who is told of which alerts, when, and who next if nobody acknowledges.

A subscription says who (`name`, `channel`: the id of a delivery endpoint, services/delivery/endpoints.py, or
a plain `{kind, target}`), what (`watchlists`, `rules`: empty = all; `min_severity`) and when (`schedule`).

Schedule, in the subscription's IANA time zone (local wall-clock time, so 22:00 stays 22:00 across daylight
saving changes): `on_call` windows are when it receives alerts at all (none = always); within `quiet_hours`
only critical alerts get through. A window is days plus `start`-`end` ("HH:MM"); an `end` at or before its
`start` runs past midnight into the next day, and then `days` name the day it starts.

Escalation: the subscription's own channel is level 0, notified when the alert fires; `escalation[i]` is
level i + 1, notified `after_min` minutes after the alert fired if it is still firing (not acknowledged, not
resolved), on its own contacts and regardless of the schedule (escalation exists to reach someone). While
an alert fires unacknowledged it is sent again every `repeat_every_min` (None: never).

The notifier (not here) calls `recipients()` for each event, `due_escalations()` and `due_repeat()` on a
timer for each open alert, and skips what `silences.silenced()` names.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from services.alerts.events import SEVERITY_RANK, AlertEvent, RuleKind, Severity
from services.delivery.endpoints import MASK, masked_target

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ClockTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
SubscriptionId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


def new_subscription_id() -> str:
    return f"sub_{secrets.token_hex(6)}"


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class ChannelSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A channel given in place: `{"kind": "email", "target": "ana@example.com"}`. The API shows a URL or
    routing key target masked (`masked_subscription`); sending a masked one back is refused."""

    kind: Literal["webhook", "slack", "pagerduty", "email"]
    target: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]

    def __post_init__(self) -> None:
        if self.kind != "email" and MASK in self.target:
            raise ValueError(
                f"`target` must be the whole {self.kind} target, got the masked {self.target!r} that GET "
                "shows; send the original"
            )


#: An endpoint id (services/delivery) or a channel given in place.
Channel = str | ChannelSpec


class Contact(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    channel: Channel


class Window(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    days: list[Weekday] = msgspec.field(default_factory=lambda: list(WEEKDAYS))
    start: ClockTime = "00:00"
    end: ClockTime = "00:00"

    def contains(self, local: datetime) -> bool:
        """Whether a local (zone-aware) time falls in the window."""
        start, end, now = _clock(self.start), _clock(self.end), local.time().replace(tzinfo=None)
        today = WEEKDAYS[local.weekday()]
        if start < end:
            return today in self.days and start <= now < end
        yesterday = WEEKDAYS[(local.weekday() - 1) % 7]
        return (today in self.days and now >= start) or (yesterday in self.days and now < end)


class Schedule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    timezone: str = "UTC"
    on_call: list[Window] = msgspec.field(default_factory=list)
    quiet_hours: list[Window] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"`timezone` must be an IANA time zone such as 'Europe/Paris', got {self.timezone!r}"
            ) from None

    def local(self, now: datetime) -> datetime:
        return now.astimezone(ZoneInfo(self.timezone))

    def on_call_at(self, now: datetime) -> bool:
        local = self.local(now)
        return not self.on_call or any(window.contains(local) for window in self.on_call)

    def quiet_at(self, now: datetime) -> bool:
        local = self.local(now)
        return any(window.contains(local) for window in self.quiet_hours)

    def accepts(self, severity: Severity, now: datetime) -> bool:
        return self.on_call_at(now) and (severity == "critical" or not self.quiet_at(now))


class EscalationLevel(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    after_min: Annotated[float, msgspec.Meta(gt=0, le=7 * 24 * 60)]
    contacts: Annotated[list[Contact], msgspec.Meta(min_length=1)]


class Subscription(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: SubscriptionId = msgspec.field(default_factory=new_subscription_id)
    name: Name
    channel: Channel
    watchlists: list[str] = msgspec.field(default_factory=list)
    rules: list[RuleKind] = msgspec.field(default_factory=list)
    min_severity: Severity = "warning"
    schedule: Schedule = msgspec.field(default_factory=Schedule)
    escalation: list[EscalationLevel] = msgspec.field(default_factory=list)
    repeat_every_min: Annotated[float, msgspec.Meta(gt=0)] | None = 60.0
    enabled: bool = True

    def __post_init__(self) -> None:
        after = [level.after_min for level in self.escalation]
        if after != sorted(after):
            raise ValueError(f"`escalation` levels must come in increasing `after_min`, got {after}")

    def wants(self, event: AlertEvent) -> bool:
        """Whether the alert is of interest, schedule aside."""
        return (
            self.enabled
            and (not self.watchlists or event.watchlist in self.watchlists)
            and (not self.rules or event.rule in self.rules)
            and SEVERITY_RANK[event.severity] >= SEVERITY_RANK[self.min_severity]
        )

    def channels(self) -> list[tuple[str, Channel]]:
        """Every channel the subscription names, with the path of its field (for an error naming it)."""
        found: list[tuple[str, Channel]] = [("channel", self.channel)]
        for i, level in enumerate(self.escalation):
            found += [
                (f"escalation[{i}].contacts[{j}].channel", c.channel) for j, c in enumerate(level.contacts)
            ]
        return found

    def contacts_at(self, level: int) -> list[Contact]:
        """Level 0 is the subscription itself; level i the contacts of `escalation[i - 1]`."""
        if level == 0:
            return [Contact(name=self.name, channel=self.channel)]
        return list(self.escalation[level - 1].contacts)


class Recipient(msgspec.Struct, frozen=True):
    subscription: str
    level: int


def recipients(event: AlertEvent, subscriptions: Iterable[Subscription], now: datetime) -> list[Recipient]:
    """Who gets this event now at level 0 (firing, a severity rise, acknowledged or resolved): subscriptions
    that want it and whose schedule accepts it. The notifier adds the escalation levels it already reached
    for acknowledged and resolved events, so whoever was woken hears that it is handled."""
    return [
        Recipient(subscription.id, 0)
        for subscription in subscriptions
        if subscription.wants(event) and subscription.schedule.accepts(event.severity, now)
    ]


def due_escalations(
    latest: AlertEvent, subscription: Subscription, notified_levels: Iterable[int], now: datetime
) -> list[int]:
    """The escalation levels to notify now: the alert still fires (acknowledging stops escalation), the
    level's `after_min` has passed since it fired, and it has not been notified yet."""
    if latest.status != "firing" or not subscription.wants(latest):
        return []
    done = set(notified_levels)
    elapsed = now - latest.started_at
    return [
        index + 1
        for index, level in enumerate(subscription.escalation)
        if index + 1 not in done and elapsed >= timedelta(minutes=level.after_min)
    ]


def due_repeat(latest: AlertEvent, subscription: Subscription, last_sent_at: datetime, now: datetime) -> bool:
    """Whether to send a firing, unacknowledged alert again: `repeat_every_min` passed since the last send
    and the schedule accepts it now."""
    if latest.status != "firing" or subscription.repeat_every_min is None or not subscription.wants(latest):
        return False
    if now - last_sent_at < timedelta(minutes=subscription.repeat_every_min):
        return False
    return subscription.schedule.accepts(latest.severity, now)


def due_repeats(
    open_alerts: Iterable[tuple[AlertEvent, Subscription, datetime]], now: datetime
) -> list[tuple[AlertEvent, Subscription]]:
    """`due_repeat` over (latest event, subscription, last sent at) triples."""
    return [(event, sub) for event, sub, last in open_alerts if due_repeat(event, sub, last, now)]


def masked_subscription(subscription: Subscription) -> dict[str, Any]:
    """A subscription as the API shows it: in-place channels' URLs and routing keys masked (e-mail
    addresses whole); endpoint ids as they are (endpoints mask their own)."""
    shown: dict[str, Any] = msgspec.to_builtins(subscription)
    channels = [shown["channel"]] + [
        contact["channel"] for level in shown["escalation"] for contact in level["contacts"]
    ]
    for channel in channels:
        if isinstance(channel, dict):
            channel["target"] = masked_target(channel["kind"], channel["target"])
    return shown
