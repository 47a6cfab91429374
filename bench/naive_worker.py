"""The reference "where Faust alone would leave us": the same work, one mention per Kafka record and event,
one table write per watchlist per mention. Self-timed: writes its first and last event times when done."""

from __future__ import annotations

import os
import sys
import time

import faust
import orjson

from services.dedupe import RecentIds
from services.matching import CompiledWatchlists
from services.records import parse_mention
from services.sentiment import load_scorer
from services.text import tokens
from services.aggregate import decode_state, encode_state
from services.windows import LABEL_INDEX, SCORE_SUM, bucket_of, empty_bucket
from streams.app import broker_urls
from bench.data import bench_watchlists

BOOTSTRAP = os.environ["BENCH_BOOTSTRAP"]
TOPIC = os.environ["BENCH_NAIVE_TOPIC"]
DONE_TOPIC = os.environ["BENCH_NAIVE_DONE_TOPIC"]
EXPECTED = int(os.environ["BENCH_NAIVE_COUNT"])
BACKEND = os.environ.get("VIGIE_SENTIMENT_BACKEND", "vader")

app = faust.App(
    "bench-naive", broker=broker_urls(BOOTSTRAP), store="memory://", web_enabled=False,
    consumer_auto_offset_reset="earliest", topic_partitions=4, broker_rebalance_timeout=5.0,
    broker_session_timeout=10.0, broker_heartbeat_interval=1.0,
)
raw = app.topic(TOPIC, key_type=bytes, value_type=bytes, value_serializer="raw")
done = app.topic(DONE_TOPIC, key_type=bytes, value_type=bytes, value_serializer="raw")
table = app.Table("naive-windows", default=None, key_type=bytes, value_type=bytes, partitions=4)
matcher = CompiledWatchlists(bench_watchlists())
scorer = load_scorer(BACKEND)
seen = RecentIds(10_000_000)
progress = {"count": 0, "first": 0.0}


@app.agent(raw)
async def naive(stream: faust.StreamT[bytes]) -> None:
    async for value in stream:
        if not progress["count"]:
            progress["first"] = time.time()
        progress["count"] += 1
        mention = parse_mention(orjson.loads(value))
        if seen.add(mention.id):
            ids = matcher.match(mention, tokens(mention.text))
            if ids:
                score, label = scorer.score_batch([matcher.mask(mention.text, ids)], [mention.lang])[0]
                for watchlist_id in ids:
                    key = watchlist_id.encode()
                    state = decode_state(table.get(key))
                    bucket = empty_bucket()
                    bucket[0] = 1
                    bucket[LABEL_INDEX[label]] = 1
                    bucket[SCORE_SUM] = score
                    state.apply({bucket_of(mention.created_ts): bucket}, now_ts=time.time(), grace_s=86_400)
                    table[key] = encode_state(state)
        if progress["count"] == EXPECTED:
            body = {"first": progress["first"], "last": time.time(), "count": EXPECTED}
            await done.send(value=orjson.dumps(body))


if __name__ == "__main__":
    sys.argv = [sys.argv[0], "worker", "--loglevel", "warning"]
    app.main()
