"""The FastAPI application: `create_app(settings)`; `vigie api` serves it with uvicorn."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.alert_feed import start_alerts
from api.deps import Runtime
from api.hub import Hub
from api.responses import FastJSONResponse
from api.routes import (
    alerts,
    connectors,
    endpoints,
    health,
    hooks,
    insights,
    live,
    mentions,
    queries,
    rules,
    silences,
    subscriptions,
    watchlists,
)
from services.config_feed import publish_watchlists
from services.delivery.retry import RetryPolicy
from services.delivery.store import DeliveryStore
from services.kafka import CONFIG, RAW, MentionPublisher, declare_topics, make_producer, wait_for_broker
from services.settings import Settings
from services.storage import Store

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.db_url)
        await wait_for_broker(settings.bootstrap)
        await declare_topics(settings)
        producer = make_producer(settings)
        await producer.start()
        await publish_watchlists(producer, settings.topic(CONFIG), store.list_watchlists())
        hub = Hub(settings)
        await hub.start()
        publisher = MentionPublisher(producer, settings.topic(RAW), settings.ingest_batch_max)
        app.state.runtime = Runtime(settings, store, producer, publisher, hub)
        app.state.alerts = await start_alerts(settings, store.engine, producer, hub)
        app.state.deliveries = DeliveryStore(
            store.engine, RetryPolicy(tuple(settings.delivery_retry_delays_s))
        )
        try:
            yield
        finally:
            await app.state.alerts.stop()
            await hub.stop()
            await producer.stop()
            store.close()

    app = FastAPI(
        title="Vigie",
        summary="Real-time command center for what people say about brands",
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=FastJSONResponse,
    )
    for module in (
        health,
        mentions,
        hooks,
        watchlists,
        queries,
        insights,
        alerts,
        silences,
        subscriptions,
        rules,
        endpoints,
        connectors,
        live,
    ):
        app.include_router(module.router)
    app.mount("/", StaticFiles(directory=settings.web_dir, html=True, check_dir=False), name="wall")
    return app
