"""Connectors: `GET /api/v1/connectors` lists them with their counters; POST and DELETE configure them.

Running connectors publish their status on vigie.updates (services/connectors/process.py); this router
follows those records with its own small consumer, started and stopped with the app. Connectors created
here are saved in the database and sent on `vigie.config` (`connector:<name>`, as watchlists travel), where
`vigie connectors` (services/connectors/host.py) picks them up; the stored ones are sent again at start
(the embedded broker forgets its topics when it restarts).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response

from api.deps import RuntimeDep
from api.errors import FieldErrorRoute, field_error, object_body
from api.openapi import KEYED, body_doc, refusals
from services.connectors.board import ConnectorBoard, follow_connector_statuses
from services.connectors.specs import (
    Spec,
    SpecError,
    check_targets,
    connector_policy,
    parse_spec,
    parse_specs,
    redacted,
    spec_name,
)
from services.runtime.config_feed import publish_connectors
from services.runtime.kafka import CONFIG

#: A connector not heard from for this many status intervals is shown as not alive.
SILENT_AFTER_INTERVALS = 5


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    runtime = app.state.runtime
    settings = runtime.settings
    await publish_connectors(runtime.producer, settings.topic(CONFIG), runtime.store.list_connectors())
    board = ConnectorBoard(silent_after_s=SILENT_AFTER_INTERVALS * settings.connector_status_interval_s)
    app.state.connector_board = board
    task = asyncio.create_task(follow_connector_statuses(settings, board), name="connector-statuses")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


router = APIRouter(
    prefix="/api/v1", tags=["connectors"], lifespan=lifespan, route_class=FieldErrorRoute, responses=KEYED
)

EXAMPLE = {"kind": "bluesky", "name": "bsky-acme", "track": ["acme", "#acmeair"]}
BODY_DOC = body_doc(Spec, EXAMPLE)
# msgspec maps each kind to `#/$defs/...`, which does not resolve in an OpenAPI document; the `kind` enum
# of each choice says the same thing.
BODY_DOC["requestBody"]["content"]["application/json"]["schema"].pop("discriminator", None)


def _not_found(name: str) -> HTTPException:
    return HTTPException(
        404, detail=[{"field": "name", "error": f"no connector configured here named {name!r}"}]
    )


def listing(board_items: list[dict[str, Any]], configured: list[Spec]) -> list[dict[str, Any]]:
    """Every connector heard from, and every one configured through the API even if not heard from yet
    (`reported` false); the configured ones carry their `spec`, secrets hidden."""
    specs = {spec_name(spec): spec for spec in configured}
    items = []
    for status in board_items:
        spec = specs.pop(str(status["id"]), None)
        items.append({**status, "reported": True, **({"spec": redacted(spec)} if spec else {})})
    for name, spec in specs.items():
        kind = type(spec).__struct_config__.tag
        items.append(
            {
                "id": name,
                "name": name,
                "kind": kind,
                "alive": False,
                "reported": False,
                "spec": redacted(spec),
            }
        )
    return sorted(items, key=lambda item: str(item["id"]))


@router.get(
    "/connectors",
    summary="Connectors and their counters",
    description=(
        "Every connector heard from (Bluesky, Mastodon, RSS, ...): received, published, filtered, "
        "duplicates, errors, reconnects, last event time, rate per second, and whether it is alive; and "
        "every connector configured through this API, with its `spec` (tokens hidden), `reported` false "
        "until it has published a status. Connectors are configured with POST /api/v1/connectors, "
        "`vigie connect ...` or VIGIE_CONNECTORS."
    ),
)
async def list_connectors(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    board: ConnectorBoard = request.app.state.connector_board
    return {"items": listing(board.items(), runtime.store.list_connectors())}


@router.post(
    "/connectors",
    status_code=201,
    summary="Configure a connector",
    description=(
        "A spec: `kind` (bluesky, mastodon, rss), the kind's options, `track` (words, phrases, #tags: "
        "only mentions matching one are published) and a `name` (default: the kind). `vigie connectors` "
        "starts it within a second; its status then appears in GET /api/v1/connectors. A URL whose host "
        "resolves to a private, loopback or link-local address is refused (422 naming the field) unless "
        "VIGIE_CONNECTOR_ALLOW_PRIVATE_TARGETS or VIGIE_CONNECTOR_ALLOWED_NETWORKS allow it; every "
        "connection the connector makes, redirects included, is checked again."
    ),
    openapi_extra=BODY_DOC,
    responses=refusals(409, 413),
)
async def create_connector(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    try:
        spec = parse_spec(object_body(await request.body()), "")
        await check_targets(spec, connector_policy(runtime.settings))
    except SpecError as error:
        raise field_error(error.field, error.reason) from None
    name = spec_name(spec)
    environment = {spec_name(s) for s in parse_specs(runtime.settings.connectors)}
    if name in environment:
        raise field_error(
            "name", f"a connector named {name!r} is configured by VIGIE_CONNECTORS already", 409
        )
    if not runtime.store.add_connector(spec):
        raise field_error("name", f"a connector named {name!r} exists already; DELETE it first", 409)
    await publish_connectors(runtime.producer, runtime.settings.topic(CONFIG), [spec])
    return redacted(spec)


@router.delete(
    "/connectors/{name}",
    status_code=204,
    summary="Stop and remove a connector configured through the API",
    description="Its cursor is kept: configuring a connector of the same name again resumes from it.",
    responses=refusals(404),
)
async def delete_connector(name: str, runtime: RuntimeDep) -> Response:
    if not runtime.store.delete_connector(name):
        raise _not_found(name)
    await publish_connectors(runtime.producer, runtime.settings.topic(CONFIG), [], deleted=[name])
    return Response(status_code=204)
