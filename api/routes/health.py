"""Health checks: `/healthz` (the process is up) and `/readyz` (it can serve: broker and config reached).

`/readyz` also counts the workers heard from recently: 0 means mentions are accepted but not processed.
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
    body = {
        "status": "ready" if ready else "starting",
        "watchlists": len(runtime.hub.watchlists),
        "clients": len(runtime.hub.clients),
        "updates_seen": runtime.hub.updates_seen,
        "workers_alive": runtime.hub.workers_alive(),
    }
    return FastJSONResponse(body, status_code=200 if ready else 503)
