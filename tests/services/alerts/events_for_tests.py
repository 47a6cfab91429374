"""Alert events as the rule engine writes them, for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.alerts.events import AlertEvent, fingerprint

STARTED = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def event(
    status: str = "firing",
    severity: str = "warning",
    rule: str = "volume_spike",
    watchlist: str = "aerolis",
    started_at: datetime = STARTED,
    at: datetime | None = None,
    by: str | None = None,
    raised_to: str | None = None,
) -> AlertEvent:
    alert_id = fingerprint(rule, watchlist)
    return AlertEvent(
        event_id=AlertEvent.make_id(alert_id, started_at, status, raised_to),
        alert_id=alert_id,
        rule=rule,  # type: ignore[arg-type]
        watchlist=watchlist,
        severity=severity,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        summary=f"{watchlist}: something",
        started_at=started_at,
        at=at or started_at + timedelta(minutes={"firing": 0, "acknowledged": 5, "resolved": 20}[status]),
        by=by,
    )
