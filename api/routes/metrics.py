"""`GET /metrics`: this api process's metrics in the Prometheus text format (services/observability/).

Open when VIGIE_METRICS_PUBLIC is true (Prometheus scrapes usually carry no key), else it needs a key with
the `read` scope, as `Authorization: Bearer vk_…` (Prometheus: `authorization` in the scrape config).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from api.auth import authenticate, bearer
from api.deps import get_runtime
from api.openapi import refusals
from services.observability import metrics

router = APIRouter(tags=["health"], responses=refusals(401, 403))


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def prometheus_metrics(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Response:
    runtime = get_runtime(request)
    if not runtime.settings.metrics_public:
        authenticate(request, "read", allow_query=True)
    metrics.WEBSOCKET_CLIENTS.set(len(runtime.hub.clients))
    metrics.READY.set(1 if runtime.hub.feed.ready.is_set() else 0)
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
