"""Mentions per second through one worker process, then through the worker processes `vigie run` starts on
this machine (one per core, services/runtime/worker_pool.py), next to a plain aiokafka reader (the ceiling)
and a naive one-mention-per-event Faust agent, on the same data and broker in the same run."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.ingest.records import Mention
from services.runtime.config_feed import publish_watchlists
from services.runtime.kafka import (
    CONFIG,
    PARTIALS,
    RAW,
    UPDATES,
    MentionPublisher,
    declare_topics,
    make_producer,
)
from services.runtime.worker_pool import worker_count
from services.settings import Settings
from services.understanding.watchlists import Watchlist
from tests.bench.processes import children_of, log_tail, rss_mib, spawn
from tests.stack import stop_role as stop

PUBLISH_CHUNK = 20_000
CPU_SAMPLE_S = 0.2


async def publish(settings: Settings, mentions: list[Mention], watchlists: list[Watchlist]) -> None:
    """The watchlists to the config topic, the mentions to the raw topic as the ingest API sends them."""
    producer = make_producer(settings)
    await producer.start()
    try:
        await publish_watchlists(producer, settings.topic(CONFIG), watchlists)
        publisher = MentionPublisher(producer, settings.topic(RAW), settings.ingest_batch_max)
        for start in range(0, len(mentions), PUBLISH_CHUNK):
            await publisher.publish(mentions[start : start + PUBLISH_CHUNK])
    finally:
        await producer.stop()


async def _reader(settings: Settings, topic: str, **options: Any) -> AIOKafkaConsumer:
    """A consumer assigned every partition of `topic`, from the beginning (no consumer group)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, enable_auto_commit=False, **options)
    await consumer.start()
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    if not partitions:
        await consumer.stop()
        raise RuntimeError(f"expected topic {topic} to exist with partitions, found none")
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    return consumer


async def ceiling(settings: Settings, expected: int) -> float:
    """A plain aiokafka consumer that only reads and decodes the raw topic: mentions per second."""
    consumer = await _reader(settings, settings.topic(RAW))
    try:
        seen = 0
        started = time.perf_counter()
        while seen < expected:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
                for record in records:
                    seen += len(orjson.loads(record.value or b"{}")["mentions"])
        rate: float = seen / (time.perf_counter() - started)
        return rate
    finally:
        await consumer.stop()


async def first_record_time(settings: Settings, topic: str, timeout_s: float) -> float:
    """The producer timestamp (s) of the earliest record of `topic`, waiting for one to appear."""
    consumer = await _reader(settings, topic)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            times: list[float] = [records[0].timestamp / 1000 for records in batches.values() if records]
            if times:
                return min(times)
        raise TimeoutError(f"no record on {topic} within {timeout_s:.0f} s")
    finally:
        await consumer.stop()


async def follow_totals(
    settings: Settings, expected: Counter[str], timeout_s: float, alive: Any
) -> tuple[float, dict[str, int]]:
    """Follow the `metrics` totals on the updates topic until each watchlist's reaches what is expected.

    Returns the producer timestamp of the update that completed the last total, and the totals.
    """
    consumer = await _reader(settings, settings.topic(UPDATES), fetch_max_wait_ms=20)
    totals: dict[str, int] = {}
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    message = orjson.loads(record.value or b"{}")
                    if message.get("type") != "metrics":
                        continue
                    totals[message["watchlist"]] = message["total"]
                    if all(totals.get(w, 0) >= n for w, n in expected.items()):
                        return record.timestamp / 1000, totals
            if not alive():
                raise RuntimeError("the worker exited before counting every mention")
        raise TimeoutError(
            f"totals not reached in {timeout_s:.0f} s: got {totals}, expected {dict(expected)}"
        )
    finally:
        await consumer.stop()


