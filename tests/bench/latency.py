"""Delay from POST to websocket update under a steady load, on a whole `vigie run`.

A background load posts demo mentions at the target rate, in batches (one POST every 50 ms) or, with
`post_mentions`, that many mentions a POST (1: a crowd of single-mention sources, what the api's ingest
linger gathers); every half second a probe mention for a watchlist of its own is posted alone, and its
delay runs until the wall's websocket shows that watchlist's total including it. Probes are spaced wider
than the metrics throttle (250 ms), so each one measures the pipeline, not the wait for the next publishing
slot.

Alone (the latency and fan-out phases of `make bench` on a fresh `vigie run`, a minute or so):

    python -m tests.bench.latency --rates 1000 --post-mentions 1 --clients 1000 [--linger-ms 0]

Where the time goes: `--trace` follows each probe through the topics (`trace_probes`), samples the workers'
lag and each process's CPU (`StackSampler`) and says the CPU per mention of each role net of the idle stack:

    python -m tests.bench.latency --rates 5000 --duration-s 20 --trace [--keep-dir /tmp/run]

A probe is posted once the previous one was answered, so a slow api spaces them wider than half a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec
import orjson
import websockets
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.ingest.records import Mention
from services.runtime.kafka import PARTIALS, RAW, UPDATES
from services.understanding.enrich import Partial
from services.understanding.watchlists import Watchlist
from tests.bench.throughput import cpu_s

PROBE_EVERY_S = 0.5
POST_EVERY_S = 0.05
MAX_POSTS_IN_FLIGHT = 20
#: Small POSTs are sent in bursts this often (an event loop does not keep a 1 ms timer).
TICK_S = 0.01
#: In flight at once with small POSTs: enough for thousands a second at a few ms each.
MAX_SMALL_POSTS_IN_FLIGHT = 200
#: How long the first probe may take: it also waits out any backlog an earlier run left.
WARM_UP_TIMEOUT_S = 90.0
#: After the load, how long probes not yet shown are waited for before they count as lost: a probe that a
#: backlog delays is late (its delay is in the figures, and it is counted in `late_probes`), not lost.
DRAIN_S = 30.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary_ms(delays_ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(delays_ms, 0.50), 1),
        "p95_ms": round(percentile(delays_ms, 0.95), 1),
        "p99_ms": round(percentile(delays_ms, 0.99), 1),
        "max_ms": round(max(delays_ms), 1),
        "mean_ms": round(statistics.fmean(delays_ms), 1),
    }


async def put_watchlists(client: httpx.AsyncClient, watchlists: list[Watchlist]) -> None:
    for watchlist in watchlists:
        body = {
            k: v for k, v in msgspec.to_builtins(watchlist).items() if k not in ("created_at", "updated_at")
        }
        response = await client.put(f"/api/v1/watchlists/{watchlist.id}", json=body)
        if response.status_code != 200:
            raise RuntimeError(
                f"PUT watchlist {watchlist.id}: expected 200, got {response.status_code}: {response.text}"
            )


def probe(watchlist_id: str, number: int) -> dict[str, Any]:
    return {
        "id": f"{watchlist_id}-{number}-{time.time_ns()}",
        "text": f"{watchlist_id} probe number {number}",
        "author": {"handle": "bench"},
        "created_at": datetime.now(UTC).isoformat(),
    }


@dataclass
class ProbeLog:
    """What the bench saw of its probes, in wall-clock seconds (`time.time()`, comparable with the broker's
    record timestamps): `trace_probes` follows each one through the topics from it."""

    watchlist: str
    #: Probe number -> (mention id, posted, answered with 202).
    posted: dict[int, tuple[str, float, float]] = field(default_factory=dict)
    #: Every metrics message of the probe watchlist the websocket brought: (received, total).
    shown: list[tuple[float, int]] = field(default_factory=list)
    #: The websocket total before the first measured probe.
    base_total: int = 0
    load_ended: float = 0.0


class Load:
    """Posts `rate_per_s` mentions per second, cycling over `mentions` with fresh ids each pass."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        mentions: list[Mention],
        rate_per_s: float,
        tag: str,
        post_mentions: int | None = None,
    ) -> None:
        self.client = client
        self.mentions = mentions
        self.per_post = post_mentions or max(1, round(rate_per_s * POST_EVERY_S))
        #: POSTs sent together every tick, and how often.
        self.tick_s = TICK_S if post_mentions else POST_EVERY_S
        self.posts_per_tick = max(1, round(rate_per_s * self.tick_s / self.per_post))
        self.in_flight_max = MAX_SMALL_POSTS_IN_FLIGHT if post_mentions else MAX_POSTS_IN_FLIGHT
        self.tag = tag
        self.accepted = 0
        self.posts = 0
        self.failed = 0
        #: Why the first failed POSTs failed (status and body, or the client's error).
        self.failures: list[str] = []
        self.late_posts = 0

    def _chunk(self, index: int) -> bytes:
        start = (index * self.per_post) % len(self.mentions)
        cycle = (index * self.per_post) // len(self.mentions)
        chunk = self.mentions[start : start + self.per_post]
        fresh = [msgspec.structs.replace(m, id=f"{m.id}~{self.tag}{cycle}") for m in chunk]
        return msgspec.json.encode(fresh)

    async def _post(self, body: bytes, slots: asyncio.Semaphore) -> None:
        try:
            response = await self.client.post("/api/v1/mentions", content=body)
            if response.status_code == 202:
                self.accepted += response.json()["accepted"]
                self.posts += 1
            else:
                self._failed(f"{response.status_code} {response.text[:200]}")
        except httpx.HTTPError as error:
            self._failed(repr(error)[:200])
        finally:
            slots.release()

    def _failed(self, why: str) -> None:
        self.failed += 1
        if len(self.failures) < 3:
            self.failures.append(why)

    async def run(self, duration_s: float) -> None:
        slots = asyncio.Semaphore(self.in_flight_max)
        tasks: set[asyncio.Task[None]] = set()
        started = time.monotonic()
        tick = index = 0
        ends = started + duration_s
        while (due := started + tick * self.tick_s) < ends and time.monotonic() < ends:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            for _ in range(self.posts_per_tick):
                if time.monotonic() - due > self.tick_s:
                    self.late_posts += 1
                await slots.acquire()
                task = asyncio.create_task(self._post(self._chunk(index), slots))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                index += 1
            tick += 1
        await asyncio.gather(*tasks)


