"""Incidents: the alerts of one watchlist that belong together (services/alerts/incidents.py), with their
timeline, their alerts by rule and what drives them. Made from the stored alert history of the last
`hours` on each request (alerts are few: hundreds a day at most), so every api node agrees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, HTTPException, Query

from api.alert_feed import AlertsDep
from api.errors import FieldErrorRoute
from api.openapi import KEYED, refusals
from services.alerts.incidents import IncidentEvent, incidents_from_history

router = APIRouter(
    prefix="/api/v1/incidents", tags=["incidents"], route_class=FieldErrorRoute, responses=KEYED
)


def _incidents(alerts: AlertsDep, hours: float) -> list[IncidentEvent]:
    now = datetime.now(UTC)
    history = alerts.store.history_since(now - timedelta(hours=hours))
    return incidents_from_history(history, now.timestamp())


@router.get("", summary="Incidents, open first, then most recently opened")
async def list_incidents(
    alerts: AlertsDep,
    status: Literal["open", "resolved"] | None = None,
    watchlist: str | None = None,
    hours: Annotated[float, Query(gt=0, le=24 * 30)] = 24.0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    found = [
        incident
        for incident in _incidents(alerts, hours)
        if (status is None or incident.status == status)
        and (watchlist is None or incident.watchlist == watchlist)
    ]
    found.sort(key=lambda incident: incident.status != "open")  # stable: open first, each newest first
    return [msgspec.to_builtins(incident) for incident in found[:limit]]


@router.get("/{incident_id}", summary="One incident with its timeline", responses=refusals(404))
async def get_incident(
    incident_id: str, alerts: AlertsDep, hours: Annotated[float, Query(gt=0, le=24 * 30)] = 24.0
) -> dict[str, Any]:
    for incident in _incidents(alerts, hours):
        if incident.incident_id == incident_id:
            return msgspec.to_builtins(incident)  # type: ignore[no-any-return]
    raise HTTPException(
        404, detail=[{"field": "id", "error": f"no incident with id {incident_id!r} in the last {hours} h"}]
    )
