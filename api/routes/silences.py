"""Silences: stop delivery of matching alerts for a while (they still fire and are listed)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from fastapi import APIRouter, HTTPException, Request, Response

from api.alert_feed import AlertsDep
from api.auth import actor
from api.errors import FieldErrorRoute, field_error, object_body
from api.openapi import KEYED, body_doc, refusals
from api.routes.alerts import convert_record
from services.alerts.silences import Silence

router = APIRouter(prefix="/api/v1/silences", tags=["silences"], route_class=FieldErrorRoute, responses=KEYED)

BODY_DOC = body_doc(
    Silence,
    {
        "watchlists": ["aerolis"],
        "rules": ["volume_spike"],
        "severities": ["warning"],
        "ends_at": "2030-01-01T08:00:00Z",
        "note": "ana",
        "comment": "press day, we know",
    },
)


def _not_found(silence_id: str) -> HTTPException:
    return HTTPException(404, detail=[{"field": "id", "error": f"no silence with id {silence_id!r}"}])


async def _parse(request: Request, silence_id: str | None = None) -> Silence:
    """The silence of the body, recorded as created by the key's name; a `created_by` the body gives is
    kept as its `note` (who the caller said they are)."""
    body = object_body(await request.body(), silence_id)
    silence = convert_record(body, Silence)
    return msgspec.structs.replace(
        silence, created_by=actor(request), note=silence.note or silence.created_by
    )


def _out(silence: Silence, now: datetime) -> dict[str, Any]:
    body: dict[str, Any] = msgspec.to_builtins(silence)
    body["active"] = silence.active(now)
    return body


@router.get("", summary="List silences")
async def list_silences(alerts: AlertsDep, active: bool = False) -> list[dict[str, Any]]:
    """All silences, latest end first; `?active=true` only those in force now."""
    now = datetime.now(UTC)
    return [_out(s, now) for s in alerts.store.list_silences(active_at=now if active else None)]


@router.post(
    "",
    status_code=201,
    summary="Create a silence",
    openapi_extra=BODY_DOC,
    responses=refusals(409, 413),
)
async def create_silence(request: Request, alerts: AlertsDep) -> dict[str, Any]:
    silence = await _parse(request)
    if alerts.store.get_silence(silence.id) is not None:
        raise field_error("id", f"a silence with id {silence.id!r} exists already; PUT to change it", 409)
    return _out(alerts.store.save_silence(silence), datetime.now(UTC))


@router.get("/{silence_id}", summary="One silence", responses=refusals(404))
async def get_silence(silence_id: str, alerts: AlertsDep) -> dict[str, Any]:
    silence = alerts.store.get_silence(silence_id)
    if silence is None:
        raise _not_found(silence_id)
    return _out(silence, datetime.now(UTC))


@router.put(
    "/{silence_id}",
    summary="Create or replace a silence",
    openapi_extra=BODY_DOC,
    responses=refusals(413),
)
async def put_silence(silence_id: str, request: Request, alerts: AlertsDep) -> dict[str, Any]:
    return _out(alerts.store.save_silence(await _parse(request, silence_id)), datetime.now(UTC))


@router.delete("/{silence_id}", status_code=204, summary="Delete a silence", responses=refusals(404))
async def delete_silence(silence_id: str, alerts: AlertsDep) -> Response:
    if not alerts.store.delete_silence(silence_id):
        raise _not_found(silence_id)
    return Response(status_code=204)
