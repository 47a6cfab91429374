"""`GET /api/v1/connectors`: the connectors running anywhere on this broker, with their counters.

Connectors publish their status on vigie.updates (services/connectors/process.py); this router follows
those records with its own small consumer, started and stopped with the app.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request

from services.connectors.board import ConnectorBoard, follow_connector_statuses

#: A connector not heard from for this many status intervals is shown as not alive.
SILENT_AFTER_INTERVALS = 5


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.runtime.settings
    board = ConnectorBoard(silent_after_s=SILENT_AFTER_INTERVALS * settings.connector_status_interval_s)
    app.state.connector_board = board
    task = asyncio.create_task(follow_connector_statuses(settings, board), name="connector-statuses")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


router = APIRouter(prefix="/api/v1", tags=["connectors"], lifespan=lifespan)


@router.get(
    "/connectors",
    summary="Connectors and their counters",
    description=(
        "Every connector heard from (Bluesky, Mastodon, RSS, ...): received, published, filtered, "
        "duplicates, errors, reconnects, last event time, rate per second, and whether it is alive. "
        "Connectors are configured with `vigie connect ...` or VIGIE_CONNECTORS."
    ),
)
async def list_connectors(request: Request) -> dict[str, Any]:
    board: ConnectorBoard = request.app.state.connector_board
    return {"items": board.items()}
