"""`make bench`: measure Vigie on the embedded broker, print a table, write a JSON file of the results
(the date, commit and machine are in it).

python -m tests.bench.run [--mentions 100000] [--rates 1000,5000] [--clients 1000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from services.ingest.records import Mention
from services.runtime.broker import start_broker
from services.runtime.kafka import wait_for_broker
from services.settings import Settings
from tests.bench import fanout, latency, micro, stages, throughput
from tests.bench.data import bench_watchlists, expected_totals, workload
from tests.bench.history import measure_history
from tests.bench.processes import children_of, command_line, rss_mib, stack_memory
from tests.bench.report import table
from tests.bench.soak import measure_soak
from tests.stack import free_port, start_stack

RESULTS = Path(__file__).parent / "results"


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory_gib:.0f} GiB, {cpu}, Python {platform.python_version()}"


def commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


@contextlib.contextmanager
def bench_broker(work: Path) -> Iterator[tuple[Settings, dict[str, str], Path, subprocess.Popen[bytes]]]:
    """An embedded broker of the benchmark's own, with the environment (also set on this process, so
    Settings.model_validate({}) and the child processes see the same configuration) and data directory of
    the worker runs against it."""
    port = free_port()
    data_dir = work / "throughput"
    data_dir.mkdir()
    broker = start_broker(port, data_dir / "broker.log")
    env = {
        "VIGIE_EMBEDDED_BROKER_PORT": str(port),
        "VIGIE_TOPIC_PREFIX": "bench.",
        "VIGIE_DATA_DIR": str(data_dir),
        "VIGIE_LOG_LEVEL": "WARNING",
    }
    env_before = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        settings = Settings.model_validate({})
        asyncio.run(wait_for_broker(settings.bootstrap))
        yield settings, env, data_dir, broker
    finally:
        for key, value in env_before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        broker.terminate()
        broker.wait()


def measure_throughput(work: Path, mentions: list[Mention], naive_count: int) -> dict[str, Any]:
    """On a broker of its own: the pipeline, the ceiling and the naive agent on the same mentions."""
    with bench_broker(work) as (settings, env, data_dir, broker):
        watchlists = bench_watchlists()
        expected = expected_totals(mentions, watchlists)
        results = asyncio.run(
            throughput.run(settings, env, mentions, naive_count, watchlists, expected, data_dir)
        )
        results["broker_rss_mib"] = rss_mib(broker.pid)
        return results


def role_pid(supervisor_pid: int, role: str) -> int:
    for pid in children_of(supervisor_pid):
        argv = command_line(pid).split()
        if "services.runtime.cli" in argv and argv[argv.index("services.runtime.cli") + 1 :][:1] == [role]:
            return pid
    raise RuntimeError(f"no {role} process under vigie run (pid {supervisor_pid})")


def measure_stack(
    work: Path, load: list[Mention], rates: list[float], duration_s: float, clients: int, phase_s: float
) -> dict[str, Any]:
    """On a whole `vigie run --no-demo`: latency at each rate, then fan-out, then each process's memory."""
    stack = start_stack(work / "stack")
    results: dict[str, Any] = {}
    try:

        async def prepare() -> None:
            async with stack.http() as client:
                await latency.put_watchlists(client, bench_watchlists())

        asyncio.run(prepare())
        results["latency"] = []
        for rate in rates:
            say(f"latency at {rate:,.0f} mentions/s for {duration_s:.0f} s")
            try:
                run = asyncio.run(latency.measure(stack.base_url, stack.admin_key, load, rate, duration_s))
            except (RuntimeError, TimeoutError) as error:
                say(f"latency at {rate:,.0f}/s failed: {error}")
                run = {"rate_per_s": rate, "error": str(error)}
            results["latency"].append(run)
        if clients:
            say(f"fan-out to {clients:,} websocket clients")
            port = int(stack.bootstrap.rsplit(":", 1)[1])
            settings = Settings.model_validate({"embedded_broker_port": port})
            api_pid = role_pid(stack.process.pid, "api")
            processes = 2 if clients >= 100 else 1
            try:
                results["fanout"] = asyncio.run(
                    fanout.measure(
                        settings, stack.base_url, stack.display_token, api_pid, clients, processes, phase_s
                    )
                )
            except (RuntimeError, TimeoutError, OSError, httpx.HTTPError) as error:
                say(f"fan-out failed: {error!r}")
                results["fanout_error"] = str(error)
        results["memory"] = stack_memory(stack.process.pid)
        return results
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=100_000, help="throughput workload")
    parser.add_argument("--naive-mentions", type=int, default=3000)
    parser.add_argument("--rates", default="1000,5000", help="latency runs, mentions/s")
    parser.add_argument("--duration-s", type=float, default=20.0, help="length of each latency run")
    parser.add_argument("--clients", type=int, default=1000, help="fan-out websocket clients (0: skip)")
    parser.add_argument("--phase-s", type=float, default=15.0, help="length of each fan-out phase")
    parser.add_argument(
        "--stages-s",
        type=int,
        default=3600,
        help="event time of demo traffic fed to swarms/influence/coordination",
    )
    parser.add_argument("--soak-s", type=float, default=240.0, help="endurance run with the demo (0: skip)")
    parser.add_argument("--soak-rate", type=float, default=500.0, help="demo mentions/s in the endurance run")
    parser.add_argument("--quick", action="store_true", help="a small smoke run (about a minute)")
    args = parser.parse_args()
    if args.quick:
        args.mentions, args.naive_mentions, args.duration_s, args.clients, args.phase_s, args.stages_s = (
            20_000,
            2000,
            5,
            100,
            4,
            300,
        )
        args.soak_s = 0
    started = time.time()
    settings = Settings.model_validate({})
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(),
        "sentiment_backend": settings.sentiment_backend,
        "args": vars(args),
    }
    say(f"making {args.mentions:,} demo mentions")
    mentions = workload(args.mentions)
    say("in-process microbenchmarks and the enrich profile")
    results["micro"] = micro.run(mentions, settings.sentiment_backend, settings.ingest_batch_max)
    say(f"swarms, influence, coordination on {args.stages_s} s of demo traffic")
    results["stages"] = stages.measure_stages(args.stages_s)
    with tempfile.TemporaryDirectory(prefix="vigie-bench-") as tmp:
        work = Path(tmp)
        say("throughput: ceiling, pipeline, naive")
        results["throughput"] = measure_throughput(work, mentions, args.naive_mentions)
        rates = [float(rate) for rate in args.rates.split(",") if rate]
        results.update(
            measure_stack(work, mentions[:20_000], rates, args.duration_s, args.clients, args.phase_s)
        )
        say("history queries over weeks of roll-ups")
        results["history"] = measure_history(work)
        if args.soak_s:
            say(
                f"endurance: the demo at {args.soak_rate:,.0f}/s for {args.soak_s:.0f} s, renewing the broker"
            )
            results["soak"] = measure_soak(work, args.soak_s, args.soak_rate)
    results["elapsed_s"] = round(time.time() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{results['date'][:10]}-{results['commit']}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"\nVigie benchmark, {results['date']}, commit {results['commit']}\n{results['machine']}\n")
    print(table(results))
    top = results["micro"]["enrich_profile"]["top_functions"][:5]
    print(
        "\nWhere enrich spends its time (cProfile, own time): "
        + ", ".join(f"{item['where']} {item['share']:.0%}" for item in top)
    )
    print(f"\n(written to {path}; took {results['elapsed_s']:.0f} s)")


if __name__ == "__main__":
    main()
