"""The reference "where Faust alone would leave us": the same enrich and window work as the pipeline, but one
mention per Kafka record and per Faust event, and one table write per watchlist per mention.

Run by bench.throughput as `python -m bench.naive_worker`, configured by environment variables. It times
itself: after the expected number of events it writes {"first", "last", "count"} to the done topic.
"""

from __future__ import annotations

import os
import sys
import time

import faust
import orjson

from services.aggregation.aggregate import apply_partial, decode_state, encode_state
from services.aggregation.windows import EventClock
from services.ingest.dedupe import PartitionIds
from services.settings import Settings
from services.understanding.enrich import Enricher, TickerSampler
from services.understanding.matching import CompiledWatchlists
from services.understanding.sentiment import load_scorer
from streams.app import HEARTBEAT_INTERVAL_S, REBALANCE_TIMEOUT_S, SESSION_TIMEOUT_S, VigieApp, broker_urls
from tests.bench.data import bench_watchlists

TOPIC = os.environ["BENCH_NAIVE_TOPIC"]
DONE_TOPIC = os.environ["BENCH_NAIVE_DONE_TOPIC"]
EXPECTED = int(os.environ["BENCH_NAIVE_COUNT"])
PARTITIONS = int(os.environ["BENCH_NAIVE_PARTITIONS"])
settings = Settings.model_validate({})

# The same transport as `vigie worker` (vigiekafka://, configurable fetch wait), so the comparison is fair.
app = VigieApp(
    "bench-naive",
    broker=broker_urls(settings.bootstrap),
    store="memory://",
    datadir=str(settings.data_dir / "naive-faust"),
    web_enabled=False,
    consumer_auto_offset_reset="earliest",
    topic_partitions=PARTITIONS,
    broker_rebalance_timeout=REBALANCE_TIMEOUT_S,
    broker_session_timeout=SESSION_TIMEOUT_S,
    broker_heartbeat_interval=HEARTBEAT_INTERVAL_S,
)
app.fetch_max_wait_ms = settings.consumer_fetch_max_wait_ms
raw = app.topic(TOPIC, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
done = app.topic(DONE_TOPIC, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
table = app.Table("naive-windows", default=None, key_type=bytes, value_type=bytes, partitions=PARTITIONS)
enricher = Enricher(
    matcher=CompiledWatchlists(bench_watchlists()),
    scorer=load_scorer(settings.sentiment_backend),
    seen=PartitionIds(settings.dedupe_capacity),
    ticker=TickerSampler(0.5),
    topic=TOPIC,
)
clock = EventClock()
progress = {"count": 0, "first": 0.0}


@app.agent(raw)
async def naive(stream: faust.StreamT[bytes]) -> None:
    async for event in stream.events():
        if not progress["count"]:
            progress["first"] = time.time()
        progress["count"] += 1
        message = event.message
        result = enricher.process(event.value, message.partition, message.offset)
        for partial in result.partials:
            key = partial.watchlist.encode()
            state = decode_state(table.get(key))
            if apply_partial(state, partial, clock, settings.window_grace_s):
                table[key] = encode_state(state)
        if progress["count"] == EXPECTED:
            body = {"first": progress["first"], "last": time.time(), "count": EXPECTED}
            await done.send(value=orjson.dumps(body))


if __name__ == "__main__":
    sys.argv = [sys.argv[0], "worker", "--loglevel", "warn"]
    app.main()
