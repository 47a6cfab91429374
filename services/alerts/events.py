"""The alert event: what `vigie.alerts` carries, what the notifier delivers and webhooks receive (version 1).

An alert is identified by its fingerprint (rule, watchlist, subject): the same condition on the same
watchlist and subject is one alert however often it is observed. An episode runs from firing to resolved
(`started_at` names it); each change of state within an episode is one event with a stable `event_id`
(`<alert_id>:<started_at epoch s>:<status>`), which the rule engine and the api can both compute without
talking to each other, and a receiver can use to deduplicate redeliveries. The notifier's repeats and
escalations are further deliveries of the same event, never new events. One exception to one event per
status: when an episode's severity rises (warning -> critical) its status stays and the rule engine
announces the rise once, with the severity appended (`<alert_id>:<started_at epoch s>:<status>:<severity>`)
so receivers do not drop it as a redelivery; a severity never falls within an episode. Events are keyed
by `alert_id` on the topic, so an alert's changes stay in order.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal

import msgspec

Severity = Literal["info", "warning", "critical"]
Status = Literal["firing", "acknowledged", "resolved"]
RuleKind = Literal["volume_spike", "sentiment_drop", "negative_influencer", "swarm", "coordination"]

SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}
EVENT_VERSION = 1


def fingerprint(rule: str, watchlist: str, subject: str = "") -> str:
    """The stable id of an alert: same rule, watchlist and subject, same alert."""
    digest = hashlib.blake2b(f"{rule}\x1f{watchlist}\x1f{subject}".encode(), digest_size=8).hexdigest()
    return f"al_{digest}"


class AlertEvent(msgspec.Struct, kw_only=True):
    """One change of one alert's state.

    `status` is the state after the change; `at` when it changed; `started_at` when the alert first fired
    (unchanged across the changes of one episode). `summary` is one readable line
    for a person (a phone notification); `details` the figures that made the rule fire (rule-specific).
    `by` names who acknowledged or resolved by hand: the name of the API key that acted, which the caller
    cannot choose (None when the system did it); `note` is the name the caller gave, free text, unverified.
    """

    v: int = EVENT_VERSION
    type: Literal["alert"] = "alert"
    event_id: str
    alert_id: str
    rule: RuleKind
    watchlist: str
    subject: str = ""
    severity: Severity
    status: Status
    summary: str
    details: dict[str, Any] = msgspec.field(default_factory=dict)
    started_at: datetime
    at: datetime
    by: str | None = None
    #: Who the caller said they are (the console's operator name), next to the key's name in `by`.
    note: str | None = None
    #: What the person who acknowledged or resolved by hand said (None otherwise).
    comment: str | None = None

    @property
    def who(self) -> str | None:
        """`by` for people: "ana (key console)" when the caller gave a name, else the key's name."""
        if self.by is None:
            return None
        return f"{self.note} (key {self.by})" if self.note else self.by

    @staticmethod
    def make_id(alert_id: str, started_at: datetime, status: str, raised_to: str | None = None) -> str:
        """`raised_to`: the new severity, for the event announcing a rise within an episode."""
        base = f"{alert_id}:{int(started_at.timestamp())}:{status}"
        return f"{base}:{raised_to}" if raised_to else base


_decoder = msgspec.json.Decoder(AlertEvent)
_encoder = msgspec.json.Encoder()


def encode_event(event: AlertEvent) -> bytes:
    return _encoder.encode(event)


def decode_event(value: bytes) -> AlertEvent:
    """Raise `msgspec.ValidationError`/`DecodeError` naming the field when the record is not an event."""
    return _decoder.decode(value)
