"""Builds the Faust app of a stage from settings: topics, tables, agents.

Two stages, two consumer groups, so that the work on the wall's path never waits behind the rest:
- `pipeline` (`vigie worker`, one process per core, sharing the partitions): enrich and aggregate, the path
  of every number on the wall;
- `insights` (`vigie insights`, one process): swarms, influencers and coordination over the whole enriched
  stream, and the alert engine (metric rules on every watchlist's updates, the negative-influencer rule on
  enriched mentions, and what explains an alert), so that one book sees every alert and its drivers.

Before, both ran in every worker and the one holding the single enriched partition did insights and
alerts between its enrich and aggregate batches: at 5,000 mentions/s the wall fell seconds behind there.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import faust

from services.runtime.kafka import stage_group
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


class Stage(StrEnum):
    PIPELINE = "pipeline"
    INSIGHTS = "insights"


class VigieApp(faust.App):
    #: Read by streams.transport: how long a consumer fetch waits for data (Faust hard-codes 1500
    # ms).
    fetch_max_wait_ms: int = transport.DEFAULT_FETCH_MAX_WAIT_MS
    #: Batches agents are working on (streams/batching.py): a rebalance waits for them
    # (streams.transport).
    batches_in_progress: int = 0


def broker_urls(bootstrap: str) -> str:
    return ";".join(f"{transport.SCHEME}://{host.strip()}" for host in bootstrap.split(",") if host.strip())


def build_app(settings: Settings, stage: Stage = Stage.PIPELINE) -> VigieApp:
    app = VigieApp(
        stage_group(settings.topic_prefix, stage.value),
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
    status.register(app, topics, stage.value)
    if stage is Stage.PIPELINE:
        feed = config.register(app, settings)
        enricher = enrich.register(app, settings, topics, feed)
        aggregate.register(app, settings, topics, feed)
        feed.on_change = lambda watchlists: enricher.set_watchlists(watchlists.values())
    else:
        on_mentions = alerts.register(app, settings, topics)
        insights.register(app, settings, topics, on_mentions)
    observability.register(app, settings, topics, role="worker" if stage is Stage.PIPELINE else "insights")
    return app
