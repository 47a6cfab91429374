"""The FastAPI application: `create_app(settings)`; `vigie api` serves it with uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from types import ModuleType

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.params import Depends as Dependency

from api.alert_feed import start_alerts
from api.auth import require, watch_revocations
from api.body_parser import BodyParser
from api.content_type import ContentTypeCheck
from api.deps import Runtime
from api.hub import Hub
from api.limits import BodySizeLimit, limit_ingest
from api.responses import FastJSONResponse
from api.routes import (
    alerts,
    archive,
    connectors,
    corrections,
    endpoints,
    health,
    history,
    hooks,
    incidents,
    insights,
    live,
    mentions,
    metrics,
    queries,
    rules,
    silences,
    subscriptions,
    watchlists,
)
from api.wall_assets import WallAssets
from services.access.auth import KeyStore
from services.access.ratelimit import RateLimiter
from services.archive.search import Searcher
from services.archive.store import Archive
from services.delivery.retry import RetryPolicy
from services.delivery.store import DeliveryStore
from services.history.store import HistoryStore
from services.ingest.coalescer import Coalescer
from services.runtime.config_feed import publish_watchlists
from services.runtime.heap import release_heap, settle_heap
from services.runtime.heartbeat import heartbeat_alongside
from services.runtime.hold import IngestHold
from services.runtime.kafka import (
    CONFIG,
    RAW,
    MentionPublisher,
    declare_topics,
    make_producer,
    wait_for_broker,
)
from services.settings import Settings
from services.storage import Store
from services.understanding.corrections import CorrectionStore

log = logging.getLogger(__name__)

#: Who may call each router (services/access/auth.py): the first scope for GET, `writes` for the other
# methods.
#: Health checks are open; the websocket checks its token itself (api/routes/live.py). The static wall and
#: console files, /docs and /openapi.json are open: they hold no data (what the pages show comes through
#: the checked api and websocket).
ACCESS: list[tuple[ModuleType, list[Dependency]]] = [
    (health, []),
    (metrics, []),  # checks its key itself unless VIGIE_METRICS_PUBLIC (api/routes/metrics.py)
    (archive, [require("read")]),  # before `mentions`: GET /api/v1/mentions/search and /export
    (corrections, [require("read", writes="operate")]),  # /api/v1/mentions/{id}/sentiment
    (mentions, [require("ingest"), Depends(limit_ingest)]),
    (hooks, [require("ingest"), Depends(limit_ingest)]),
    (watchlists, [require("display", writes="operate")]),
    (history, [require("display")]),
    (queries, [require("operate")]),
    (insights, [require("display")]),
    (alerts, [require("display", writes="operate")]),
    (incidents, [require("display")]),
    (silences, [require("read", writes="operate")]),
    (subscriptions, [require("read", writes="operate")]),
    (rules, [require("read", writes="operate")]),
    (endpoints, [require("read", writes="admin")]),
    (connectors, [require("read", writes="admin")]),
    (live, []),
]


def beating_alongside(
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The api's lifespan with its heartbeat beside it from the start (services/runtime/heartbeat.py): `vigie
    run` restarts an api whose event loop stands still, not one waiting for a broker at start-up."""

    @asynccontextmanager
    async def with_heartbeat(app: FastAPI) -> AsyncIterator[None]:
        async with heartbeat_alongside(), lifespan(app):
            yield

    return with_heartbeat


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.db_url)
        archived = Archive(settings.db_url)
        app.state.archive_searcher = Searcher(archived, settings.archive_search_max_scan)
        await wait_for_broker(settings.bootstrap)
        await declare_topics(settings)
        producer = make_producer(settings)
        await producer.start()
        await publish_watchlists(producer, settings.topic(CONFIG), store.list_watchlists())
        hub = Hub(settings)
        await hub.start()
        publisher = MentionPublisher(
            producer, settings.topic(RAW), settings.ingest_batch_max, IngestHold(settings.data_dir)
        )
        parser = BodyParser(settings.ingest_max_items)
        await parser.start()
        ingest = Coalescer(
            partial(publisher.publish, wait_if_held=False),
            settings.ingest_linger_ms / 1000,
            settings.ingest_batch_max,
        )
        app.state.runtime = Runtime(settings, store, producer, publisher, hub, parser, ingest)
        app.state.keys = KeyStore(store.engine)
        app.state.history = HistoryStore(settings.db_url, engine=store.engine)
        app.state.alerts = await start_alerts(settings, store.engine, producer, hub)
        app.state.deliveries = DeliveryStore(
            store.engine, RetryPolicy(tuple(settings.delivery_retry_delays_s))
        )
        revocations = asyncio.create_task(
            watch_revocations(hub, app.state.keys, settings.key_recheck_interval_s), name="revocations"
        )
        app.state.corrections = CorrectionStore(archived, grace_s=settings.window_grace_s)
        republishing = corrections.start_republishing(app.state.corrections, producer, settings)
        settle_heap()  # no full collection walks start-up's objects again (services/runtime/heap.py)
        try:
            yield
        finally:
            for task in (revocations, republishing):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.state.alerts.stop()
            await hub.stop()
            parser.close()
            await ingest.close()
            await producer.stop()
            archived.close()
            store.close()
            release_heap()

    app = FastAPI(
        title="Vigie",
        summary="Real-time command center for what people say about brands",
        version="0.1.0",
        lifespan=beating_alongside(lifespan),
        default_response_class=FastJSONResponse,
    )
    app.state.ingest_limiter = RateLimiter(settings.ingest_rate_per_s, settings.ingest_burst)
    app.state.auth_failures = RateLimiter(settings.auth_failure_rate_per_s, settings.auth_failure_burst)
    for module, dependencies in ACCESS:
        app.include_router(module.router, dependencies=dependencies)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(ContentTypeCheck)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )
    app.mount("/", WallAssets(directory=settings.web_dir, html=True, check_dir=False), name="wall")
    return app
