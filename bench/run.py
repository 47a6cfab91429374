"""`make bench`: measure Vigie on the embedded broker, print a table, write bench/results/<date>-<commit>.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import latency, throughput
from bench.data import bench_watchlists, expected_totals, workload
from bench.processes import rss_mib
from services.broker import start_broker
from services.settings import Settings
from tests.stack import free_port, start_stack

RESULTS = Path(__file__).parent / "results"


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory_gib:.0f} GiB, {cpu}, Python {platform.python_version()}"


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"


def measure_throughput(work: Path, count: int, naive_count: int, backend: str) -> dict[str, Any]:
    port = free_port()
    data_dir = work / "throughput"
    data_dir.mkdir()
    broker = start_broker(port, data_dir / "broker.log")
    env = {
        "VIGIE_EMBEDDED_BROKER_PORT": str(port),
        "VIGIE_TOPIC_PREFIX": "bench.",
        "VIGIE_DATA_DIR": str(data_dir),
        "VIGIE_LOG_LEVEL": "WARNING",
        "VIGIE_SENTIMENT_BACKEND": backend,
    }
    settings = Settings(embedded_broker_port=port, topic_prefix="bench.", data_dir=data_dir)
    try:
        from services.kafka import wait_for_broker

        asyncio.run(wait_for_broker(settings.bootstrap))
        mentions = workload(count)
        watchlists = bench_watchlists()
        expected = expected_totals(mentions, watchlists)
        results = asyncio.run(
            throughput.run(settings, env, mentions, naive_count, watchlists, expected, data_dir / "workers.log")
        )
        results["broker_rss_mib"] = rss_mib(broker.pid)
        return results
    finally:
        broker.terminate()
        broker.wait()


def measure_latency(work: Path, rates: list[float], duration_s: float, backend: str) -> dict[str, Any]:
    stack = start_stack(work / "latency", extra_env={"VIGIE_SENTIMENT_BACKEND": backend})
    try:
        load = workload(20_000, seed=11)
        runs = [asyncio.run(latency.measure(stack.base_url, load, rate, duration_s)) for rate in rates]
        memory = {}
        for line in subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout.splitlines():
            pid, _, args = line.strip().partition(" ")
            if str(stack.data_dir) in Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace") if Path(
                f"/proc/{pid}"
            ).exists() else False:
                for role in ("worker", "api", "tansu"):
                    if role in args:
                        memory[role] = rss_mib(int(pid))
        return {"runs": runs, "rss_mib": memory}
    finally:
        stack.stop()


def table(results: dict[str, Any]) -> str:
    t = results["throughput"]
    rows = [
        ("Throughput, one worker", "mentions/s", ""),
        ("  plain aiokafka read + decode (ceiling)", f"{t['ceiling_mentions_per_s']:,.0f}", ""),
        ("  Vigie pipeline", f"{t['pipeline']['mentions_per_s']:,.0f}",
         f"{t['pipeline']['mentions_per_s'] / t['naive']['mentions_per_s']:.1f}x naive"),
        ("  naive Faust agent, one mention per event", f"{t['naive']['mentions_per_s']:,.0f}", ""),
    ]
    lines = [f"{'':44} {'value':>14}  note", "-" * 72]
    lines += [f"{name:44} {value:>14}  {note}" for name, value, note in rows]
    lines.append("Latency, POST to websocket update")
    for run in results["latency"]["runs"]:
        lines.append(
            f"  at {run['rate_per_s']:,.0f} mentions/s{'':22} p50 {run['p50_ms']:.0f} ms, p95 {run['p95_ms']:.0f} ms, "
            f"p99 {run['p99_ms']:.0f} ms ({run['probes']} probes, {run['lost_probes']} lost)"
        )
    lines.append("Memory after the run (RSS)")
    lines.append(f"  worker after {t['mentions']:,} mentions{'':14} {t['pipeline']['worker_rss_mib']:.0f} MiB")
    lines.append(f"  broker holding that history{'':16} {t['broker_rss_mib']:.0f} MiB")
    for role, mib in sorted(results["latency"]["rss_mib"].items()):
        lines.append(f"  {role} after the latency runs{'':14} {mib:.0f} MiB")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentions", type=int, default=200_000)
    parser.add_argument("--naive-mentions", type=int, default=10_000)
    parser.add_argument("--rates", default="1000,5000")
    parser.add_argument("--duration-s", type=float, default=20.0)
    parser.add_argument("--backend", default=Settings().sentiment_backend)
    args = parser.parse_args()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="vigie-bench-") as tmp:
        work = Path(tmp)
        results: dict[str, Any] = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": commit(),
            "machine": machine(),
            "sentiment_backend": args.backend,
        }
        results["throughput"] = measure_throughput(work, args.mentions, args.naive_mentions, args.backend)
        rates = [float(rate) for rate in args.rates.split(",")]
        results["latency"] = measure_latency(work, rates, args.duration_s, args.backend)
    results["elapsed_s"] = round(time.time() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{results['date'][:10]}-{results['commit']}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"\nVigie benchmark, {results['date']}, commit {results['commit']}\n{results['machine']}\n")
    print(table(results))
    print(f"\n(written to {path}; took {results['elapsed_s']:.0f} s)")


if __name__ == "__main__":
    main()
