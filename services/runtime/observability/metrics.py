"""Every Prometheus metric Vigie exports, declared once. Each process has its own registry (the default
one of prometheus_client) and serves it: the api on `GET /metrics`, other roles on their health port.

Mentions are counted per stage (`ingest` at the api, `enrich` and `aggregate` in workers): what came in,
what went on, and what was dropped with why; in = out + dropped once a stage is idle. Counts in
`aggregate` are mention x watchlist pairs (a mention matching two watchlists counts in both).
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

STAGES = ("ingest", "enrich", "aggregate")

MENTIONS_IN = Counter("vigie_mentions_in_total", "Mentions that reached a stage", ["stage"])
MENTIONS_OUT = Counter("vigie_mentions_out_total", "Mentions a stage passed on", ["stage"])
MENTIONS_DROPPED = Counter(
    "vigie_mentions_dropped_total",
    "Mentions a stage did not pass on: invalid (dead-lettered or refused), broker (not acknowledged), "
    "duplicate_or_unmatched (enrich: seen before, or no watchlist matched)",
    ["stage", "reason"],
)
RECORDS_IN = Counter("vigie_records_in_total", "Kafka records read by the worker's agents", ["topic"])
RECORDS_OUT = Counter(
    "vigie_records_out_total", "Kafka records the worker sent and the broker acknowledged", ["topic"]
)
SEND_ERRORS = Counter("vigie_send_errors_total", "Kafka records the worker failed to send", ["topic"])
END_TO_END_LATENCY = Histogram(
    "vigie_end_to_end_latency_seconds",
    "From a raw record's broker timestamp (when its mentions were accepted) to the acknowledged live "
    "update that carries them on the updates topic (the api pushes it one consumer hop later)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
WEBSOCKET_CLIENTS = Gauge("vigie_websocket_clients", "Websocket clients connected to this api process")
DELIVERIES = Counter(
    "vigie_deliveries_total", "Delivery attempts by channel and outcome", ["channel", "outcome"]
)
CONSUMER_LAG = Gauge(
    "vigie_consumer_lag_records",
    "Records on the broker not yet processed by this process, by topic and partition (set when scraped)",
    ["topic", "partition"],
)
READY = Gauge("vigie_ready", "1 when this process is ready (its /readyz answers 200), else 0")

for _stage in STAGES:
    MENTIONS_IN.labels(_stage)
    MENTIONS_OUT.labels(_stage)


def count_ingest(received: int, refused: int) -> None:
    """An ingest request read: `received` items, of which `refused` were invalid."""
    MENTIONS_IN.labels("ingest").inc(received)
    if refused:
        MENTIONS_DROPPED.labels("ingest", "invalid").inc(refused)


def count_published(stage: str, published: int, failed: int = 0) -> None:
    """Mentions a stage handed on (acknowledged by the broker), and those the broker did not take."""
    MENTIONS_OUT.labels(stage).inc(published)
    if failed:
        MENTIONS_DROPPED.labels(stage, "broker").inc(failed)


def count_delivery(channel: str, outcome: str) -> None:
    DELIVERIES.labels(channel, outcome).inc()


def set_consumer_lag(lags: Mapping[tuple[str, int], int]) -> None:
    """Replace the lag gauge's series with these (partitions no longer held disappear)."""
    CONSUMER_LAG.clear()
    for (topic, partition), lag in lags.items():
        CONSUMER_LAG.labels(topic, str(partition)).set(max(0, lag))


def exposition() -> tuple[bytes, str]:
    """This process's metrics in the Prometheus text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
