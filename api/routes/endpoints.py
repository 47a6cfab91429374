"""Delivery endpoints (webhooks, Slack, PagerDuty, e-mail), their delivery log, and redelivery.

An endpoint's credentials are shown whole once, in the answer that created it (to the admin who sent
them); afterwards, to every caller, a webhook's signing secret and a PagerDuty routing key show only their
first characters and a URL only its origin (Slack's and most webhooks' paths are their credential), so a
`read` key, a log or a screen share does not leak them (services/delivery/endpoints.py, `masked_endpoint`).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from starlette.requests import HTTPConnection

from api.errors import FieldErrorRoute, convert_or_422, field_error, object_body
from api.openapi import KEYED, body_doc, refusals
from services.delivery.attempts import DeliveryState
from services.delivery.endpoints import Endpoint, masked_endpoint
from services.delivery.guard import TargetPolicy, TargetRefused, check_url
from services.delivery.store import DeliveryError, DeliveryStore

router = APIRouter(prefix="/api/v1", tags=["delivery"], route_class=FieldErrorRoute, responses=KEYED)

#: Delivery ids are SQL BIGINTs: a larger number can name no delivery (and would overflow the query).
DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1)]
EXAMPLE = {"kind": "webhook", "name": "status page", "url": "https://hooks.example.com/vigie"}
BODY_DOC = body_doc(Endpoint, EXAMPLE)


def get_deliveries(connection: HTTPConnection) -> DeliveryStore:
    store: DeliveryStore = connection.app.state.deliveries
    return store


def _deliveries(request: Request) -> DeliveryStore:
    return get_deliveries(request)


DeliveriesDep = Annotated[DeliveryStore, Depends(_deliveries)]


def _out(endpoint: Endpoint, *, reveal_secret: bool = False) -> dict[str, Any]:
    if reveal_secret:
        created: dict[str, Any] = msgspec.to_builtins(endpoint)
        return created
    return masked_endpoint(endpoint)


def _not_found(kind: str, key: object) -> HTTPException:
    return HTTPException(404, detail=[{"field": "id", "error": f"no {kind} with id {key!r}"}])


async def _parse(request: Request, allow_private: bool, endpoint_id: str | None = None) -> Endpoint:
    body = object_body(await request.body(), endpoint_id)
    return await _checked(convert_or_422(body, Endpoint), allow_private)


async def _checked(endpoint: Endpoint, allow_private: bool) -> Endpoint:
    """The endpoint, once its address passed the target guard (422 naming `url` otherwise)."""
    if endpoint.kind != "email" and endpoint.url:
        try:
            await check_url(endpoint.url, TargetPolicy(allow_private=allow_private))
        except TargetRefused as error:
            raise field_error("url", str(error)) from None
    return endpoint


@router.get("/endpoints", summary="List delivery endpoints")
async def list_endpoints(deliveries: DeliveriesDep) -> list[dict[str, Any]]:
    return [_out(endpoint) for endpoint in deliveries.list_endpoints()]


@router.post(
    "/endpoints",
    status_code=201,
    summary="Create a delivery endpoint",
    openapi_extra=BODY_DOC,
    responses=refusals(409, 413),
)
async def create_endpoint(request: Request, deliveries: DeliveriesDep) -> dict[str, Any]:
    """The answer carries the endpoint's credentials whole (a webhook's signing secret `whsec_…`, a routing
    key, a URL): keep them, they are shown masked afterwards."""
    allow = request.app.state.runtime.settings.delivery_allow_private_targets
    endpoint = await _parse(request, allow)
    if deliveries.get_endpoint(endpoint.id) is not None:
        raise field_error("id", f"an endpoint with id {endpoint.id!r} exists already", 409)
    return _out(deliveries.save_endpoint(endpoint), reveal_secret=True)


@router.get("/endpoints/{endpoint_id}", summary="One delivery endpoint", responses=refusals(404))
async def get_endpoint(endpoint_id: str, deliveries: DeliveriesDep) -> dict[str, Any]:
    endpoint = deliveries.get_endpoint(endpoint_id)
    if endpoint is None:
        raise _not_found("endpoint", endpoint_id)
    return _out(endpoint)


@router.put(
    "/endpoints/{endpoint_id}",
    summary="Change a delivery endpoint",
    openapi_extra=BODY_DOC,
    responses=refusals(404, 413),
)
async def put_endpoint(endpoint_id: str, request: Request, deliveries: DeliveriesDep) -> dict[str, Any]:
    """Replace an endpoint's settings; a webhook keeps its signing secret unless the body gives one."""
    existing = deliveries.get_endpoint(endpoint_id)
    if existing is None:
        raise _not_found("endpoint", endpoint_id)
    body = object_body(await request.body(), endpoint_id)
    if existing.secret and not body.get("secret"):
        body["secret"] = existing.secret
    allow = request.app.state.runtime.settings.delivery_allow_private_targets
    endpoint = await _checked(convert_or_422(body, Endpoint), allow)
    return _out(deliveries.save_endpoint(endpoint))


