"""Silences: for a while, alerts matching a watchlist, rule and severity are not delivered.

A silenced alert still fires, is listed and kept in the history (the room can see it); only delivery
stops, as in Alertmanager. Each matcher is a list; an empty list matches anything, and a silence matches
when all of its matchers do. It is active from `starts_at` (inclusive) to `ends_at` (exclusive).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated

import msgspec

from services.alerts.events import AlertEvent, RuleKind, Severity

SilenceId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


def _now() -> datetime:
    return datetime.now(UTC)


def new_silence_id() -> str:
    return f"si_{secrets.token_hex(6)}"


class Silence(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: SilenceId = msgspec.field(default_factory=new_silence_id)
    watchlists: list[str] = msgspec.field(default_factory=list)
    rules: list[RuleKind] = msgspec.field(default_factory=list)
    severities: list[Severity] = msgspec.field(default_factory=list)
    starts_at: datetime = msgspec.field(default_factory=_now)
    ends_at: datetime
    #: The name of the API key that saved it (set by the api, whatever the body says).
    created_by: Annotated[str, msgspec.Meta(max_length=200)] = ""
    #: Who the caller said they are (free text, unverified).
    note: Annotated[str, msgspec.Meta(max_length=200)] = ""
    comment: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    created_at: datetime = msgspec.field(default_factory=_now)

    def __post_init__(self) -> None:
        for name in ("starts_at", "ends_at", "created_at"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None:
                setattr(self, name, value.replace(tzinfo=UTC))
        if self.ends_at <= self.starts_at:
            raise ValueError(
                f"`ends_at` must be after `starts_at` ({self.starts_at.isoformat()}), "
                f"got {self.ends_at.isoformat()}"
            )

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def matches(self, event: AlertEvent) -> bool:
        return (
            (not self.watchlists or event.watchlist in self.watchlists)
            and (not self.rules or event.rule in self.rules)
            and (not self.severities or event.severity in self.severities)
        )


def silenced(event: AlertEvent, silences: Iterable[Silence], now: datetime) -> Silence | None:
    """The first active silence matching the event, or None (deliver it)."""
    return next((s for s in silences if s.active(now) and s.matches(event)), None)