async def measure(
    base_url: str,
    key: str,
    load: list[Mention],
    rate_per_s: float,
    duration_s: float,
    post_mentions: int | None = None,
    drain_s: float = DRAIN_S,
    probe_log: ProbeLog | None = None,
) -> dict[str, Any]:
    """Steady load at `rate_per_s` for `duration_s`; probe delays POST -> websocket, in ms. `key`: an admin
    API key (ingest, watchlists and the websocket); `post_mentions`: mentions a POST (default: one POST
    every 50 ms). After the load, probes not yet shown are waited for up to `drain_s`: those shown then
    count as `late_probes` (their delays are in the figures), the others as `lost_probes`. `probe_log`
    (optional) is filled for `trace_probes`."""
    probe_id = f"bench-probe-{int(rate_per_s)}"
    seen = probe_log if probe_log is not None else ProbeLog(probe_id)
    seen.watchlist = probe_id
    ws_url = base_url.replace("http://", "ws://") + f"/ws?token={key}"
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        await client.put(f"/api/v1/watchlists/{probe_id}", json={"name": probe_id, "keywords": [probe_id]})
        posted: dict[int, float] = {}
        delays_ms: list[float] = []
        late = 0
        counted = asyncio.Event()
        all_shown = asyncio.Event()
        totals = {"last": 0, "base": 0}  # probe n is counted once the total reaches base + n

        async def listen() -> None:
            nonlocal late
            async with websockets.connect(ws_url, max_size=None) as socket:
                async for raw in socket:
                    message = orjson.loads(raw)
                    if message.get("type") == "metrics" and message["watchlist"] == probe_id:
                        now = time.monotonic()
                        seen.shown.append((time.time(), message["total"]))
                        totals["last"] = message["total"]
                        counted.set()
                        for number in [n for n in posted if totals["base"] + n <= message["total"]]:
                            delays_ms.append((now - posted.pop(number)) * 1000)
                            late += seen.load_ended > 0
                        if seen.load_ended and not posted:
                            all_shown.set()

        async def post_probes() -> None:
            started = time.monotonic()
            number = 0
            while time.monotonic() - started < duration_s:
                await asyncio.sleep(PROBE_EVERY_S)
                number += 1
                body = probe(probe_id, number)
                posted[number] = time.monotonic()
                sent = time.time()
                await client.post("/api/v1/mentions", json=body)
                seen.posted[number] = (body["id"], sent, time.time())

        listener = asyncio.create_task(listen())
        try:
            # A first probe, repeated until counted: the worker knows the new watchlist from then on.
            totals["base"] = 1_000_000_000  # nothing is credited during the warm-up
            warm_up_started = time.monotonic()
            deadline = warm_up_started + WARM_UP_TIMEOUT_S
            while not counted.is_set():
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"a probe was not counted within {WARM_UP_TIMEOUT_S:.0f} s before the load started: "
                        "the worker is behind (a backlog from the previous run?) or down"
                    )
                await client.post("/api/v1/mentions", json=probe(probe_id, 0))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(counted.wait(), timeout=5)
            backlog_s = time.monotonic() - warm_up_started  # long when an earlier run left a backlog
            await asyncio.sleep(1.0)  # a late copy of the warm-up probe would shift the count
            totals["base"] = seen.base_total = totals["last"]
            tag = f"r{int(rate_per_s)}p{post_mentions or 0}t{int(time.time())}"
            generator = Load(client, load, rate_per_s, tag, post_mentions)
            started = time.monotonic()
            await asyncio.gather(generator.run(duration_s), post_probes())
            elapsed_s = time.monotonic() - started
            seen.load_ended = time.time()
            if posted:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(all_shown.wait(), timeout=drain_s)
            drained_s = time.time() - seen.load_ended
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await listener
    if not delays_ms:
        raise RuntimeError(f"no probe came back over the websocket at {rate_per_s:.0f} mentions/s")
    return {
        "rate_per_s": rate_per_s,
        "achieved_per_s": round(generator.accepted / elapsed_s),
        "accepted": generator.accepted,
        "mentions_per_post": generator.per_post,
        "posts_per_s": round(generator.posts / elapsed_s),
        "failed_posts": generator.failed,
        "failures": generator.failures,
        "late_posts": generator.late_posts,
        "backlog_before_s": round(backlog_s, 1),
        "probes": len(delays_ms),
        "late_probes": late,
        "lost_probes": len(posted),
        "drained_s": round(drained_s, 1),
        **summary_ms(delays_ms),
    }


