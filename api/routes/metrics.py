"""`GET /metrics`: this api process's metrics in the Prometheus text format (services/runtime/observability/).

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
from services.runtime.observability import metrics

router = APIRouter(tags=["health"], responses=refusals(401, 403))

#: Said at the top of the api's metrics (a comment, which Prometheus ignores): the figures of the other
#: stages are declared in every process but counted where the work happens.
WORKER_FIGURES_NOTE = (
    b"# This is the api process: it counts the ingest stage, its websocket clients and its readiness.\n"
    b'# vigie_mentions_*{stage="enrich"|"aggregate"}, vigie_records_*, vigie_send_errors_total,\n'
    b"# vigie_consumer_lag_records and vigie_end_to_end_latency_seconds are counted by the worker processes\n"
    b"# and stay at 0 here: scrape each worker's /metrics on its VIGIE_HEALTH_PORT (off by default; set one\n"
    b"# per process), and each notifier's for vigie_deliveries_total.\n"
)


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
    return Response(WORKER_FIGURES_NOTE + body, media_type=content_type)
