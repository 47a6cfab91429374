"""The one settings class. Entry points read it (environment variables prefixed `VIGIE_`) and pass it down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
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
    topic_prefix: str = "vigie."
    topic_partitions: int = Field(4, ge=1, le=1024)
    topic_replication: int = Field(1, ge=1, le=16)
    #: Faust's driver hard-codes 1.5 s; every consumer hop waits at most this long for more data.
    consumer_fetch_max_wait_ms: int = Field(20, ge=1, le=10_000)
    #: How many mentions one raw Kafka record carries at most (ingest, demo, replay, connectors).
    ingest_batch_max: int = Field(500, ge=1, le=100_000)

    # State and storage.
    data_dir: Path = Path("var")
    database_url: str = ""

    # Windows (event time).
    window_grace_s: int = Field(300, ge=0, le=86_400)
    #: Metrics of one watchlist are published at most this often, and refreshed every refresh_interval_s.
    publish_interval_ms: int = Field(250, ge=10, le=60_000)
    refresh_interval_s: float = Field(5.0, gt=0, le=3600)
    #: Mention ids remembered for deduplication, per worker.
    dedupe_capacity: int = Field(2_000_000, ge=1000)

    # Understanding.
    sentiment_backend: str = "vader"

    # Demo source.
    demo_rate_per_s: float = Field(20.0, gt=0, le=100_000)
    demo_seed: int = 0

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    web_dir: Path = REPO_ROOT / "web"

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
