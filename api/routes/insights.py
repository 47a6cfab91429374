"""Who carries the conversation: hashtag swarms, influencer boards and coordinated campaigns.

Each route answers the latest state the hub received from the insights agent (the same messages the
websocket pushes, see api/websocket.md): empty lists before the first one arrives.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, HTTPException

from api.deps import Runtime, RuntimeDep
from api.errors import FieldErrorRoute, field_error
from api.openapi import KEYED, refusals
from services.insights.live import INFLUENCERS_KEPT

router = APIRouter(prefix="/api/v1", tags=["insights"], route_class=FieldErrorRoute, responses=KEYED)


def _require_watchlist(runtime: Runtime, watchlist_id: str, field: str) -> None:
    if runtime.store.get_watchlist(watchlist_id) is None:
        raise HTTPException(404, detail=[{"field": field, "error": f"no watchlist with id {watchlist_id!r}"}])


@router.get("/swarms", summary="Hashtag swarms", responses=refusals(404))
async def list_swarms(runtime: RuntimeDep, watchlist: str | None = None) -> dict[str, Any]:
    """Communities of hashtags many distinct authors use together now, largest first; with `watchlist`,
    only those whose mentions touch it."""
    latest = runtime.hub.swarms
    items = latest.items if latest is not None else []
    if watchlist is not None:
        _require_watchlist(runtime, watchlist, "watchlist")
        items = [swarm for swarm in items if watchlist in swarm.watchlists]
    return {"now_ts": latest.now_ts if latest is not None else None, "items": msgspec.to_builtins(items)}


@router.get(
    "/watchlists/{watchlist_id}/influencers",
    summary="Influencer board of a watchlist",
    responses=refusals(404),
)
async def list_influencers(
    watchlist_id: str, runtime: RuntimeDep, press: bool = False, limit: int = 20
) -> dict[str, Any]:
    """Authors by combined rank, with reach, resonance and relevance apart and journalists and media
    flagged; `press=true` keeps journalists and media only (each keeps its rank among everyone)."""
    _require_watchlist(runtime, watchlist_id, "id")
    if not 1 <= limit <= INFLUENCERS_KEPT:
        raise field_error("limit", f"expected 1 to {INFLUENCERS_KEPT}, got {limit}")
    latest = runtime.hub.influencers.get(watchlist_id)
    rows = (latest.press if press else latest.items) if latest is not None else []
    now_ts = latest.now_ts if latest is not None else None
    return {"watchlist": watchlist_id, "now_ts": now_ts, "items": msgspec.to_builtins(rows[:limit])}


@router.get("/coordination", summary="Coordinated campaigns and automated accounts", responses=refusals(404))
async def list_coordination(runtime: RuntimeDep, watchlist: str | None = None) -> dict[str, Any]:
    """Bursts of near-duplicate posts by throwaway accounts (live ones first) and accounts that look
    automated; with `watchlist`, the clusters about it and the automated accounts among theirs."""
    latest = runtime.hub.coordination
    clusters = latest.clusters if latest is not None else []
    accounts = latest.accounts if latest is not None else []
    if watchlist is not None:
        _require_watchlist(runtime, watchlist, "watchlist")
        clusters = [cluster for cluster in clusters if watchlist in cluster.watchlists]
        members = {handle for cluster in clusters for handle in cluster.accounts}
        accounts = [account for account in accounts if account.handle in members]
    return {
        "now_ts": latest.now_ts if latest is not None else None,
        "clusters": msgspec.to_builtins(clusters),
        "accounts": msgspec.to_builtins(accounts),
        "coordinated_mentions": sum(cluster.mentions for cluster in clusters),
    }