async def raw_records(bootstrap: str, topic: str, timeout_s: float = 20.0) -> dict[str, int]:
    """Records on the raw topic and the mentions they carry, read from the start (the embedded broker's end
    offsets undercount: counted by reading)."""
    records = await read_topic(bootstrap, topic, timeout_s)
    mentions = 0
    for record in records:
        value = orjson.loads(record.value or b"{}")
        mentions += len(value["mentions"]) if isinstance(value, dict) and "mentions" in value else 1
    return {"raw_records": len(records), "raw_mentions": mentions}


async def read_topic(bootstrap: str, topic: str, timeout_s: float = 30.0) -> list[Any]:
    """Every record of `topic` from its start (aiokafka ConsumerRecords), read until three empty fetches."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
    )
    await consumer.start()
    try:
        await consumer.topics()
        consumer.assign(
            [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        )
        records: list[Any] = []
        deadline = time.monotonic() + timeout_s
        idle = 0
        while time.monotonic() < deadline and idle < 3:
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            idle = 0 if batch else idle + 1
            for items in batch.values():
                records.extend(items)
        return records
    finally:
        await consumer.stop()


_partials = msgspec.json.Decoder(Partial | list[Partial])


async def trace_probes(bootstrap: str, topic: Callable[[str], str], seen: ProbeLog) -> dict[str, Any]:
    """Where each probe's time went, from the broker's record timestamps: POST -> its raw record (the api's
    linger and publish), -> its partial (enrich: the raw partition's queue and the batch), -> the first
    metrics update counting it (aggregate: the partials queue, the batch and the publish throttle), -> the
    websocket (the api's updates follower and hub). A probe never shown is placed at the last hop it reached,
    which says whether it was lost or only late."""
    ids = {mention_id: number for number, (mention_id, _, _) in seen.posted.items()}
    raw_at: dict[int, float] = {}
    raw_where: dict[tuple[int, int], int] = {}
    for record in await read_topic(bootstrap, topic(RAW)):
        value = orjson.loads(record.value or b"{}")
        items = value.get("mentions", [value]) if isinstance(value, dict) else value
        for item in items if isinstance(items, list) else []:
            number = ids.get(str(item.get("id"))) if isinstance(item, dict) else None
            if number is not None:
                raw_at[number] = record.timestamp / 1000
                raw_where[(record.partition, record.offset)] = number
    # The probe watchlist's partials in the order the aggregate applies them (one partials partition, by
    # key): the k-th raw record of it brings the total to the sum of the counts so far.
    partial_at: dict[int, float] = {}
    total_with: dict[int, int] = {}
    running = 0
    applied: set[tuple[int, int]] = set()
    for record in sorted(await read_topic(bootstrap, topic(PARTIALS)), key=lambda r: r.offset):
        if record.key != seen.watchlist.encode():
            continue
        decoded = _partials.decode(record.value)
        for partial in decoded if isinstance(decoded, list) else [decoded]:
            if partial.watchlist != seen.watchlist or (partial.partition, partial.offset) in applied:
                continue
            applied.add((partial.partition, partial.offset))
            running += int(sum(bucket[0] for bucket in partial.buckets.values()))
            number = raw_where.get((partial.partition, partial.offset))
            if number is not None:
                partial_at[number] = record.timestamp / 1000
                total_with[number] = running
    published: list[tuple[float, int]] = []
    for record in await read_topic(bootstrap, topic(UPDATES)):
        if record.key == seen.watchlist.encode():
            message = orjson.loads(record.value or b"{}")
            if message.get("type") == "metrics":
                published.append((record.timestamp / 1000, int(message["total"])))
    published.sort()

    def first(events: list[tuple[float, int]], total: int, after: float) -> float | None:
        return next((at for at, shown in events if shown >= total and at >= after - 0.002), None)

    hops: dict[str, list[float]] = {"api": [], "enrich": [], "aggregate": [], "api_hub": []}
    stuck: dict[str, list[int]] = {"api": [], "enrich": [], "aggregate": [], "api_hub": []}
    for number, (_, posted_at, _) in sorted(seen.posted.items()):
        steps: list[tuple[str, float | None]] = [
            ("api", raw_at.get(number)),
            ("enrich", partial_at.get(number)),
        ]
        total = total_with.get(number)
        update_at = first(published, total, partial_at[number]) if total is not None else None
        shown_at = first(seen.shown, total, update_at) if total is not None and update_at else None
        steps += [("aggregate", update_at), ("api_hub", shown_at)]
        previous = posted_at
        for hop, at in steps:
            if at is None:
                stuck[hop].append(number)
                break
            hops[hop].append((at - previous) * 1000)
            previous = at
    return {
        "hops_ms": {hop: summary_ms(delays) for hop, delays in hops.items() if delays},
        "stuck_before": {hop: numbers for hop, numbers in stuck.items() if numbers},
        "probe_partials_total": running,
        "websocket_total_last": seen.shown[-1][1] if seen.shown else None,
    }


def descendants(pid: int) -> list[int]:
    """Every process under `pid`, children first."""
    from tests.bench.processes import children_of

    found = children_of(pid)
    return found + [grandchild for child in found for grandchild in descendants(child)]


def role_of(pid: int) -> str:
    from tests.bench.processes import command_line

    argv = command_line(pid).split()
    if any("tansu" in word for word in argv):
        return "broker"
    if "services.runtime.cli" in argv[:-1]:
        role = argv[argv.index("services.runtime.cli") + 1]
        return f"{role}-{pid}" if role == "worker" else role
    return f"other-{pid}"


class StackSampler:
    """Every `every_s` while the load runs: the share of a core each process of the stack used, and how far
    the workers' group is behind on the raw and partials topics (end offsets minus committed offsets; the
    embedded broker's end offsets can undercount by a batch). `cpu_s` says the CPU each role used in all,
    which reads right on a busy machine (divided by the mentions accepted: CPU per mention per role)."""

    def __init__(self, supervisor_pid: int, bootstrap: str, topic: Callable[[str], str], group: str) -> None:
        self.pids = [supervisor_pid, os.getpid(), *descendants(supervisor_pid)]
        self.roles = {pid: "bench" if pid == os.getpid() else role_of(pid) for pid in self.pids}
        self.bootstrap = bootstrap
        self.topics = [topic(RAW), topic(PARTIALS)]
        self.group = group
        self.samples: list[dict[str, Any]] = []
        self.started = {pid: cpu_s(pid) for pid in self.pids}
        self.last = dict(self.started)

    def cpu_s(self) -> dict[str, float]:
        """CPU seconds each role used since the sampler was made (worker processes summed as `worker`)."""
        self.last = {pid: cpu_s(pid) or self.last[pid] for pid in self.pids}
        used: dict[str, float] = {}
        for pid, role in self.roles.items():
            name = "worker" if role.startswith("worker") else role
            used[name] = used.get(name, 0.0) + self.last[pid] - self.started[pid]
        return used

    async def idle_cores(self, duration_s: float) -> dict[str, float]:
        """The share of a core each role uses with no load (timers, polls, heartbeats), over `duration_s`;
        it restarts the count of `cpu_s`."""
        began = time.monotonic()
        self.started = {pid: cpu_s(pid) for pid in self.pids}
        await asyncio.sleep(duration_s)
        used = self.cpu_s()
        elapsed = time.monotonic() - began
        self.started = dict(self.last)
        return {role: round(seconds / elapsed, 3) for role, seconds in used.items()}

    async def run(self, every_s: float = 2.0) -> None:
        from services.runtime.rotation import pipeline_lag

        before = dict(self.started)
        at = time.monotonic()
        while True:
            await asyncio.sleep(every_s)
            now = time.monotonic()
            used = {pid: cpu_s(pid) for pid in self.pids}
            cores = {self.roles[pid]: round((used[pid] - before[pid]) / (now - at), 2) for pid in self.pids}
            before, at = used, now
            lag = await pipeline_lag(self.bootstrap, self.topics, {self.group: set(self.topics)})
            self.samples.append({"t": round(time.time(), 1), "cores": cores, "lag": lag})


def main() -> None:
    import argparse
    import json
    import tempfile

    from services.settings import Settings
    from tests.bench import fanout
    from tests.bench.data import bench_watchlists, workload
    from tests.bench.processes import stack_memory
    from tests.bench.run import commit, machine, role_pid
    from tests.stack import start_stack

    parser = argparse.ArgumentParser(description="The latency and fan-out phases of `make bench` alone.")
    parser.add_argument("--rates", default="1000", help="latency runs, mentions/s")
    parser.add_argument("--duration-s", type=float, default=10.0)
    parser.add_argument(
        "--post-mentions", type=int, default=0, help="mentions a POST (0: one POST every 50 ms)"
    )
    parser.add_argument("--clients", type=int, default=0, help="fan-out websocket clients (0: skip)")
    parser.add_argument("--phase-s", type=float, default=8.0, help="length of each fan-out phase")
    parser.add_argument("--linger-ms", type=float, default=None, help="VIGIE_INGEST_LINGER_MS of the api")
    parser.add_argument(
        "--drain-s", type=float, default=DRAIN_S, help="after the load, how long unshown probes are awaited"
    )
    parser.add_argument(
        "--idle-s",
        type=float,
        default=8.0,
        help="with --trace: CPU of the idle stack measured first, subtracted",
    )
    parser.add_argument("--keep-dir", default=None, help="run the stack there and keep its logs and database")
    parser.add_argument(
        "--trace", action="store_true", help="follow each probe through the topics: where its time went"
    )
    args = parser.parse_args()
    # One key posts everything: the per-key ingest rate limit would refuse most single-mention POSTs.
    env = {"VIGIE_INGEST_RATE_PER_S": "1000000", "VIGIE_INGEST_BURST": "1000000"}
    if args.linger_ms is not None:
        env["VIGIE_INGEST_LINGER_MS"] = str(args.linger_ms)
    results: dict[str, Any] = {"commit": commit(), "machine": machine(), "args": vars(args)}
    load = workload(20_000)
    with tempfile.TemporaryDirectory(prefix="vigie-bench-") as tmp:
        stack = start_stack(Path(args.keep_dir or tmp) / "stack", extra_env=env)
        try:

            async def prepare() -> None:
                async with stack.http() as client:
                    await put_watchlists(client, bench_watchlists())

            asyncio.run(prepare())
            results["latency"] = []
            settings = Settings.model_validate({"kafka_bootstrap": stack.bootstrap})
            worker_group = settings.topic_prefix.strip(".") + "-worker"  # streams/app.py `build_app`
            for rate in [float(r) for r in args.rates.split(",") if r]:
                print(f"bench: latency at {rate:,.0f} mentions/s for {args.duration_s:.0f} s", flush=True)
                probe_log = ProbeLog("")

                async def latency_run(rate: float, probe_log: ProbeLog) -> dict[str, Any]:
                    sampler = StackSampler(stack.process.pid, stack.bootstrap, settings.topic, worker_group)
                    idle = await sampler.idle_cores(args.idle_s) if args.trace and args.idle_s else {}
                    began = time.monotonic()
                    sampling = asyncio.create_task(sampler.run()) if args.trace else None
                    try:
                        run = await measure(
                            stack.base_url,
                            stack.admin_key,
                            load,
                            rate,
                            args.duration_s,
                            args.post_mentions or None,
                            args.drain_s,
                            probe_log,
                        )
                    finally:
                        if sampling is not None:
                            sampling.cancel()
                            with contextlib.suppress(asyncio.CancelledError):
                                await sampling
                    if args.trace:
                        run["samples"] = sampler.samples
                        # CPU beyond what each role uses idle, per mention accepted: it reads right on a
                        # machine shared with other work.
                        loaded_s = time.monotonic() - began
                        run["idle_cores"] = idle
                        run["cpu_us_per_mention"] = {
                            role: round(
                                (used - idle.get(role, 0.0) * loaded_s) * 1e6 / max(1, run["accepted"]), 1
                            )
                            for role, used in sampler.cpu_s().items()
                            if used > 0
                        }
                        run["trace"] = await trace_probes(stack.bootstrap, settings.topic, probe_log)
                    return run

                try:
                    run = asyncio.run(latency_run(rate, probe_log))
                except (RuntimeError, TimeoutError) as error:
                    run = {"rate_per_s": rate, "error": str(error)}
                print(json.dumps(run), flush=True)
                results["latency"].append(run)
            results["raw"] = asyncio.run(raw_records(stack.bootstrap, settings.topic(RAW)))
            print(json.dumps(results["raw"]), flush=True)
            if args.clients:
                print(f"bench: fan-out to {args.clients:,} websocket clients", flush=True)
                api_pid = role_pid(stack.process.pid, "api")
                processes = 2 if args.clients >= 100 else 1
                results["fanout"] = asyncio.run(
                    fanout.measure(
                        settings,
                        stack.base_url,
                        stack.display_token,
                        api_pid,
                        args.clients,
                        processes,
                        args.phase_s,
                    )
                )
                print(json.dumps(results["fanout"]), flush=True)
            results["memory"] = stack_memory(stack.process.pid)
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
