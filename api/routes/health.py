"""Health checks: `/healthz` (the process is up) and `/readyz` (it can serve: broker and config reached).

`/readyz` also counts the workers heard from recently: 0 means mentions are accepted but not processed, and
the websocket clients: `clients_behind` are reading slower than updates come, `queued_max` is the most
messages waiting for one client (bounded: api/hub.py `Client`), `messages_direct` how many messages the
connected clients got as one pre-built frame written straight to their connection (api/direct_frames.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import RuntimeDep
from api.responses import FastJSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness")
async def readyz(runtime: RuntimeDep) -> Any:
    ready = runtime.hub.feed.ready.is_set()
    clients = list(runtime.hub.clients)
    body = {
        "status": "ready" if ready else "starting",
        "watchlists": len(runtime.hub.watchlists),
        "clients": len(runtime.hub.clients),
        "clients_behind": sum(1 for client in clients if client.behind),
        "queued_max": max((client.pending for client in clients), default=0),
        "messages_direct": sum(client.written_direct for client in clients),
        "updates_seen": runtime.hub.updates_seen,
        "workers_alive": runtime.hub.workers_alive(),
        # The insights process (swarms, influencers, coordination, alerts): 0 means none of those run.
        "insights_alive": runtime.hub.workers_alive(stage="insights"),
        "hub_loop_restarts": dict(runtime.hub.loop_restarts),
    }
    return FastJSONResponse(body, status_code=200 if ready else 503)
