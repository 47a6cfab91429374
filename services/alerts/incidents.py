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
`incidents_from_history` folds the stored history of alerts (services/alerts/store.py) in time order: what
the api lists under /api/v1/incidents. Each incident carries `why`, what drives it: the "why" of its most
severe alert (services/alerts/drivers.py), and `counts`, its alerts by rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from services.alerts.events import SEVERITY_RANK, AlertEvent, Severity
from services.alerts.lifecycle import order_key

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
    #: Alerts by rule.
    counts: dict[str, int] = msgspec.field(default_factory=dict)
    #: What drives it (services/alerts/drivers.py), from its most severe alert that says.
    why: dict[str, Any] | None = None


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
    def __init__(
        self, linger_s: float = 120.0, page_severity: Severity = "warning", keep_closed: int = 500
    ) -> None:
        self.linger_s = linger_s
        self.page_severity = page_severity
        self.keep_closed = keep_closed
        self._open: dict[str, _Incident] = {}
        self._closed: list[IncidentEvent] = []

    def incidents(self) -> list[IncidentEvent]:
        """Every incident known, open ones as they stand, most recently opened first."""
        return sorted(
            [*self.open_incidents(), *self._closed], key=lambda incident: incident.opened_at, reverse=True
        )

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
                closed = self._event(incident, "resolved", now_ts, status="resolved")
                events.append(closed)
                self._closed.append(closed)
                del self._closed[: -self.keep_closed or None]
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
        counts: dict[str, int] = {}
        for alert in alerts:
            counts[alert.rule] = counts.get(alert.rule, 0) + 1
        why = next((a.details["why"] for a in alerts if isinstance(a.details.get("why"), dict)), None)
        rules = sorted(counts)
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
            counts=counts,
            why=why,
        )


def incidents_from_history(
    events: Iterable[AlertEvent], now_ts: float, linger_s: float = 120.0
) -> list[IncidentEvent]:
    """The incidents of stored alert events (any order, duplicates fine), most recently opened first."""
    book = IncidentBook(linger_s=linger_s)
    seen: set[str] = set()
    for event in sorted(events, key=lambda e: (e.at, order_key(e))):
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        at_ts = event.at.timestamp()
        book.tick(at_ts)
        book.on_alert(event, at_ts)
    book.tick(now_ts)
    return book.incidents()


def joins_paged_incident(
    event: AlertEvent, open_alerts: Iterable[AlertEvent], page_severity: Severity = "warning"
) -> bool:
    """Whether a firing event (a new alert, or a rise) joins an incident its watchlist already has open at
    least as severe: another open alert of the watchlist at `page_severity` or above, as severe or more.
    Such an event pages nobody (its incident did); a more severe one is the incident's escalation update."""
    if event.status != "firing" or SEVERITY_RANK[event.severity] < SEVERITY_RANK[page_severity]:
        return False
    others = [
        SEVERITY_RANK[alert.severity]
        for alert in open_alerts
        if alert.watchlist == event.watchlist
        and alert.alert_id != event.alert_id
        and alert.status in ("firing", "acknowledged")
        and SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[page_severity]
    ]
    return bool(others) and SEVERITY_RANK[event.severity] <= max(others)
