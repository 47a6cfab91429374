"""The room's endurance: a whole `vigie run` with the demo at many times its rate, one raw record per
mention, long enough that without renewal its busiest partition would hold more than 100,000 records (where
the embedded broker stops serving reads at all). Measured: the renewals and how long each held ingest,
the broker's memory, how long a fresh consumer takes to read the tail of the updates topic, the delay of
probe mentions from POST to the wall, and whether every probe was counted exactly once.

python -m tests.bench.soak [--duration-s 240] [--rate 500]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import websockets
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from services.runtime.broker_watch import records_by_partition
from services.runtime.kafka import TOPICS
from tests.bench.latency import percentile, probe
from tests.bench.processes import children_of, command_line, rss_mib
from tests.stack import Stack, start_stack

PROBE_EVERY_S = 2.0
SAMPLE_EVERY_S = 5.0
HELD = re.compile(r"ingest was held ([0-9.]+) s")


def broker_pid(stack: Stack) -> int | None:
    for pid in children_of(stack.process.pid):
        if "--listener-url" in command_line(pid):
            return pid
    return None


async def tail_fetch_ms(bootstrap: str, topic: str) -> float | None:
    """How long a fresh consumer takes to receive the last record of the busiest partition of `topic`."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        ends = await consumer.end_offsets(partitions)
        tp = max(partitions, key=lambda partition: ends[partition])
        if not ends[tp]:
            return None
        consumer.assign([tp])
        consumer.seek(tp, ends[tp] - 1)
        began = time.perf_counter()
        while time.perf_counter() - began < 10:
            if (await consumer.getmany(tp, timeout_ms=500)).get(tp):
                return (time.perf_counter() - began) * 1000
        return None
    finally:
        await consumer.stop()


async def run_soak(stack: Stack, duration_s: float) -> dict[str, Any]:
    probe_id = "soak-probe"
    headers = stack.headers
    delays_ms: list[tuple[float, float]] = []  # (seconds since start, delay)
    posted: dict[int, float] = {}
    samples: list[dict[str, Any]] = []
    accepted = 0
    refused_held = 0
    async with httpx.AsyncClient(base_url=stack.base_url, headers=headers, timeout=60) as client:
        await client.put(f"/api/v1/watchlists/{probe_id}", json={"name": probe_id, "keywords": [probe_id]})
        await asyncio.sleep(2)
        started = time.monotonic()
        last_total = {"value": 0, "target": 1 << 62}
        caught_up = asyncio.Event()

        async def listen() -> None:
            async with websockets.connect(stack.ws_url, max_size=None) as socket:
                async for raw in socket:
                    message = orjson.loads(raw)
                    if message.get("type") == "metrics" and message.get("watchlist") == probe_id:
                        total = int(message["total"])
                        now = time.monotonic()
                        for number in [n for n in posted if n <= total]:
                            delays_ms.append((posted[number] - started, (now - posted.pop(number)) * 1000))
                        last_total["value"] = total
                        if total >= last_total["target"]:
                            caught_up.set()

        async def sample() -> None:
            topics = [stack_topic for stack_topic in (f"vigie.{spec.name}" for spec in TOPICS)]
            while True:
                await asyncio.sleep(SAMPLE_EVERY_S)
                pid = broker_pid(stack)
                try:
                    records = await records_by_partition(stack.bootstrap, topics)
                    fetch_ms = await tail_fetch_ms(stack.bootstrap, "vigie.updates")
                except (KafkaError, OSError, ValueError) as error:  # a sample taken during a renewal
                    samples.append({"t_s": time.monotonic() - started, "error": repr(error)})
                    continue
                busiest = max(records.items(), key=lambda item: item[1], default=("", 0))
                samples.append(
                    {
                        "t_s": round(time.monotonic() - started, 1),
                        "broker_rss_mib": rss_mib(pid) if pid else None,
                        "busiest": busiest[0],
                        "busiest_records": busiest[1],
                        "tail_fetch_ms": round(fetch_ms, 1) if fetch_ms is not None else None,
                    }
                )

        listener = asyncio.create_task(listen())
        sampler = asyncio.create_task(sample())
        number = 0
        try:
            while time.monotonic() - started < duration_s:
                number += 1
                posted[number] = time.monotonic()
                while True:
                    response = await client.post("/api/v1/mentions", json=probe(probe_id, number))
                    if response.status_code == 202:
                        accepted += 1
                        break
                    if response.status_code != 503:
                        raise RuntimeError(f"probe refused: {response.status_code} {response.text}")
                    refused_held += 1
                    await asyncio.sleep(0.5)
                await asyncio.sleep(PROBE_EVERY_S)
            last_total["target"] = accepted
            if last_total["value"] < accepted:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(caught_up.wait(), timeout=120)
            await asyncio.sleep(3)
        finally:
            listener.cancel()
            sampler.cancel()
        final = (await client.get(f"/api/v1/watchlists/{probe_id}/metrics")).json()["total"]
        history = (await client.get(f"/api/v1/watchlists/{probe_id}/history", params={"step": 3600})).json()
    terminal = [
        line for line in stack.log_path.read_text(errors="replace").splitlines() if line.startswith("vigie: ")
    ]
    held_s = [float(match.group(1)) for line in terminal if (match := HELD.search(line))]
    third = duration_s / 3
    early = [d for t, d in delays_ms if t < third]
    late = [d for t, d in delays_ms if t >= 2 * third]
    good = [s for s in samples if "error" not in s]
    return {
        "duration_s": duration_s,
        "renewals": len(held_s),
        "renewals_called_off": sum("called off" in line for line in terminal),
        "held_s_max": max(held_s, default=0.0),
        "held_s_mean": round(statistics.fmean(held_s), 1) if held_s else 0.0,
        "probes_accepted": accepted,
        "probes_refused_held": refused_held,
        "probe_total_wall": final,
        "probe_total_history": history["totals"]["count"],
        "probes_never_shown": len(posted),
        "probe_p50_ms_first_third": round(percentile(early, 0.5), 1) if early else None,
        "probe_p99_ms_first_third": round(percentile(early, 0.99), 1) if early else None,
        "probe_p50_ms_last_third": round(percentile(late, 0.5), 1) if late else None,
        "probe_p99_ms_last_third": round(percentile(late, 0.99), 1) if late else None,
        "broker_rss_mib_max": max((s["broker_rss_mib"] or 0 for s in good), default=None),
        "busiest_records_max": max((s["busiest_records"] for s in good), default=None),
        "tail_fetch_ms_max": max((s["tail_fetch_ms"] or 0 for s in good), default=None),
        "samples": samples,
    }


def measure_soak(work: Path, duration_s: float, rate_per_s: float) -> dict[str, Any]:
    env = {
        "VIGIE_DEMO_RATE_PER_S": str(rate_per_s),
        "VIGIE_INGEST_BATCH_MAX": "1",
        "VIGIE_LOG_LEVEL": "WARNING",
    }
    stack = start_stack(work / "soak", demo=True, extra_env=env)
    try:
        results = asyncio.run(run_soak(stack, duration_s))
        results["rate_per_s"] = rate_per_s
        results["raw_records_estimate"] = int(rate_per_s * duration_s)
        return results
    finally:
        stack.stop()


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration-s", type=float, default=240.0)
    parser.add_argument("--rate", type=float, default=500.0, help="demo mentions per second")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigie-soak-") as tmp:
        results = measure_soak(Path(tmp), args.duration_s, args.rate)
    results.pop("samples")
    for key, value in results.items():
        print(f"{key:>28}: {value}")


if __name__ == "__main__":
    main()
