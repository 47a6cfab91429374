"""Watchlists: what the room watches. Saved in the database, broadcast to workers on `vigie.config`."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import msgspec
from fastapi import APIRouter, HTTPException, Request, Response

from api.deps import RuntimeDep
from api.errors import FieldErrorRoute, convert_or_422, field_error, object_body
from api.openapi import KEYED, body_doc, refusals
from api.routes.queries import query_error
from services.aggregation.aggregate import metrics_message
from services.aggregation.windows import WindowState
from services.history.store import HistoryStore
from services.runtime.config_feed import publish_watchlists
from services.runtime.kafka import CONFIG
from services.understanding.query import QuerySyntaxError, parse
from services.understanding.text import fold
from services.understanding.watchlists import Watchlist

router = APIRouter(
    prefix="/api/v1/watchlists", tags=["watchlists"], route_class=FieldErrorRoute, responses=KEYED
)

EXAMPLE = {
    "id": "aerolis",
    "name": "Aerolis",
    "kind": "brand",
    "group": "airlines",
    "keywords": ["aerolis", "aerolis air"],
    "hashtags": ["aerolis"],
    "handles": ["aerolis"],
    "exclude": [],
}
BODY_DOC = body_doc(Watchlist, EXAMPLE)


def slug_of(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:64] or "watchlist"


def _not_found(watchlist_id: str) -> HTTPException:
    return HTTPException(404, detail=[{"field": "id", "error": f"no watchlist with id {watchlist_id!r}"}])


async def _parse(request: Request, watchlist_id: str | None = None) -> Watchlist:
    body = object_body(await request.body(), watchlist_id)
    if watchlist_id is None and "id" not in body and isinstance(body.get("name"), str):
        body["id"] = slug_of(body["name"])
    watchlist = convert_or_422(body, Watchlist)
    if watchlist.query is not None:
        try:
            parse(watchlist.query)
        except QuerySyntaxError as error:
            raise query_error(error) from None
    return watchlist


def _out(watchlist: Watchlist) -> dict[str, Any]:
    result: dict[str, Any] = msgspec.to_builtins(watchlist)
    return result


@router.get("", summary="List watchlists")
async def list_watchlists(runtime: RuntimeDep) -> list[dict[str, Any]]:
    return [_out(w) for w in runtime.store.list_watchlists()]


@router.post(
    "",
    status_code=201,
    summary="Create a watchlist",
    openapi_extra=BODY_DOC,
    responses=refusals(409, 413),
)
async def create_watchlist(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    watchlist = await _parse(request)
    if runtime.store.get_watchlist(watchlist.id) is not None:
        raise field_error("id", f"a watchlist with id {watchlist.id!r} exists already; PUT to change it", 409)
    saved = runtime.store.save_watchlist(watchlist)
    await publish_watchlists(runtime.producer, runtime.settings.topic(CONFIG), [saved])
    return _out(saved)


@router.get("/{watchlist_id}", summary="One watchlist", responses=refusals(404))
async def get_watchlist(watchlist_id: str, runtime: RuntimeDep) -> dict[str, Any]:
    watchlist = runtime.store.get_watchlist(watchlist_id)
    if watchlist is None:
        raise _not_found(watchlist_id)
    return _out(watchlist)


@router.put(
    "/{watchlist_id}",
    summary="Create or replace a watchlist",
    openapi_extra=BODY_DOC,
    responses=refusals(413),
)
async def put_watchlist(watchlist_id: str, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    saved = runtime.store.save_watchlist(await _parse(request, watchlist_id))
    await publish_watchlists(runtime.producer, runtime.settings.topic(CONFIG), [saved])
    return _out(saved)


@router.delete("/{watchlist_id}", status_code=204, summary="Delete a watchlist", responses=refusals(404))
async def delete_watchlist(watchlist_id: str, request: Request, runtime: RuntimeDep) -> Response:
    if not runtime.store.delete_watchlist(watchlist_id):
        raise _not_found(watchlist_id)
    await publish_watchlists(runtime.producer, runtime.settings.topic(CONFIG), [], deleted=[watchlist_id])
    # Its counts and history go with it: a watchlist created again under the same id starts from nothing
    # (the worker's windows too: services/aggregation/aggregate.py `for_watchlist`).
    history: HistoryStore = request.app.state.history
    await asyncio.to_thread(history.forget, watchlist_id)
    return Response(status_code=204)


@router.get(
    "/{watchlist_id}/metrics", summary="Current rolling windows of a watchlist", responses=refusals(404)
)
async def get_metrics(watchlist_id: str, runtime: RuntimeDep) -> dict[str, Any]:
    """The latest `metrics` message (see api/websocket.md): 1, 5, 15 and 60 minute windows and the
    60-minute series. A watchlist with no mention yet answers empty windows."""
    if runtime.store.get_watchlist(watchlist_id) is None:
        raise _not_found(watchlist_id)
    latest = runtime.hub.metrics.get(watchlist_id)
    if latest is None:
        latest = metrics_message(watchlist_id, WindowState(), time.time())
    metrics: dict[str, Any] = msgspec.to_builtins(latest)
    return metrics