@router.post(
    "/endpoints/{endpoint_id}/test",
    summary="Send a test event to an endpoint and show what its receiver answered",
    responses=refusals(404),
)
async def test_endpoint(endpoint_id: str, request: Request, deliveries: DeliveriesDep) -> dict[str, Any]:
    """An `info` alert event marked `details.test`, sent now through the same address guard, formats and
    timeout as deliveries (nothing is recorded or retried). The answer: `outcome` (delivered, failed,
    refused: the guard refused the address, nothing was sent), `status_code`, `latency_ms`, `error`, and
    `answer`, the start of the receiver's reply."""
    from services.delivery.sender import Deliverer

    endpoint = deliveries.get_endpoint(endpoint_id)
    if endpoint is None:
        raise _not_found("endpoint", endpoint_id)
    settings = request.app.state.runtime.settings
    async with Deliverer.from_settings(settings, deliveries) as deliverer:
        answer = await deliverer.send_test(endpoint)
    result: dict[str, Any] = msgspec.to_builtins(answer)
    return result


@router.delete(
    "/endpoints/{endpoint_id}",
    status_code=204,
    summary="Delete a delivery endpoint",
    responses=refusals(404),
)
async def delete_endpoint(endpoint_id: str, deliveries: DeliveriesDep) -> Response:
    if not deliveries.delete_endpoint(endpoint_id):
        raise _not_found("endpoint", endpoint_id)
    return Response(status_code=204)


@router.post(
    "/endpoints/{endpoint_id}/enable",
    summary="Enable an endpoint again (after a 410, say)",
    responses=refusals(404),
)
async def enable_endpoint(endpoint_id: str, deliveries: DeliveriesDep) -> dict[str, Any]:
    if deliveries.get_endpoint(endpoint_id) is None:
        raise _not_found("endpoint", endpoint_id)
    return _out(deliveries.enable_endpoint(endpoint_id))


@router.get(
    "/endpoints/{endpoint_id}/attempts",
    summary="The delivery log of an endpoint",
    responses=refusals(404),
)
async def endpoint_attempts(
    endpoint_id: str, deliveries: DeliveriesDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[Any]:
    """Every attempt, newest first: status code, latency, error and outcome."""
    if deliveries.get_endpoint(endpoint_id) is None:
        raise _not_found("endpoint", endpoint_id)
    return [msgspec.to_builtins(a) for a in deliveries.attempts_for_endpoint(endpoint_id, limit)]


@router.get("/deliveries", summary="Deliveries, newest first")
async def list_deliveries(
    deliveries: DeliveriesDep,
    state: DeliveryState | None = None,
    endpoint: str | None = None,
    event: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Any]:
    """`?state=failed` lists the deliveries whose retries are exhausted (kept, redeliverable)."""
    found = deliveries.list_deliveries(
        event_id=event, endpoint_id=endpoint, states=(state,) if state else (), limit=limit
    )
    return [msgspec.to_builtins(delivery) for delivery in found]


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    summary="Deliver a failed message again",
    responses=refusals(404, 409),
)
async def redeliver(delivery_id: DeliveryId, deliveries: DeliveriesDep) -> Any:
    try:
        return msgspec.to_builtins(deliveries.redeliver(delivery_id))
    except DeliveryError as error:
        raise field_error("id", str(error), 404 if "no delivery" in str(error) else 409) from None
