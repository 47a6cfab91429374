"""What history and the archive cost ingest: one worker process through the same mentions with the minute
roll-ups and the archive off, then on, then off and on again (interleaved, so the load other work puts on
the machine weighs on both), each run on topics, a consumer group and a database of its own.

Off: the worker's history flush is put past the run (`VIGIE_HISTORY_FLUSH_INTERVAL_S=600`: no roll-up or
window state is written until the worker stops, after the timing) and no archiver runs. On: the defaults
(a flush every second) and `vigie archiver` beside the worker, as `vigie run` has it. Issue 18's target:
on is at most 10% below off.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from services.archive.store import Archive
from services.history.store import HistoryStore
from services.ingest.records import Mention
from services.runtime.kafka import declare_topics
from services.settings import Settings
from services.understanding.matching import CompiledWatchlists
from services.understanding.watchlists import Watchlist
from tests.bench.processes import log_tail, spawn
from tests.bench.throughput import cpu_between, pipeline, publish, sample_cpu
from tests.stack import stop_role as stop

#: Past any run of the benchmark: the worker writes no history until it stops.
HISTORY_OFF_FLUSH_S = "600"
ROUNDS = 2
ARCHIVE_TIMEOUT_S = 180.0


async def run(
    settings: Settings,
    env: dict[str, str],
    mentions: list[Mention],
    watchlists: list[Watchlist],
    expected: Counter[str],
    log_dir: Path,
    rounds: int = ROUNDS,
) -> dict[str, Any]:
    matcher = CompiledWatchlists(watchlists)
    archived_expected = sum(1 for mention in mentions if matcher.match(mention))
    runs = []
    for index in range(2 * rounds):
        on = index % 2 == 1
        runs.append(
            await one_run(
                settings, env, mentions, watchlists, expected, log_dir, index, on, archived_expected
            )
        )
    off = [r["mentions_per_s"] for r in runs if not r["on"]]
    on = [r["mentions_per_s"] for r in runs if r["on"]]
    return {
        "mentions": len(mentions),
        "runs": runs,
        "off_mentions_per_s": statistics.fmean(off),
        "on_mentions_per_s": statistics.fmean(on),
        "ratio": statistics.fmean(on) / statistics.fmean(off),
        "archived_expected": archived_expected,
    }


async def one_run(
    settings: Settings,
    env: dict[str, str],
    mentions: list[Mention],
    watchlists: list[Watchlist],
    expected: Counter[str],
    log_dir: Path,
    index: int,
    on: bool,
    archived_expected: int,
) -> dict[str, Any]:
    prefix = f"{settings.topic_prefix.strip('.')}-history{index}."
    data_dir = log_dir / f"history{index}"
    data_dir.mkdir(exist_ok=True)
    own = settings.model_copy(update={"topic_prefix": prefix, "data_dir": data_dir})
    await declare_topics(own)
    await publish(own, mentions, watchlists)
    env = {**env, "VIGIE_TOPIC_PREFIX": prefix, "VIGIE_DATA_DIR": str(data_dir)}
    if not on:
        env["VIGIE_HISTORY_FLUSH_INTERVAL_S"] = HISTORY_OFF_FLUSH_S
    archiver = spawn(["services.runtime.cli", "archiver"], env, data_dir / "archiver.log") if on else None
    cpu: list[tuple[float, float]] = []
    sampling = asyncio.create_task(sample_cpu(archiver.pid, False, cpu)) if archiver else None
    try:
        result = await pipeline(own, env, expected, len(mentions), data_dir / "worker.log")
        result["on"] = on
        if archiver is not None:
            result.update(await archive_caught_up(own, archived_expected, result["started_ts"], archiver))
            # The archiver's CPU from the pipeline's first partial on (its startup left out).
            busy_s = cpu_between(cpu, result["started_ts"], time.time())
            result["archiver_cpu_us_per_mention"] = busy_s / max(result["archived"], 1) * 1e6
            result["history_exact"] = history_totals(own, expected) == dict(expected)
    finally:
        if sampling is not None:
            sampling.cancel()
        if archiver is not None:
            stop(archiver)
    return result


async def archive_caught_up(
    settings: Settings, expected: int, started_ts: float, archiver: Any
) -> dict[str, Any]:
    """Wait until the archive holds every matched mention: how many it holds and its rate since the
    pipeline's first partial."""
    archive = Archive(settings.db_url)
    try:
        deadline = time.monotonic() + ARCHIVE_TIMEOUT_S
        count = archive.count()
        while count < expected and time.monotonic() < deadline and archiver.poll() is None:
            await asyncio.sleep(0.2)
            count = archive.count()
        if archiver.poll() is not None:
            raise RuntimeError(f"the archiver exited:\n{log_tail(Path(settings.data_dir) / 'archiver.log')}")
        return {"archived": count, "archive_mentions_per_s": count / (time.time() - started_ts)}
    finally:
        archive.close()


def history_totals(settings: Settings, expected: Counter[str]) -> dict[str, int]:
    """Each watchlist's count summed over its minute roll-ups (written by the worker as it stopped)."""
    history = HistoryStore(settings.db_url)
    try:
        with history.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT watchlist_id, SUM(count) FROM history_rollups GROUP BY watchlist_id")
            ).all()
    finally:
        history.close()
    return {str(row[0]): int(row[1]) for row in rows if row[0] in expected}


def main() -> None:
    import argparse
    import tempfile

    from tests.bench.data import bench_watchlists, expected_totals, workload
    from tests.bench.report import history_cost_rows
    from tests.bench.run import bench_broker

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="pairs of off and on runs")
    args = parser.parse_args()
    mentions, watchlists = workload(args.mentions), bench_watchlists()
    expected = expected_totals(mentions, watchlists)
    with tempfile.TemporaryDirectory(prefix="vigie-history-cost-") as tmp, bench_broker(Path(tmp)) as bench:
        settings, env, data_dir, _ = bench
        asyncio.run(declare_topics(settings))
        results = asyncio.run(run(settings, env, mentions, watchlists, expected, data_dir, args.rounds))
    for item in results["runs"]:
        print({k: v for k, v in item.items() if k not in ("started_ts", "done_ts")})
    for what, value, note in history_cost_rows(results):
        print(f"{what:80}  {value:>12}  {note}")


if __name__ == "__main__":
    main()
