"""Incidents: the alerts of one watchlist that belong together, paged once.

An incident opens when an alert of a watchlist fires at `page_severity` or above (warning by default) while
no incident of that watchlist is open; every alert of the same watchlist that fires or changes while it is
open (a spike, a sentiment drop, a swarm, negative posts by high-reach authors or the press, a coordinated
campaign, info ones included) joins it, and each change is a line of its timeline. It resolves once all its
alerts at `page_severity` or above have resolved and none fired again for `linger_s`. Info alerts alone
open no incident: they are listed, and explain the incident they join.

Paging: an incident pages once, when it opens; a later rise (warning -> critical) is an escalation update
to the same people, never a second page; other changes are updates for the timeline. Severity never
falls within an incident.

`IncidentBook` is a plain fold over alert events in the order one consumer sees them; the incident id is
derived from the watchlist and the moment it opened, so it is stable across redeliveries of the same events.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from services.alerts.events import SEVERITY_RANK, AlertEvent, Severity

Notify = Literal["page", "escalation", "update", "resolved", "none"]


def incident_id(watchlist: str, opened_at: datetime) -> str:
    digest = hashlib.blake2b(f"{watchlist}\x1f{int(opened_at.timestamp())}".encode(), digest_size=8)
    return f"in_{digest.hexdigest()}"


class TimelineEntry(msgspec.Struct, kw_only=True):
    at: datetime
    alert_id: str
    rule: str
    severity: Severity
    status: str
    summary: str


class IncidentAlert(msgspec.Struct, kw_only=True):
    alert_id: str
    rule: str
    subject: str
    severity: Severity
    status: str
    summary: str
    details: dict[str, Any] = msgspec.field(default_factory=dict)


class IncidentEvent(msgspec.Struct, kw_only=True):
    """One change of an incident: what opened, joined, rose or resolved, and whom to tell (`notify`)."""

    v: int = 1
    type: Literal["incident"] = "incident"
    incident_id: str
    watchlist: str
    severity: Severity
    status: Literal["open", "resolved"]
    opened_at: datetime
    at: datetime
    notify: Notify
    summary: str
    alerts: list[IncidentAlert]
    timeline: list[TimelineEntry]


@dataclass
class _Incident:
    id: str
    watchlist: str
    opened_ts: float
    severity: Severity
    alerts: dict[str, IncidentAlert] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)
    paged: bool = False
    quiet_since_ts: float | None = None


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class IncidentBook:
    def __init__(self, linger_s: float = 120.0, page_severity: Severity = "warning") -> None:
        self.linger_s = linger_s
        self.page_severity = page_severity
        self._open: dict[str, _Incident] = {}

    def open_incidents(self) -> list[IncidentEvent]:
        return [
            self._event(incident, "none", incident.timeline[-1].at.timestamp())
            for incident in self._open.values()
        ]

    def on_alert(self, event: AlertEvent, now_ts: float) -> list[IncidentEvent]:
        incident = self._open.get(event.watchlist)
        if incident is None:
            if event.status != "firing" or not self._pages(event.severity):
                return []
            opened = event.started_at.timestamp()
            incident = _Incident(
                incident_id(event.watchlist, event.started_at), event.watchlist, opened, "info"
            )
            self._open[event.watchlist] = incident
        incident.alerts[event.alert_id] = IncidentAlert(
            alert_id=event.alert_id,
            rule=event.rule,
            subject=event.subject,
            severity=event.severity,
            status=event.status,
            summary=event.summary,
            details=event.details,
        )
        incident.timeline.append(
            TimelineEntry(
                at=event.at,
                alert_id=event.alert_id,
                rule=event.rule,
                severity=event.severity,
                status=event.status,
                summary=event.summary,
            )
        )
        incident.quiet_since_ts = None
        notify: Notify = "update"
        rose = SEVERITY_RANK[event.severity] > SEVERITY_RANK[incident.severity]
        if rose:
            incident.severity = event.severity
        if SEVERITY_RANK[incident.severity] >= SEVERITY_RANK[self.page_severity]:
            if not incident.paged:
                incident.paged, notify = True, "page"
            elif rose:
                notify = "escalation"
        if all(a.status == "resolved" for a in incident.alerts.values() if self._pages(a.severity)):
            incident.quiet_since_ts = now_ts
        return [self._event(incident, notify, now_ts)]

    def _pages(self, severity: Severity) -> bool:
        return SEVERITY_RANK[severity] >= SEVERITY_RANK[self.page_severity]

    def tick(self, now_ts: float) -> list[IncidentEvent]:
        """Resolve the incidents whose alerts all resolved `linger_s` ago."""
        events = []
        for watchlist, incident in list(self._open.items()):
            if incident.quiet_since_ts is not None and now_ts - incident.quiet_since_ts >= self.linger_s:
                del self._open[watchlist]
                events.append(self._event(incident, "resolved", now_ts, status="resolved"))
        return events

    def _event(
        self,
        incident: _Incident,
        notify: Notify,
        now_ts: float,
        status: Literal["open", "resolved"] = "open",
    ) -> IncidentEvent:
        alerts = sorted(
            incident.alerts.values(), key=lambda a: (-SEVERITY_RANK[a.severity], a.status == "resolved")
        )
        rules = sorted({alert.rule for alert in alerts})
        return IncidentEvent(
            incident_id=incident.id,
            watchlist=incident.watchlist,
            severity=incident.severity,
            status=status,
            opened_at=_at(incident.opened_ts),
            at=_at(now_ts),
            notify=notify,
            summary=f"{incident.watchlist}: {len(alerts)} alert(s) ({', '.join(rules)}); {alerts[0].summary}",
            alerts=list(alerts),
            timeline=list(incident.timeline),
        )
