"""Alerts: list with filters, one alert, its history; acknowledge and resolve by hand (recorded as done
`by` the name of the key that did it, with the name the caller gave as a `note`).

Alerts are written by the rule engine (streams/agents/alerts.py) and reach this process's database through
`vigie.alerts` (api/alert_feed.py). Each listed alert is its latest event, plus `silenced_by`: the id of the
active silence that stops its delivery, if any.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar, get_args

import msgspec
from fastapi import APIRouter, HTTPException, Request

from api.alert_feed import AlertsDep
from api.auth import actor
from api.errors import FieldErrorRoute, decode_json_body, field_error
from api.openapi import KEYED, body_doc, refusals
from services.alerts.events import AlertEvent, RuleKind, Severity, Status
from services.alerts.lifecycle import manual_event
from services.alerts.silences import Silence, silenced
from services.ingest.records import problem_of

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"], route_class=FieldErrorRoute, responses=KEYED)

T = TypeVar("T")
MAX_LIMIT = 1000


Note = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class ActionBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """`note`: who you are (free text, kept as the event's `note`; `by` is an older name for it). The
    event's `by` is always the name of the API key that acted."""

    note: Note | None = None
    by: Note | None = None
    comment: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


ACTION_DOC = body_doc(ActionBody, {"note": "ana", "comment": "on it"})


def convert_record(body: Any, type_: type[T]) -> T:
    """Validate a decoded JSON body into a record, or raise 422 naming the field (a check made across fields
    names its field in backticks at the start of its message)."""
    try:
        return msgspec.convert(body, type_)
    except msgspec.ValidationError as error:
        problem = problem_of(error)
        field = problem.field
        if field == "mention":
            named = re.match(r"`([\w.]+)`", problem.reason)
            field = named.group(1) if named else "body"
        raise field_error(field, problem.reason) from None


async def read_body(request: Request, type_: type[T]) -> T:
    body = decode_json_body(await request.body())
    if not isinstance(body, dict):
        raise field_error("body", f"expected a JSON object, got {type(body).__name__}")
    return convert_record(body, type_)


def _one_of(field: str, value: str | None, allowed: Any) -> str | None:
    choices = get_args(allowed)
    if value is not None and value not in choices:
        raise field_error(field, f"expected one of {', '.join(choices)}, got {value!r}")
    return value


def alert_out(event: AlertEvent, silences: list[Silence], now: datetime) -> dict[str, Any]:
    body: dict[str, Any] = msgspec.to_builtins(event)
    silence = silenced(event, silences, now)
    body["silenced_by"] = silence.id if silence else None
    return body


def _not_found(alert_id: str) -> HTTPException:
    return HTTPException(404, detail=[{"field": "id", "error": f"no alert with id {alert_id!r}"}])


@router.get("", summary="List alerts")
async def list_alerts(
    alerts: AlertsDep,
    status: str | None = None,
    watchlist: str | None = None,
    severity: str | None = None,
    rule: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Current alerts (the latest event of each), most recently changed first; filters combine."""
    if not 1 <= limit <= MAX_LIMIT:
        raise field_error("limit", f"expected 1 to {MAX_LIMIT}, got {limit}")
    found = alerts.store.list_alerts(
        status=_one_of("status", status, Status),
        watchlist=watchlist,
        severity=_one_of("severity", severity, Severity),
        rule=_one_of("rule", rule, RuleKind),
        limit=limit,
    )
    now = datetime.now(UTC)
    active = alerts.store.list_silences(active_at=now)
    return [alert_out(event, active, now) for event in found]


@router.get("/{alert_id}", summary="One alert", responses=refusals(404))
async def get_alert(alert_id: str, alerts: AlertsDep) -> dict[str, Any]:
    event = alerts.store.get_alert(alert_id)
    if event is None:
        raise _not_found(alert_id)
    now = datetime.now(UTC)
    return alert_out(event, alerts.store.list_silences(active_at=now), now)


@router.get("/{alert_id}/history", summary="Every change of an alert, oldest first", responses=refusals(404))
async def get_history(alert_id: str, alerts: AlertsDep) -> list[dict[str, Any]]:
    history = alerts.store.history(alert_id)
    if not history:
        raise _not_found(alert_id)
    return [msgspec.to_builtins(event) for event in history]


async def _act(
    alert_id: str, request: Request, alerts: AlertsDep, status: Literal["acknowledged", "resolved"]
) -> dict[str, Any]:
    action = await read_body(request, ActionBody)
    current = alerts.store.get_alert(alert_id)
    if current is None:
        raise _not_found(alert_id)
    now = datetime.now(UTC)
    silences = alerts.store.list_silences(active_at=now)
    if current.status == status:
        return alert_out(current, silences, now)  # already done: nothing new to say
    if current.status == "resolved":
        raise field_error("id", f"alert {alert_id!r} is resolved; there is nothing to {status[:-1]}", 409)
    event = manual_event(current, status, actor(request), action.comment, now, note=action.note or action.by)
    event = await alerts.publish(event)
    return alert_out(event, silences, now)


@router.post(
    "/{alert_id}/acknowledge",
    summary="Acknowledge an alert",
    openapi_extra=ACTION_DOC,
    responses=refusals(404, 409, 413),
)
async def acknowledge(alert_id: str, request: Request, alerts: AlertsDep) -> dict[str, Any]:
    """Someone is on it: repeats and escalation stop. Acknowledging twice changes nothing."""
    return await _act(alert_id, request, alerts, "acknowledged")


@router.post(
    "/{alert_id}/resolve",
    summary="Resolve an alert",
    openapi_extra=ACTION_DOC,
    responses=refusals(404, 409, 413),
)
async def resolve(alert_id: str, request: Request, alerts: AlertsDep) -> dict[str, Any]:
    """Close the episode; it does not fire again until its condition has cleared."""
    return await _act(alert_id, request, alerts, "resolved")
