"""Builds the Faust app from settings: topics, tables, agents. `vigie worker` runs what this returns."""

from __future__ import annotations

from pathlib import Path

import faust

from services.runtime.observability.logs import dict_config
from services.settings import Settings
from streams import observability, transport
from streams.agents import aggregate, alerts, config, enrich, insights, status
from streams.topics import Topics
from streams.transport.tables import PromptTableManager

#: A joining worker waits up to the rebalance timeout for the group to settle (seen on the embedded
#: broker: Faust's default of 60 s made a fresh worker idle for 30 s before it got its partitions).
REBALANCE_TIMEOUT_S = 5.0
#: The embedded broker answers a JoinGroup only after half the session timeout (Tansu's coordinator waits for
#: other members in 1 s steps), so every worker start, and so every broker renewal, waits that long: 6 s (the
#: smallest a Kafka broker accepts by default) makes it 3 s instead of 5; heartbeats go every second.
SESSION_TIMEOUT_S = 6.0
HEARTBEAT_INTERVAL_S = 1.0


class VigieApp(faust.App):
    #: Read by streams.transport: how long a consumer fetch waits for data (Faust hard-codes 1500
    # ms).
    fetch_max_wait_ms: int = transport.DEFAULT_FETCH_MAX_WAIT_MS
    #: Batches agents are working on (streams/batching.py): a rebalance waits for them
    # (streams.transport).
    batches_in_progress: int = 0


def broker_urls(bootstrap: str) -> str:
    return ";".join(f"{transport.SCHEME}://{host.strip()}" for host in bootstrap.split(",") if host.strip())


def build_app(settings: Settings) -> VigieApp:
    app_id = settings.topic_prefix.strip(".") + "-worker"
    app = VigieApp(
        app_id,
        broker=broker_urls(settings.bootstrap),
        store="memory://",
        datadir=str(Path(settings.data_dir) / "faust"),
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        table_standby_replicas=0,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        producer_acks=-1,
        producer_max_request_size=settings.worker_max_request_bytes,
        broker_commit_interval=1.0,
        broker_rebalance_timeout=REBALANCE_TIMEOUT_S,
        broker_session_timeout=SESSION_TIMEOUT_S,
        broker_heartbeat_interval=HEARTBEAT_INTERVAL_S,
        logging_config=dict_config(settings.log_level, "worker", settings.log_format),
        TableManager=PromptTableManager,
    )
    app.fetch_max_wait_ms = settings.consumer_fetch_max_wait_ms
    topics = Topics(app, settings)
    feed = config.register(app, settings)
    enricher = enrich.register(app, settings, topics, feed)
    aggregate.register(app, settings, topics, feed)
    status.register(app, topics)
    alerts.register(app, settings, topics)
    insights.register(app, settings, topics)
    observability.register(app, settings, topics)
    feed.on_change = lambda watchlists: enricher.set_watchlists(watchlists.values())
    return app
