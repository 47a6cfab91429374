"""The alert lifecycle: conditions observed over time in, alert events (services/alerts/events.py) out.

`AlertBook` keeps one state per fingerprint:

- A condition seen true starts an episode: the alert fires at once, or after it held for the rule's `for_s`
  (pending meanwhile; an explicit clear observation ends the pending). While it keeps holding the alert stays
  the same alert and nothing is emitted: a spike that lasts ten minutes fires once.
- It resolves by itself once the condition has not been seen true for `resolve_after_s`. Metric rules are
  re-evaluated at least every few seconds (the aggregate's refresh), event rules (a negative post, a swarm)
  are sightings; both refresh `last_true`, so one clock covers both, and a condition that flaps around its
  threshold stays one episode.
- Severity only rises within an episode. A rise (warning -> critical) is announced once, with the status
  unchanged and the event id suffixed with the new severity: the person already paged for a warning learns
  it became critical, an acknowledged alert stays acknowledged (someone is on it).
- Acknowledge and resolve by hand come from the api as events on `vigie.alerts`; `apply()` folds every event
  of the topic in (its own echoes are no-ops), so the book also rebuilds itself after a restart by reading the
  topic from the beginning. After a fresh broker the api puts the open alerts of its database back on the
  topic (api/alert_feed.py), so they come back the same way. An open alert the book learns of this way is
  re-evaluated: it gets a fresh `resolve_after_s` to be seen true again, else it resolves with the reason
  in its `details["reason"]` (kept in the alert's history). An episode resolved by hand is held: it does
  not fire again while its condition still holds, and re-arms once the condition has cleared (an explicit
  clear, or `resolve_after_s` unseen).
- Bounded: resolved alerts are forgotten after `keep_resolved_s`, and at most `max_alerts` are kept (the
  oldest resolved go first).

Times are wall-clock epoch seconds: an alert tells a person when it happened to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import msgspec

from services.alerts.events import SEVERITY_RANK, AlertEvent, Severity, Status
from services.alerts.rules import Condition

STATUS_RANK: dict[str, int] = {"firing": 0, "acknowledged": 1, "resolved": 2}
State = Literal["pending", "firing", "acknowledged", "resolved"]


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def order_key(event: AlertEvent) -> tuple[int, int, int]:
    """Events of one alert in the order they supersede each other: episode, then status, then severity."""
    return (int(event.started_at.timestamp()), STATUS_RANK[event.status], SEVERITY_RANK[event.severity])


def supersedes(event: AlertEvent, current: AlertEvent | None) -> bool:
    """True when `event` is newer than `current` (the same event again is not)."""
    return current is None or order_key(event) > order_key(current)


def manual_event(
    current: AlertEvent,
    status: Literal["acknowledged", "resolved"],
    by: str,
    comment: str | None,
    now: datetime,
    note: str | None = None,
) -> AlertEvent:
    """The event of a person acknowledging or resolving the current episode of an alert: `by` the key's
    name, `note` who they said they are."""
    return msgspec.structs.replace(
        current,
        event_id=AlertEvent.make_id(current.alert_id, current.started_at, status),
        status=status,
        at=now,
        by=by,
        note=note,
        comment=comment,
    )


@dataclass
class _Alert:
    condition: Condition
    state: State
    since_ts: float
    last_true_ts: float
    started_ts: float | None = None
    resolved_ts: float | None = None
    severity: Severity = "info"
    #: Resolved by hand while the condition still held: do not fire again until it clears.
    held: bool = False
    #: Known from an event (a restart, another worker), not yet seen true by this book.
    restored: bool = False


class AlertBook:
    def __init__(
        self, resolve_after_s: float, keep_resolved_s: float = 3600.0, max_alerts: int = 10_000
    ) -> None:
        self.resolve_after_s = resolve_after_s
        self.keep_resolved_s = keep_resolved_s
        self.max_alerts = max_alerts
        self._alerts: dict[str, _Alert] = {}

    def __len__(self) -> int:
        return len(self._alerts)

    def status_of(self, alert_id: str) -> State | None:
        alert = self._alerts.get(alert_id)
        return alert.state if alert else None

    # -- observations ------------------------------------------------------------------------------------

    def observe(
        self,
        conditions: Iterable[Condition],
        now_ts: float,
        clear_scope: tuple[str, Iterable[str]] | None = None,
    ) -> list[AlertEvent]:
        """Fold the conditions true at `now_ts`; `clear_scope` = (watchlist, rules) that were evaluated, so
        those of its alerts absent from `conditions` are observed clear."""
        events: list[AlertEvent] = []
        seen: set[str] = set()
        for condition in conditions:
            seen.add(condition.fingerprint)
            events.extend(self._true(condition, now_ts))
        if clear_scope is not None:
            watchlist, rules = clear_scope[0], set(clear_scope[1])
            for alert_id, alert in list(self._alerts.items()):
                condition = alert.condition
                if alert_id in seen or condition.watchlist != watchlist or condition.rule not in rules:
                    continue
                if alert.state == "pending":
                    del self._alerts[alert_id]
                elif alert.state == "resolved":
                    alert.held = False
        self._bound()
        return events

    def _true(self, condition: Condition, now_ts: float) -> list[AlertEvent]:
        alert_id = condition.fingerprint
        alert = self._alerts.get(alert_id)
        if alert is None or (alert.state == "resolved" and not alert.held):
            alert = _Alert(
                condition, "pending", since_ts=now_ts, last_true_ts=now_ts, severity=condition.severity
            )
            self._alerts[alert_id] = alert
        alert.last_true_ts = now_ts
        alert.restored = False
        if alert.state == "resolved":  # held: resolved by hand, the condition has not cleared since
            return []
        alert.condition = condition
        if alert.state == "pending":
            alert.severity = condition.severity
            if now_ts - alert.since_ts < condition.for_s:
                return []
            alert.state, alert.started_ts = "firing", now_ts
            return [self._event(alert, "firing", now_ts)]
        if SEVERITY_RANK[condition.severity] > SEVERITY_RANK[alert.severity]:
            alert.severity = condition.severity
            status: Status = "acknowledged" if alert.state == "acknowledged" else "firing"
            return [self._event(alert, status, now_ts, raised_to=condition.severity)]
        return []

    def tick(self, now_ts: float, owns: Callable[[str], bool] = lambda watchlist: True) -> list[AlertEvent]:
        """Resolve what has been clear for `resolve_after_s`; forget what is stale. Call every few seconds.

        `owns(watchlist)`: whether this book is the one that resolves that watchlist's alerts (with several
        workers, the one holding its partition; the others know of its alerts but do not see it)."""
        events = []
        for alert_id, alert in list(self._alerts.items()):
            clear_for_s = now_ts - alert.last_true_ts
            if alert.state in ("firing", "acknowledged") and clear_for_s >= self.resolve_after_s:
                if not owns(alert.condition.watchlist):
                    continue
                alert.state, alert.resolved_ts = "resolved", now_ts
                events.append(self._event(alert, "resolved", now_ts))
            elif alert.state == "pending" and clear_for_s >= self.resolve_after_s:
                del self._alerts[alert_id]
            elif alert.state == "resolved":
                if alert.held and clear_for_s >= self.resolve_after_s:
                    alert.held = False
                if not alert.held and now_ts - (alert.resolved_ts or now_ts) >= self.keep_resolved_s:
                    del self._alerts[alert_id]
        return events

    # -- events from the topic ---------------------------------------------------------------------------

    def apply(self, event: AlertEvent, now_ts: float) -> None:
        """Fold an event from `vigie.alerts` (ours, another worker's, or a person's through the api)."""
        alert = self._alerts.get(event.alert_id)
        episode_ts = event.started_at.timestamp()
        if alert is not None and alert.started_ts is not None:
            known = int(alert.started_ts)
            if int(episode_ts) < known:
                return
            if int(episode_ts) == known:
                if STATUS_RANK[event.status] > STATUS_RANK[alert.state]:
                    alert.state = event.status
                    if event.status == "resolved":
                        alert.resolved_ts = event.at.timestamp()
                        alert.held = event.by is not None
                if SEVERITY_RANK[event.severity] > SEVERITY_RANK[alert.severity]:
                    alert.severity = event.severity
                return
        condition = Condition(
            rule=event.rule,
            watchlist=event.watchlist,
            subject=event.subject,
            severity=event.severity,
            summary=event.summary,
            details=event.details,
        )
        # A restored open alert gets a fresh `resolve_after_s` to be seen again before it resolves.
        self._alerts[event.alert_id] = _Alert(
            condition,
            event.status,
            since_ts=episode_ts,
            last_true_ts=max(now_ts, event.at.timestamp()),
            started_ts=episode_ts,
            resolved_ts=event.at.timestamp() if event.status == "resolved" else None,
            severity=event.severity,
            held=event.status == "resolved" and event.by is not None,
            restored=event.status != "resolved",
        )
        self._bound()

    # -- helpers -----------------------------------------------------------------------------------------

    def _event(
        self, alert: _Alert, status: Status, now_ts: float, raised_to: Severity | None = None
    ) -> AlertEvent:
        condition = alert.condition
        started = _at(alert.started_ts if alert.started_ts is not None else now_ts)
        details = dict(condition.details)
        if status == "resolved":
            clear_for_s = round(now_ts - alert.last_true_ts, 1)
            details["clear_for_s"] = clear_for_s
            details["reason"] = (
                f"re-evaluated after a restart: its condition was not seen again within {clear_for_s:.0f} s"
                if alert.restored
                else f"its condition has not held for {clear_for_s:.0f} s"
            )
        return AlertEvent(
            event_id=AlertEvent.make_id(condition.fingerprint, started, status, raised_to),
            alert_id=condition.fingerprint,
            rule=condition.rule,
            watchlist=condition.watchlist,
            subject=condition.subject,
            severity=alert.severity,
            status=status,
            summary=condition.summary,
            details=details,
            started_at=started,
            at=_at(now_ts),
        )

    def _bound(self) -> None:
        excess = len(self._alerts) - self.max_alerts
        if excess <= 0:
            return
        resolved = sorted(
            (alert.resolved_ts or 0.0, alert_id)
            for alert_id, alert in self._alerts.items()
            if alert.state in ("resolved", "pending")
        )
        for _, alert_id in resolved[:excess]:
            del self._alerts[alert_id]


def open_events(events: Sequence[AlertEvent]) -> list[AlertEvent]:
    """The latest event of each alert that is not resolved (for a notifier starting up)."""
    latest: dict[str, AlertEvent] = {}
    for event in events:
        if supersedes(event, latest.get(event.alert_id)):
            latest[event.alert_id] = event
    return [event for event in latest.values() if event.status != "resolved"]
