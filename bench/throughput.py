"""Mentions per second through one worker, next to a plain aiokafka reader (the ceiling) and a naive
one-mention-per-event Faust agent, on the same data and broker in the same run."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.processes import rss_mib, spawn, stop
from services.config_feed import publish_watchlists
from services.kafka import CONFIG, RAW, UPDATES, MentionPublisher, declare_topics, make_producer
from services.records import Mention
from services.settings import Settings
from services.watchlists import Watchlist


async def publish(settings: Settings, mentions: list[Mention], watchlists: list[Watchlist]) -> None:
    producer = make_producer(settings)
    await producer.start()
    try:
        await publish_watchlists(producer, settings.topic(CONFIG), watchlists)
        publisher = MentionPublisher(producer, settings.topic(RAW), settings.ingest_batch_max)
        for start in range(0, len(mentions), 20_000):
            await publisher.publish(mentions[start : start + 20_000])
    finally:
        await producer.stop()


async def ceiling(settings: Settings, expected: int) -> float:
    """A plain aiokafka consumer that only reads and decodes the raw topic: mentions per second."""
    topic = settings.topic(RAW)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen = 0
        started = time.perf_counter()
        while seen < expected:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
                for record in records:
                    seen += len(orjson.loads(record.value or b"{}")["mentions"])
        return seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def follow_totals(settings: Settings, expected: Counter[str], timeout_s: float) -> tuple[float, float]:
    """Wait until every watchlist's total reaches what is expected; return (first update, done) times."""
    topic = settings.topic(UPDATES)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        totals: dict[str, int] = {}
        first = 0.0
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    message = orjson.loads(record.value or b"{}")
                    if message.get("type") != "metrics":
                        continue
                    if not first:
                        first = record.timestamp / 1000
                    totals[message["watchlist"]] = message["total"]
            if all(totals.get(w, 0) >= n for w, n in expected.items()):
                return first, time.time()
        raise TimeoutError(f"totals not reached in {timeout_s} s: {totals} != {dict(expected)}")
    finally:
        await consumer.stop()


async def pipeline(
    settings: Settings, env: dict[str, str], expected: Counter[str], count: int, log: Path
) -> dict[str, Any]:
    """One `vigie worker` on the pre-produced raw topic: mentions per second and its memory afterwards."""
    worker = spawn(["services.cli", "worker"], env, log)
    try:
        first_metrics, done = await follow_totals(settings, expected, timeout_s=600)
        # Processing starts at the first partial aggregate the worker produced.
        started = await first_record_time(settings, settings.topic("aggregates.partial"))
        return {"mentions_per_s": count / (done - started), "worker_rss_mib": rss_mib(worker.pid)}
    finally:
        stop(worker)


async def first_record_time(settings: Settings, topic: str) -> float:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        times: list[float] = []
        for _ in range(5):
            for records in (await consumer.getmany(timeout_ms=300, max_records=100)).values():
                times.extend(record.timestamp / 1000 for record in records[:1])
        return min(times)
    finally:
        await consumer.stop()


async def naive(settings: Settings, mentions: list[Mention], env: dict[str, str], log: Path) -> dict[str, Any]:
    """The naive agent on single-mention records: mentions per second."""
    topic, done_topic = settings.topic("naive.raw"), settings.topic("naive.done")
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 4, 1), NewTopic(done_topic, 1, 1)])
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, linger_ms=5)
    await producer.start()
    import msgspec

    futures = [await producer.send(topic, msgspec.json.encode(m), key=m.id.encode()) for m in mentions]
    await asyncio.gather(*futures)
    await producer.stop()
    worker_env = {
        **env,
        "BENCH_BOOTSTRAP": settings.bootstrap,
        "BENCH_NAIVE_TOPIC": topic,
        "BENCH_NAIVE_DONE_TOPIC": done_topic,
        "BENCH_NAIVE_COUNT": str(len(mentions)),
    }
    worker = spawn(["bench.naive_worker"], worker_env, log)
    consumer = AIOKafkaConsumer(done_topic, bootstrap_servers=settings.bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    body = orjson.loads(record.value or b"{}")
                    return {"mentions_per_s": body["count"] / (body["last"] - body["first"])}
        raise TimeoutError("the naive agent did not finish in 600 s")
    finally:
        await consumer.stop()
        stop(worker)


async def run(
    settings: Settings, env: dict[str, str], mentions: list[Mention], naive_count: int,
    watchlists: list[Watchlist], expected: Counter[str], log: Path,
) -> dict[str, Any]:
    await declare_topics(settings)
    await publish(settings, mentions, watchlists)
    results: dict[str, Any] = {"mentions": len(mentions), "naive_mentions": naive_count}
    results["ceiling_mentions_per_s"] = await ceiling(settings, len(mentions))
    results["pipeline"] = await pipeline(settings, env, expected, len(mentions), log)
    results["naive"] = await naive(settings, mentions[:naive_count], env, log)
    return results
