"""The archiver's CPU per mention without Kafka: demo mentions enriched by the real enrich stage and packed
into enriched records as the worker sends them, then read back as `vigie archiver` does (decode each record,
write each fetch of at most MAX_RECORDS_PER_FETCH records in one transaction) into a fresh SQLite archive.

    python -m tests.bench.archiver_cpu --mentions 20000 --rounds 3
    python -m tests.bench.archiver_cpu --process     # a real `vigie archiver` reading an embedded broker

CPU time of this process (steadier than wall time on a shared machine), best of the rounds, split into
decoding the records, working out the index terms, and the whole write. With `--process`: the CPU time of a
`vigie archiver` process (Kafka consumer included) from the moment the records are published until the
archive holds them all, once per round, each round on a topic and database of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.archive.process import MAX_RECORDS_PER_FETCH
from services.archive.records import ArchivedMention, decode_enriched, lexemes
from services.archive.store import Archive
from services.ingest.outbox import encode_batch
from services.runtime.heap import settle_heap
from services.runtime.kafka import ENRICHED, declare_topics, make_producer
from services.settings import Settings
from services.understanding.enrich import RawRecord
from tests.bench.data import bench_watchlists, workload
from tests.bench.micro import _enricher, _records
from tests.bench.processes import log_tail, spawn
from tests.bench.run import bench_broker
from tests.bench.throughput import cpu_s
from tests.stack import stop_role


def enriched_records(count: int, batch_max: int) -> list[bytes]:
    """`count` demo mentions through the enrich stage, as the values of `vigie.mentions.enriched` records."""
    enricher = _enricher(bench_watchlists(), "linear")
    values: list[bytes] = []
    for offset, raw in enumerate(_records(workload(count), batch_max)):
        done = enricher.process_batch([RawRecord(raw, 0, offset)])
        values.extend(encode_batch(done, 1_000_000, "bench").enriched)
    return values


def _cpu_us(started: float, mentions: int) -> float:
    return (time.process_time() - started) / max(mentions, 1) * 1e6


def one_round(values: list[bytes], folder: Path) -> dict[str, Any]:
    """The archiver's work on `values` into a fresh archive, then decoding and index terms alone."""
    archive = Archive(f"sqlite:///{folder / f'archive-{time.monotonic_ns()}.db'}")
    keep_since = datetime.now(UTC) - timedelta(days=30)
    try:
        started = time.process_time()
        written = 0
        for first in range(0, len(values), MAX_RECORDS_PER_FETCH):
            mentions: list[ArchivedMention] = []
            for value in values[first : first + MAX_RECORDS_PER_FETCH]:
                found, problems = decode_enriched(value)
                assert not problems, problems
                mentions.extend(found)
            written += archive.write(mentions, keep_since)
        del mentions
        total_us = _cpu_us(started, written)
    finally:
        archive.close()
    started = time.process_time()
    decoded = [mention for value in values for mention in decode_enriched(value)[0]]
    decode_us = _cpu_us(started, len(decoded))
    started = time.process_time()
    for mention in decoded:
        lexemes(mention)
    terms_us = _cpu_us(started, len(decoded))
    assert written == len(decoded), (written, len(decoded))
    return {"mentions": written, "decode_us": decode_us, "terms_us": terms_us, "total_us": total_us}


#: The archiver has started (imports, broker connection) once it used less CPU than this in IDLE_CHECK_S.
IDLE_CPU_S = 0.02
IDLE_CHECK_S = 0.5
START_TIMEOUT_S = 60.0
CATCH_UP_TIMEOUT_S = 120.0


async def _produce(settings: Settings, values: list[bytes]) -> None:
    producer = make_producer(settings)
    await producer.start()
    try:
        for value in values:
            await producer.send(settings.topic(ENRICHED), value)
        await producer.flush()
    finally:
        await producer.stop()


def idle_cpu_s(pid: int) -> float:
    """The CPU seconds of a process once it has gone idle (done starting)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    before = cpu_s(pid)
    while time.monotonic() < deadline:
        time.sleep(IDLE_CHECK_S)
        now = cpu_s(pid)
        if now - before < IDLE_CPU_S:
            return now
        before = now
    raise RuntimeError(f"the archiver was still busy starting after {START_TIMEOUT_S:g} s")


def process_round(
    values: list[bytes], expected: int, index: int, settings: Settings, env: dict[str, str]
) -> float:
    """A `vigie archiver` process's CPU microseconds per mention to archive `values`, produced to a topic of
    its own once it started."""
    prefix = f"bench{index}."
    data_dir = Path(settings.data_dir) / f"archiver{index}"
    data_dir.mkdir()
    own = settings.model_copy(update={"topic_prefix": prefix, "data_dir": data_dir})
    asyncio.run(declare_topics(own))
    env = {**env, "VIGIE_TOPIC_PREFIX": prefix, "VIGIE_DATA_DIR": str(data_dir)}
    archiver = spawn(["services.runtime.cli", "archiver"], env, data_dir / "archiver.log")
    try:
        started_s = idle_cpu_s(archiver.pid)
        asyncio.run(_produce(own, values))
        archive = Archive(own.db_url)
        try:
            deadline = time.monotonic() + CATCH_UP_TIMEOUT_S
            while archive.count() < expected:
                if archiver.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the archiver did not catch up:\n{log_tail(data_dir / 'archiver.log')}"
                    )
                time.sleep(0.2)
        finally:
            archive.close()
        return (cpu_s(archiver.pid) - started_s) / expected * 1e6
    finally:
        stop_role(archiver)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--batch-max", type=int, default=500, help="raw mentions per raw record")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--default-heap", action="store_true", help="leave the collector as it starts (no `settle_heap`)"
    )
    parser.add_argument("--process", action="store_true", help="measure a real `vigie archiver` process")
    args = parser.parse_args()
    values = enriched_records(args.mentions, args.batch_max)
    if args.process:
        expected = sum(len(decode_enriched(value)[0]) for value in values)
        with (
            tempfile.TemporaryDirectory(prefix="vigie-archiver-cpu-") as work,
            bench_broker(Path(work)) as (settings, env, _, _),
        ):
            rounds_us = [process_round(values, expected, i, settings, env) for i in range(args.rounds)]
        each = ", ".join(f"{us:.1f}" for us in rounds_us)
        print(
            f"{expected:,} mentions; `vigie archiver` CPU per mention: best {min(rounds_us):.1f} us ({each})"
        )
        return
    if not args.default_heap:
        settle_heap()  # as `vigie archiver` does once started
    size = sum(len(value) for value in values)
    with tempfile.TemporaryDirectory(prefix="vigie-archiver-cpu-") as folder:
        rounds = [one_round(values, Path(folder)) for _ in range(args.rounds)]
    best = {key: min(r[key] for r in rounds) for key in ("decode_us", "terms_us", "total_us")}
    mentions = rounds[0]["mentions"]
    each = ", ".join(f"{r['total_us']:.1f}" for r in rounds)
    print(
        f"{mentions:,} archived mentions in {len(values)} enriched records "
        f"({size / mentions:.0f} bytes each); "
        f"CPU per mention, best of {args.rounds}: decode {best['decode_us']:.1f} us, "
        f"terms {best['terms_us']:.1f} us, whole archiver write {best['total_us']:.1f} us "
        f"(all rounds: {each})"
    )


if __name__ == "__main__":
    main()
