"""History of a watchlist over any period, from the roll-ups in the database (services/history/)."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from api.deps import RuntimeDep
from api.errors import FieldErrorRoute, field_error
from api.openapi import KEYED, refusals
from services.history.period import PeriodError, history_answer, resolve_period
from services.history.rollups import HOUR_S
from services.history.store import HistoryStore

router = APIRouter(
    prefix="/api/v1/watchlists", tags=["history"], route_class=FieldErrorRoute, responses=KEYED
)


@router.get(
    "/{watchlist_id}/history", summary="A watchlist's figures over any period", responses=refusals(404, 422)
)
async def get_history(
    watchlist_id: str,
    request: Request,
    runtime: RuntimeDep,
    from_: Annotated[
        str | None, Query(alias="from", description="ISO 8601 or Unix seconds; default to - 24 h")
    ] = None,
    to: Annotated[str | None, Query(description="ISO 8601 or Unix seconds; default now")] = None,
    step: Annotated[
        int | None, Query(description="seconds, a whole number of minutes; default fits the period")
    ] = None,
) -> dict[str, Any]:
    """Counts and sentiment per step from `from` to `to` (event time), their totals, and the totals of the
    period just before (same length) to compare. History is kept `VIGIE_HISTORY_DAYS`, by the minute for
    the last `VIGIE_HISTORY_MINUTE_DAYS`, by the hour before."""
    settings = runtime.settings
    if runtime.store.get_watchlist(watchlist_id) is None:
        raise HTTPException(
            404, detail=[{"field": "watchlist_id", "error": f"no watchlist {watchlist_id!r}"}]
        )
    now = time.time()
    try:
        period = resolve_period(from_, to, step, now_ts=now, keep_s=settings.history_days * 86_400)
    except PeriodError as error:
        raise field_error(error.field, error.reason) from None
    store: HistoryStore = request.app.state.history
    points, previous = await asyncio.to_thread(
        lambda: (
            store.points(watchlist_id, period.from_ts, period.to_ts, period.step_s),
            store.points(watchlist_id, period.previous.from_ts, period.previous.to_ts, period.step_s),
        )
    )
    minute_since = int((now - settings.history_minute_days * 86_400) // HOUR_S) * HOUR_S
    return history_answer(watchlist_id, period, points, previous, minute_since_ts=minute_since)
