"""The one settings class. Entry points read it (environment variables prefixed `VIGIE_`) and pass it down."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIGIE_", env_file=".env", extra="ignore")

    # Where to listen.
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)

    # Kafka. Empty bootstrap: `vigie run` starts the embedded broker on embedded_broker_port.
    kafka_bootstrap: str = ""
    embedded_broker_port: int = Field(19092, ge=1, le=65535)
    #: `vigie run` warns when the embedded broker (all history in memory) passes either figure.
    broker_memory_warn_mib: float = Field(2048.0, gt=0)
    broker_records_warn_per_partition: int = Field(20_000, ge=1)
    broker_check_interval_s: float = Field(5.0, gt=0)
    #: `vigie run` renews the embedded broker (a fresh process, fresh topics) once its busiest partition
    #: holds this many records, or its memory passes broker_rotate_memory_mib: ingest is held (503 with
    #: Retry-After; the demo and connectors wait), the pipeline drains, window state is saved to the
    #: database and restored from it, so nothing is lost or counted twice (services/runtime/rotation.py). 0 =
    # never.
    broker_rotate_records_per_partition: int = Field(20_000, ge=0)
    broker_rotate_memory_mib: float = Field(1536.0, ge=0)
    #: A rotation whose pipeline stops draining (no progress) for this long is called off (ingest resumes)
    #: and tried again at the next check; while the backlog shrinks it waits on, up to ten times this.
    broker_rotate_drain_timeout_s: float = Field(30.0, gt=0, le=600)
    #: Ingest is held for a renewal only once the pipeline is at most this many records behind (so the
    #: hold lasts seconds); a busier pipeline is let catch up first, with ingest flowing, until the busiest
    #: partition holds twice broker_rotate_records_per_partition: then ingest is held (503, sources wait)
    #: until the pipeline has caught up, so that the broker never grows past what it can serve.
    broker_rotate_hold_backlog_records: int = Field(2_000, ge=0)
    #: A renewed broker is not renewed again sooner than this: the restarted worker catches up first.
    broker_rotate_cooldown_s: float = Field(60.0, ge=0, le=86_400)
    #: Worker processes `vigie run` starts, and `vigie worker` runs (without --processes): 0 or `auto` = as
    #: many as this machine gives the process cores (`vigie run`: one fewer, for its insights process; at
    #: least one), at most `topic_partitions` (a worker beyond would hold no partition). They share the
    #: partitions as one consumer group. deploy/ sets 1: its containers scale.
    workers: int = Field(0, ge=0, le=1024)
    topic_prefix: str = "vigie."
    topic_partitions: int = Field(4, ge=1, le=1024)
    topic_replication: int = Field(1, ge=1, le=16)
    #: How long a Kafka cluster keeps the records of Vigie's topics (all but the compacted `config`): what
    #: matters lives in the database (history, archive, alerts), so a day or two covers replays and outages.
    topic_retention_hours: float = Field(48.0, gt=0, le=24 * 365)
    #: Faust's driver hard-codes 1.5 s; every consumer hop waits at most this long for more data.
    consumer_fetch_max_wait_ms: int = Field(20, ge=1, le=10_000)
    #: Consumers off the wall's path (the archiver, the notifier, the alert and rule feeds) wait this long
    #: per fetch. The embedded broker answers every fetch only once its wait has run out, and each poll
    #: costs it CPU: an idle `vigie run` spent 0.67 cores polling at 20 ms everywhere, 0.32 at 100 ms.
    background_fetch_max_wait_ms: int = Field(200, ge=1, le=10_000)
    #: How many mentions one raw Kafka record carries at most (ingest, demo, replay, connectors).
    ingest_batch_max: int = Field(500, ge=1, le=100_000)
    #: The largest record the worker's producer sends (Faust's producer_max_request_size; keep it within the
    #: cluster's message.max.bytes). Larger enriched batches are split over several records; an item too
    #: large alone is dead-lettered with the reason (services/ingest/outbox.py).
    worker_max_request_bytes: int = Field(1_000_000, ge=65_536, le=64 * 1024 * 1024)
    #: The enrich and aggregate agents take the records that arrived within worker_batch_wait_ms (at most
    #: worker_batch_max_records) and process them together: one sentiment call, one table write per
    #: watchlist. Under load batches fill at once; when quiet a record waits at most worker_batch_wait_ms.
    worker_batch_max_records: int = Field(500, ge=1, le=100_000)
    worker_batch_wait_ms: int = Field(10, ge=1, le=10_000)
    #: The enrich agent enriches (and sends) what it took in parts of about this many mentions: raw records
    #: of hundreds of mentions each gain nothing from larger parts, and the next stage starts sooner.
    worker_batch_max_mentions: int = Field(2000, ge=1, le=1_000_000)

    # State and storage.
    data_dir: Path = Path("var")
    database_url: str = ""

    # History (services/history/): minute roll-ups and window states in the database.
    #: Roll-ups are kept this long; minute rows are folded into hour rows after history_minute_days.
    history_days: int = Field(90, ge=1, le=3650)
    history_minute_days: int = Field(7, ge=1, le=3650)
    #: The aggregate stage writes what changed at most this often (one transaction per flush). Its longest,
    #: 600, is also how the benchmark runs a worker without history: a run shorter than that writes none
    #: until the worker stops (tests/bench/history_cost.py).
    history_flush_interval_s: float = Field(1.0, gt=0, le=600)

    # Archive of enriched mentions (services/archive/): searchable, exported, kept this many days of event
    # time; `vigie archiver` deletes older ones every archive_retention_interval_s, in transactions of at
    # most archive_delete_batch rows (writers and readers never wait long).
    archive_days: float = Field(30.0, gt=0, le=3650)
    archive_retention_interval_s: float = Field(600.0, gt=0, le=86_400)
    archive_delete_batch: int = Field(5000, ge=100, le=1_000_000)
    #: The archiver lowers its CPU priority by this much (Unix nice): in a spike that fills the cores the
    #: wall's path (api, workers, broker) goes first and the archive catches up behind it. 0 = same priority.
    archiver_niceness: int = Field(10, ge=0, le=19)
    #: `vigie run` kills and restarts a role (worker, insights, api, notifier, archiver, connectors) whose
    #: event loop has not run for this long: a hung process, alive but stuck, that would otherwise stay so
    #: (services/runtime/heartbeat.py). 0 = never.
    role_stuck_after_s: float = Field(60.0, ge=0, le=3600)
    #: One search request examines at most this many candidates (pre-filtered by the full-text index, then
    #: checked by the real matcher); a page that ran out of them says where to go on (`next_cursor`).
    archive_search_max_scan: int = Field(20_000, ge=100, le=10_000_000)

    # Windows (event time).
    window_grace_s: int = Field(300, ge=0, le=86_400)
    #: Metrics of one watchlist are published at most this often, and refreshed every refresh_interval_s.
    publish_interval_ms: int = Field(250, ge=10, le=60_000)
    refresh_interval_s: float = Field(5.0, gt=0, le=3600)
    #: Mention ids remembered for deduplication, per worker (shared out over the raw partitions).
    dedupe_capacity: int = Field(2_000_000, ge=1000)
    #: Raw records of a partition read again to rebuild its dedupe memory when a worker starts reading it
    #: elsewhere than where it stopped (start, takeover, rebalance): a copy of a mention this many records
    #: or fewer after the original is dropped across a restart too.
    dedupe_restore_records: int = Field(64, ge=0, le=100_000)

    # Understanding.
    sentiment_backend: Literal["linear", "vader"] = "linear"  # services.understanding.sentiment.BACKENDS

    # Swarms, influence and coordination (services/insights/swarms.py, influence.py, coordination.py,
    # media.py).
    #: Sliding event-time window of the hashtag co-occurrence graph; an author's weight halves every
    #: half-life.
    swarm_window_s: int = Field(900, ge=60, le=86_400)
    swarm_half_life_s: float = Field(300.0, gt=0, le=86_400)
    #: An edge between two tags needs this many distinct authors who used both in one post (in the window).
    swarm_min_edge_authors: int = Field(5, ge=1)
    #: A community is a swarm when this many distinct authors used its tags in the window.
    swarm_min_authors: int = Field(5, ge=1)
    #: Hashtags tracked at most (top-K by decayed count); tagged mentions kept at most (two windows).
    swarm_max_tags: int = Field(5000, ge=10)
    swarm_max_mentions: int = Field(60_000, ge=100)
    #: Influence: posts and engagement decay with this half-life; authors kept per watchlist at most.
    influence_half_life_s: float = Field(1800.0, gt=0, le=7 * 86_400)
    influence_max_authors: int = Field(2000, ge=10)
    #: Coordination: near-duplicates posted by at least `coordination_min_accounts` distinct accounts
    #: within `coordination_window_s` form a cluster; it is coordinated when its accounts look throwaway.
    coordination_window_s: int = Field(600, ge=10, le=86_400)
    coordination_min_accounts: int = Field(8, ge=2)
    #: Estimated Jaccard similarity of word-bigram sets above which two texts are near-duplicates.
    coordination_similarity: float = Field(0.5, gt=0, le=1)
    #: Accounts with at most this many followers count as tiny audiences (throwaway or automated).
    coordination_small_audience_followers: int = Field(25, ge=0)
    #: Whether coordinated mentions count in volume and sentiment (they are always also shown apart).
    count_coordinated: bool = True
    #: Journalist/media lists, comma-separated, added to the built-in ones (services/insights/media.py).
    journalist_handles: str = ""
    journalist_domains: str = ""
    journalist_bio_words: str = ""
    #: The insights agent publishes swarms this often (a snapshot costs tens of ms), and influencer boards
    #: and coordination at the same cadence when they changed (services/insights/live.py).
    insights_publish_interval_s: float = Field(5.0, gt=0, le=3600)

    # Alert delivery (services/delivery/).
    #: Webhook, Slack and PagerDuty targets resolving to private, loopback, link-local, multicast or
    #: reserved addresses are refused unless this is true (checked when saved and at every attempt).
    delivery_allow_private_targets: bool = False
    #: Delay before each attempt of one delivery, counted from the previous one (the first from enqueue);
    #: the delivery fails (kept, redeliverable) after the last. JSON list in the environment.
    delivery_retry_delays_s: tuple[Annotated[float, Field(ge=0)], ...] = Field(
        (0, 5, 300, 1800, 7200, 18000, 36000, 36000), min_length=1, max_length=50
    )
    #: One attempt (connect, send, answer) gives up after this long and counts as failed.
    delivery_attempt_timeout_s: float = Field(10.0, gt=0, le=300)
    #: Attempts in flight at once, over all endpoints.
    delivery_concurrency: int = Field(16, ge=1, le=1000)
    #: The address people reach Vigie at, for links in notifications ("" = http://host:port).
    public_url: str = ""
    #: SMTP relay for e-mail endpoints; tls is "none", "starttls" or "tls" (implicit TLS, port 465).
    smtp_host: str = "localhost"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    #: A SecretStr: shown as '**********' if the settings are ever printed or logged.
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = "vigie@localhost"

    # Alerts (services/alerts/).
    #: An alert resolves by itself once its condition has not held for this long.
    alert_resolve_after_s: float = Field(600.0, gt=0, le=7 * 86_400)
    #: Resolved alerts are remembered this long by the rule engine (a hand-resolved one until it clears).
    alert_keep_resolved_s: float = Field(3600.0, gt=0, le=30 * 86_400)
    #: How often the rule engine checks for alerts to resolve.
    alert_tick_interval_s: float = Field(5.0, gt=0, le=600)

    # Demo source.
    demo_rate_per_s: float = Field(20.0, gt=0, le=100_000)
    demo_seed: int = 0

    # Connectors (services/connectors/).
    #: Connectors `vigie run` starts as roles: a JSON list of specs, e.g.
    #: '[{"kind": "rss", "urls": ["https://example.com/feed.xml"]}]' (services/connectors/specs.py).
    connectors: list[dict[str, Any]] = []
    #: A connector publishes what it has read after at most this long (or ingest_batch_max mentions).
    connector_batch_wait_ms: int = Field(500, ge=1, le=60_000)
    #: Reconnect delays grow exponentially (with jitter) up to this.
    connector_backoff_max_s: float = Field(60.0, gt=0, le=3600)
    #: How often a connector publishes its counters on the updates topic.
    connector_status_interval_s: float = Field(2.0, gt=0, le=600)
    #: `vigie connectors` (the host of API-configured connectors) waits this long per fetch of vigie.config
    #: (the delay before a connector added or deleted through the API starts or stops; idle cost beyond).
    connector_config_fetch_max_wait_ms: int = Field(500, ge=1, le=10_000)
    #: Connectors (RSS, Bluesky, Mastodon) reach only public addresses: a feed, instance or Jetstream URL
    #: (or a redirect) resolving to a private, loopback, link-local or otherwise non-public address is
    #: refused when configured through the API and at every connection (services/delivery/guard.py),
    #: unless this is true, or the address is in `connector_allowed_networks` (JSON list of addresses or
    #: networks, e.g. '["10.20.0.0/16"]' for an intranet feed server). Independent of the delivery setting.
    connector_allow_private_targets: bool = False
    connector_allowed_networks: list[str] = []

    # Who may see what (services/access/auth.py, api/auth.py, api/limits.py).
    #: When false every route and the websocket are open to anyone who can reach the port (development only).
    auth_enabled: bool = True
    #: Origins allowed to call the api from another site's page (CORS), JSON list; none by default.
    cors_origins: list[str] = []
    #: Larger request bodies are refused with 413.
    max_request_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    #: Mentions (array items or NDJSON lines) one ingest request may carry; more is refused with 413.
    ingest_max_items: int = Field(10_000, ge=1, le=100_000)
    #: Small ingest requests wait this long for others to share one publish (fewer, larger raw records for
    #: the worker); each is still answered only once the broker has acknowledged it
    # (services/ingest/coalescer.py).
    #: 0: each request is published on its own.
    ingest_linger_ms: float = Field(5.0, ge=0, le=1000)
    #: Ingest requests (POST mentions and hooks) per second per key, on average and at once (429 beyond).
    ingest_rate_per_s: float = Field(50.0, gt=0)
    ingest_burst: int = Field(200, ge=1)
    #: Requests carrying an unknown or revoked key, per client address: `auth_failure_burst` at once, then
    #: `auth_failure_rate_per_s` on average; beyond, every keyed request from that address gets 429 with
    #: Retry-After before its key is looked at (so a throttled guesser learns nothing).
    auth_failure_rate_per_s: float = Field(1.0, gt=0)
    auth_failure_burst: int = Field(30, ge=1)
    #: Open websockets are checked against revoked keys this often; a revoked key's sockets are closed.
    key_recheck_interval_s: float = Field(2.0, gt=0, le=300)
    #: permessage-deflate on the live websocket. Off by default: each client's copy of every message is
    #: compressed on its own (a 1 KB metrics message: ~50 µs per client against ~7 µs plain, so 1,000 walls
    #: cost 50 ms of the api's core per update) and each socket keeps a compressor's memory. On for walls
    #: behind slow links.
    ws_compression: bool = False

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: `text` for a person at a terminal (`make run`); `json` (one object per line, with mention_id,
    #: alert_id, watchlist_id and role when known) for log collectors (deploy/ sets it).
    log_format: Literal["text", "json"] = "text"

    # Watching Vigie itself (services/runtime/observability/).
    #: Worker, notifier and connector processes serve /healthz, /readyz and /metrics on this port (on
    #: VIGIE_HOST); 0 = off. Set it per process: `vigie run` roles share one environment. Several worker
    #: processes on one machine (VIGIE_WORKERS, `vigie worker --processes N`) take it and the next ports.
    health_port: int = Field(0, ge=0, le=65535)
    #: The api's /metrics answers without a key (Prometheus scrapes usually carry none); false: `read` scope.
    metrics_public: bool = False
    web_dir: Path = REPO_ROOT / "web"

    @field_validator("workers", mode="before")
    @classmethod
    def _auto_workers(cls, value: object) -> object:
        return 0 if isinstance(value, str) and value.strip().lower() == "auto" else value

    @field_validator("connector_allowed_networks")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            ipaddress.ip_network(value.strip(), strict=False)  # ValueError names the bad entry
        return values

    @property
    def bootstrap(self) -> str:
        return self.kafka_bootstrap or f"127.0.0.1:{self.embedded_broker_port}"

    @property
    def uses_embedded_broker(self) -> bool:
        return not self.kafka_bootstrap

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'vigie.db'}"

    def topic(self, name: str) -> str:
        """The full name of one of Vigie's topics: `topic("mentions.raw")` -> "vigie.mentions.raw"."""
        return f"{self.topic_prefix}{name}"