async def pipeline(
    settings: Settings,
    env: dict[str, str],
    expected: Counter[str],
    count: int,
    log: Path,
    processes: int = 1,
    once_started: Callable[[], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """`vigie worker --processes N` on the pre-filled raw topic: mentions per second and the memory of its
    worker processes afterwards.

    Timed from the first partial aggregate a worker produced (startup excluded) to the update that showed
    the last watchlist's total complete. With several processes the first to join may start alone and
    hand partitions over when the others join, unless `once_started` (run once the processes are spawned)
    waits for them all and only then publishes the mentions.
    """
    worker = spawn(["services.runtime.cli", "worker", "--processes", str(processes)], env, log)
    samples: list[tuple[float, float]] = []
    sampling = asyncio.create_task(sample_cpu(worker.pid, processes > 1, samples))
    try:
        if once_started is not None:
            await once_started()
        timeout_s = max(120.0, count / 1000)
        done_ts, totals = await follow_totals(settings, expected, timeout_s, lambda: worker.poll() is None)
        started_ts = await first_record_time(settings, settings.topic(PARTIALS), timeout_s=10)
        exact = all(totals.get(w) == n for w, n in expected.items())
        pids = children_of(worker.pid) if processes > 1 else [worker.pid]
        busy_s = cpu_between(samples, started_ts, done_ts)
        return {
            "processes": processes,
            "mentions_per_s": count / (done_ts - started_ts),
            "elapsed_s": round(done_ts - started_ts, 2),
            "started_ts": started_ts,
            "done_ts": done_ts,
            "totals_exact": exact,
            "worker_rss_mib": sum(rss_mib(pid) or 0.0 for pid in pids),
            # CPU the worker processes used while timed: per mention, and how many cores they had on average
            # (below `processes` on a machine busy with other work, or when they wait on the broker).
            "cpu_us_per_mention": busy_s / count * 1e6,
            "cores_used": busy_s / (done_ts - started_ts),
        }
    except (RuntimeError, TimeoutError) as error:
        raise RuntimeError(f"{error}\nworker log:\n{log_tail(log)}") from error
    finally:
        sampling.cancel()
        stop(worker)


def cpu_s(pid: int) -> float:
    """User and system CPU seconds a process has used (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sample_cpu(pid: int, of_children: bool, samples: list[tuple[float, float]]) -> None:
    """Append (wall time, CPU seconds of the worker processes) every CPU_SAMPLE_S until cancelled."""
    while True:
        pids = children_of(pid) if of_children else [pid]
        samples.append((time.time(), sum(cpu_s(p) for p in pids)))
        await asyncio.sleep(CPU_SAMPLE_S)


def cpu_between(samples: list[tuple[float, float]], start_ts: float, end_ts: float) -> float:
    """CPU seconds used between two wall times, from the samples nearest each."""
    if not samples:
        return 0.0
    first = min(samples, key=lambda sample: abs(sample[0] - start_ts))
    last = min(samples, key=lambda sample: abs(sample[0] - end_ts))
    return max(0.0, last[1] - first[1])


async def workers_pipeline(
    settings: Settings,
    env: dict[str, str],
    mentions: list[Mention],
    watchlists: list[Watchlist],
    expected: Counter[str],
    log_dir: Path,
    processes: int,
) -> dict[str, Any]:
    """The same mentions through `processes` worker processes, on topics (and a consumer group and a
    database) of their own on the same broker.

    The mentions are published once every process holds partitions, as in a `vigie run` that said it is
    ready: the time is that of the processes sharing the work, not of the first to join starting alone and
    handing partitions over (a rebalance of seconds in a run of seconds). The publishing itself (a second
    or two of this process's CPU) overlaps the work, which counts against the processes, not for them."""
    prefix = f"{settings.topic_prefix.strip('.')}-workers."
    data_dir = log_dir / "workers"
    data_dir.mkdir(exist_ok=True)
    own = settings.model_copy(update={"topic_prefix": prefix, "data_dir": data_dir})
    await declare_topics(own)
    await publish(own, [], watchlists)

    async def publish_once_all_hold_partitions() -> None:
        await wait_for_workers(own, processes, timeout_s=120)
        await publish(own, mentions, [])

    env = {**env, "VIGIE_TOPIC_PREFIX": prefix, "VIGIE_DATA_DIR": str(data_dir)}
    return await pipeline(
        own,
        env,
        expected,
        len(mentions),
        log_dir / "workers.log",
        processes,
        publish_once_all_hold_partitions,
    )


async def wait_for_workers(settings: Settings, count: int, timeout_s: float) -> None:
    """Until `count` worker processes have said (status on the updates topic) that they hold partitions."""
    consumer = await _reader(settings, settings.topic(UPDATES), fetch_max_wait_ms=20)
    holding: set[str] = set()
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    message = orjson.loads(record.value or b"{}")
                    if message.get("type") == "status" and message.get("partitions"):
                        holding.add(str(message["id"]))
            if len(holding) >= count:
                return
        raise TimeoutError(
            f"{len(holding)} of {count} worker processes held partitions after {timeout_s:.0f} s"
        )
    finally:
        await consumer.stop()


async def naive(
    settings: Settings, mentions: list[Mention], env: dict[str, str], log: Path
) -> dict[str, Any]:
    """The naive agent (bench/naive_worker.py) on one record per mention: mentions per second."""
    topic, done_topic = settings.topic("naive.raw"), settings.topic("naive.done")
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap)
    await admin.start()
    try:
        # The embedded broker does not auto-create topics: the source and the done topic are declared here.
        await admin.create_topics([NewTopic(topic, settings.topic_partitions, 1), NewTopic(done_topic, 1, 1)])
    finally:
        await admin.close()
    producer = make_producer(settings)
    await producer.start()
    try:
        sends = [await producer.send(topic, msgspec.json.encode(m), key=m.id.encode()) for m in mentions]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()
    worker_env = {
        **env,
        "BENCH_NAIVE_TOPIC": topic,
        "BENCH_NAIVE_DONE_TOPIC": done_topic,
        "BENCH_NAIVE_COUNT": str(len(mentions)),
        "BENCH_NAIVE_PARTITIONS": str(settings.topic_partitions),
    }
    worker = spawn(["tests.bench.naive_worker"], worker_env, log)
    consumer = await _reader(settings, done_topic)
    try:
        deadline = time.monotonic() + max(120.0, len(mentions) / 100)
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    body = orjson.loads(record.value or b"{}")
                    return {
                        "mentions_per_s": body["count"] / (body["last"] - body["first"]),
                        "worker_rss_mib": rss_mib(worker.pid),
                    }
            if worker.poll() is not None:
                raise RuntimeError(f"the naive worker exited with {worker.returncode}:\n{log_tail(log)}")
        raise TimeoutError(f"the naive agent did not finish {len(mentions)} events:\n{log_tail(log)}")
    finally:
        await consumer.stop()
        stop(worker)


async def run(
    settings: Settings,
    env: dict[str, str],
    mentions: list[Mention],
    naive_count: int,
    watchlists: list[Watchlist],
    expected: Counter[str],
    log_dir: Path,
) -> dict[str, Any]:
    await declare_topics(settings)
    await publish(settings, mentions, watchlists)
    results: dict[str, Any] = {"mentions": len(mentions), "naive_mentions": naive_count}
    results["ceiling_mentions_per_s"] = await ceiling(settings, len(mentions))
    results["pipeline"] = await pipeline(settings, env, expected, len(mentions), log_dir / "worker.log")
    processes = worker_count(Settings.model_validate({}))
    if processes > 1:
        results["pipeline_workers"] = await workers_pipeline(
            settings, env, mentions, watchlists, expected, log_dir, processes
        )
    # Imported here: history_cost builds on this module's pipeline.
    from tests.bench import history_cost

    results["history_archive"] = await history_cost.run(
        settings, env, mentions, watchlists, expected, log_dir
    )
    try:
        results["naive"] = await naive(settings, mentions[:naive_count], env, log_dir / "naive.log")
    except (RuntimeError, TimeoutError) as error:
        results["naive"] = {"error": str(error).splitlines()[0]}
    return results
