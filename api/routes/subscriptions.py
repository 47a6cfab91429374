"""On-call subscriptions: who is told of which alerts, when, and who next (services/alerts/subscriptions).

A channel given in place shows its URL or routing key masked to every caller, the one who created it too
(the answer of POST and PUT included): it names a credential, and the caller sent it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from api.alert_feed import AlertsDep
from api.errors import FieldErrorRoute, field_error, object_body
from api.openapi import KEYED, body_doc, refusals
from api.routes.alerts import convert_record
from api.subscription_checks import check_subscription
from services.alerts.subscriptions import Subscription, masked_subscription

router = APIRouter(
    prefix="/api/v1/subscriptions", tags=["subscriptions"], route_class=FieldErrorRoute, responses=KEYED
)

BODY_DOC = body_doc(
    Subscription,
    {
        "name": "Ana (comms on-call)",
        "channel": {"kind": "email", "target": "ana@example.com"},
        "watchlists": ["aerolis"],
        "min_severity": "warning",
        "schedule": {
            "timezone": "Europe/Paris",
            "on_call": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "20:00"}],
            "quiet_hours": [{"start": "22:00", "end": "07:00"}],
        },
        "escalation": [{"after_min": 15, "contacts": [{"name": "Head of comms", "channel": "ep_lead"}]}],
        "repeat_every_min": 30,
    },
)


def _not_found(subscription_id: str) -> HTTPException:
    return HTTPException(
        404, detail=[{"field": "id", "error": f"no subscription with id {subscription_id!r}"}]
    )


async def _parse(request: Request, subscription_id: str | None = None) -> Subscription:
    body = object_body(await request.body(), subscription_id)
    subscription = convert_record(body, Subscription)
    await check_subscription(subscription, request)
    return subscription


def _out(subscription: Subscription) -> dict[str, Any]:
    return masked_subscription(subscription)


@router.get("", summary="List subscriptions")
async def list_subscriptions(alerts: AlertsDep) -> list[dict[str, Any]]:
    return [_out(s) for s in alerts.store.list_subscriptions()]


@router.post(
    "",
    status_code=201,
    summary="Create a subscription",
    openapi_extra=BODY_DOC,
    responses=refusals(409, 413),
)
async def create_subscription(request: Request, alerts: AlertsDep) -> dict[str, Any]:
    subscription = await _parse(request)
    if alerts.store.get_subscription(subscription.id) is not None:
        raise field_error(
            "id", f"a subscription with id {subscription.id!r} exists already; PUT to change it", 409
        )
    return _out(alerts.store.save_subscription(subscription))


@router.get("/{subscription_id}", summary="One subscription", responses=refusals(404))
async def get_subscription(subscription_id: str, alerts: AlertsDep) -> dict[str, Any]:
    subscription = alerts.store.get_subscription(subscription_id)
    if subscription is None:
        raise _not_found(subscription_id)
    return _out(subscription)


@router.put(
    "/{subscription_id}",
    summary="Create or replace a subscription",
    openapi_extra=BODY_DOC,
    responses=refusals(413),
)
async def put_subscription(subscription_id: str, request: Request, alerts: AlertsDep) -> dict[str, Any]:
    return _out(alerts.store.save_subscription(await _parse(request, subscription_id)))


@router.delete(
    "/{subscription_id}", status_code=204, summary="Delete a subscription", responses=refusals(404)
)
async def delete_subscription(subscription_id: str, alerts: AlertsDep) -> Response:
    if not alerts.store.delete_subscription(subscription_id):
        raise _not_found(subscription_id)
    return Response(status_code=204)
