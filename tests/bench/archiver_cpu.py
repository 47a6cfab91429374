"""The archiver's CPU per mention without Kafka: demo mentions enriched by the real enrich stage and packed
into enriched records as the worker sends them, then read back as `vigie archiver` does (decode each record,
write each fetch of at most MAX_RECORDS_PER_FETCH records in one transaction) into a fresh SQLite archive.

    python -m tests.bench.archiver_cpu --mentions 20000 --rounds 3

CPU time of this process (steadier than wall time on a shared machine), best of the rounds, split into
decoding the records, working out the index terms, and the whole write.
"""

from __future__ import annotations

import argparse
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
from services.understanding.enrich import RawRecord
from tests.bench.data import bench_watchlists, workload
from tests.bench.micro import _enricher, _records


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--batch-max", type=int, default=500, help="raw mentions per raw record")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--default-heap", action="store_true", help="leave the collector as it starts (no `settle_heap`)"
    )
    args = parser.parse_args()
    values = enriched_records(args.mentions, args.batch_max)
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
