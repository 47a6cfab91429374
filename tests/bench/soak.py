"""The room's endurance: a whole `vigie run` with the demo at many times its rate, one raw record per
mention, long enough that without renewal its busiest partition would hold more than 100,000 records (where
the embedded broker stops serving reads at all).

Measured per broker renewal (each broker incarnation is an "epoch"): when it came and how long it held
ingest, the busiest partition the epoch reached, how long a fresh consumer takes to read the tail of the
updates topic, the broker's and the workers' memory, and the delay of probe mentions from POST to the wall;
per third of the run, the probes' p50 and p99 (all of them, and those that met no renewal); at the end,
whether every probe was shown on the wall and counted exactly once, and the records written on the busiest
partitions summed over the epochs.

    python -m tests.bench.soak [--duration-s 240] [--rate 500] [--renew-at 20000] [--cooldown-s 60]
                                                                  (`make soak`: SOAK_S, SOAK_RATE)

`--renew-at` lowers the partition size at which the broker is renewed, to see many renewals in one run: what
a long room accumulates outside the broker (the long-lived processes' memory, the database) is then
compared from the first third of the run to the last. `--renewals N` ends the run at its Nth renewal (a week
of the demo is about 400 at the default limit).

`--paused-s S` measures the wall itself before and after the run: for S seconds at the start, and again for
S seconds once the pipeline has caught up at the end (each after PAUSED_SETTLE_S more), the demo is paused
(SIGSTOP) and probes come every PAUSED_PROBE_EVERY_S; their delays before and after say whether the run
left the room slower.

`make soak` writes tests/bench/results/<date>-<commit>-soak.json and prints the endurance table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import statistics
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import websockets
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from services.runtime.broker_watch import records_by_partition
from services.runtime.kafka import TOPICS
from tests.bench.latency import percentile, probe
from tests.bench.processes import children_of, command_line, stack_memory
from tests.stack import Stack, start_stack

T = TypeVar("T")
PROBE_EVERY_S = 2.0
#: While the demo is paused: enough probes for a p99 in a minute.
PAUSED_PROBE_EVERY_S = 0.5
#: Left out at the start of a paused phase: the load's last records still draining (seen: 15 s after a
#: 400-renewal run, probes 504 ms falling to 290 ms), or the run's first renewal.
PAUSED_SETTLE_S = 15.0
#: How long the pipeline may take to catch up before the paused phase at the end starts anyway.
CATCH_UP_TIMEOUT_S = 120.0
SAMPLE_EVERY_S = 5.0
#: A sample's broker reads give up after this long.
SAMPLE_TIMEOUT_S = 30.0
TERMINAL_EVERY_S = 0.5
#: What a long room accumulates outside the broker, compared third by third.
LONG_LIVED = ("api_rss_mib", "notifier_rss_mib", "archiver_rss_mib", "database_mib")
HELD = re.compile(r"ingest was held ([0-9.]+) s")
RENEWING = re.compile(r"renewing the embedded broker: partition (\S+) holds ([0-9,]+) records")


@dataclass
class Renewal:
    """One renewal of the embedded broker, as `vigie run` said it on its terminal (seconds since start)."""

    began_s: float
    busiest: str = ""
    busiest_records: int = 0
    ended_s: float | None = None
    held_s: float | None = None
    #: Called off (the old broker went on; ingest was held from began_s to ended_s all the same).
    called_off: bool = False


@dataclass
class Run:
    """What the soak saw while it ran (seconds since the first probe)."""

    started: float = field(default_factory=time.monotonic)
    renewals: list[Renewal] = field(default_factory=list)
    called_off: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)
    #: (posted, shown) of each probe shown on the wall; `waiting` maps probe numbers not shown yet to posted.
    probes: list[tuple[float, float]] = field(default_factory=list)
    waiting: dict[int, float] = field(default_factory=dict)
    #: The last probe's number (the wall's total counts them all, every phase together).
    probe_number: int = 0
    #: Phase name ("before", "load", "after") -> (from, to) in seconds since the start.
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)

    def now_s(self) -> float:
        return time.monotonic() - self.started


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


async def tail_fetch_ms(bootstrap: str, topic: str) -> float | None:
    """How long a fresh consumer takes to receive the last record of the busiest partition of `topic`."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20)
    try:
        await consumer.start()
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


async def follow_terminal(stack: Stack, run: Run) -> None:
    """Note each renewal as `vigie run` says it (start, busiest partition, end, how long ingest was held)."""
    offset = 0
    while True:
        with stack.log_path.open("rb") as log:
            log.seek(offset)
            chunk = log.read()
        complete = chunk.rfind(b"\n") + 1
        offset += complete
        for line in chunk[:complete].decode(errors="replace").splitlines():
            if not line.startswith("vigie: "):
                continue
            if started := RENEWING.search(line):
                records = int(started.group(2).replace(",", ""))
                run.renewals.append(Renewal(run.now_s(), started.group(1), records))
            elif "called off" in line:
                run.called_off += 1
                if run.renewals and run.renewals[-1].ended_s is None:
                    run.renewals[-1].ended_s = run.now_s()
                    run.renewals[-1].called_off = True
            elif (held := HELD.search(line)) and run.renewals:
                run.renewals[-1].ended_s = run.now_s()
                run.renewals[-1].held_s = float(held.group(1))
        await asyncio.sleep(TERMINAL_EVERY_S)


def raw_of(run: Run) -> dict[str, Any]:
    """What was seen so far, as written to the raw file."""
    return {
        "renewals": [vars(r) for r in run.renewals],
        "called_off": run.called_off,
        "probes": run.probes,
        "waiting": run.waiting,
        "samples": run.samples,
        "phases": run.phases,
    }


async def bounded(read: Coroutine[Any, Any, T], timeout_s: float) -> T:
    """`read`'s result, or TimeoutError after `timeout_s`. A read still going then is cancelled and left
    behind: its cleanup (a consumer's stop) can itself hang on a connection the renewal cut, and
    `asyncio.wait_for` would wait for that too (seen: a soak's sampler stopped at minute 25)."""
    task = asyncio.ensure_future(read)
    done, _ = await asyncio.wait({task}, timeout=timeout_s)
    if not done:
        task.cancel()
        raise TimeoutError(f"no answer within {timeout_s:.0f} s")
    return task.result()


async def sample(stack: Stack, run: Run, raw_path: Path | None) -> None:
    """Every SAMPLE_EVERY_S: the busiest partition, the updates tail fetch, each role's memory, the load;
    what was seen so far is written to `raw_path` (when given) with each sample, so that a run stopped
    early or stuck can still be read."""
    topics = [f"vigie.{spec.name}" for spec in TOPICS]
    while True:
        await asyncio.sleep(SAMPLE_EVERY_S)
        if raw_path is not None:
            text = json.dumps(raw_of(run))
            await asyncio.to_thread(raw_path.write_text, text)
        at_s = round(run.now_s(), 1)
        memory = stack_memory(stack.process.pid)
        try:
            # Bounded: a request the renewal's broker kill cut short can wait forever, and the sampler with it
            # (seen: a 95-minute soak sampled nothing after minute 57).
            records = await bounded(records_by_partition(stack.bootstrap, topics), SAMPLE_TIMEOUT_S)
            fetch_ms = await bounded(tail_fetch_ms(stack.bootstrap, "vigie.updates"), SAMPLE_TIMEOUT_S)
        except (KafkaError, OSError, ValueError, TimeoutError) as error:  # a sample taken during a renewal
            run.samples.append({"t_s": at_s, "error": repr(error)})
            continue
        busiest = max(records.items(), key=lambda item: item[1], default=("", 0))
        run.samples.append(
            {
                "t_s": at_s,
                "load_1m": load_average(),
                "broker_rss_mib": memory.get("broker"),
                "worker_rss_mib": memory.get("worker"),
                "api_rss_mib": memory.get("api"),
                "notifier_rss_mib": memory.get("notifier"),
                "archiver_rss_mib": memory.get("archiver"),
                "database_mib": database_mib(stack.data_dir),
                "busiest": busiest[0],
                "busiest_records": busiest[1],
                "tail_fetch_ms": round(fetch_ms, 1) if fetch_ms is not None else None,
            }
        )


def database_mib(data_dir: Path) -> float:
    """The SQLite database's size on disk (with its write-ahead log), in MiB."""
    files = [data_dir / name for name in ("vigie.db", "vigie.db-wal")]
    return round(sum(f.stat().st_size for f in files if f.exists()) / 2**20, 1)


async def listen(stack: Stack, watchlist_id: str, run: Run, caught_up: asyncio.Event) -> None:
    """Follow the wall's websocket (reconnecting if it drops): a probe is shown once the watchlist's total
    includes it; `caught_up` is set whenever no posted probe waits to be shown."""
    while True:
        try:
            async with websockets.connect(stack.ws_url, max_size=None) as socket:
                async for raw in socket:
                    message = orjson.loads(raw)
                    if message.get("type") != "metrics" or message.get("watchlist") != watchlist_id:
                        continue
                    total = int(message["total"])
                    now = run.now_s()
                    for number in [n for n in run.waiting if n <= total]:
                        run.probes.append((run.waiting.pop(number), now))
                    if not run.waiting:
                        caught_up.set()
        except (OSError, websockets.ConnectionClosed):
            await asyncio.sleep(1)


async def post_one(client: httpx.AsyncClient, watchlist_id: str, run: Run) -> None:
    """The next probe, posted again while ingest is held (503) until it is accepted."""
    run.probe_number += 1
    number = run.probe_number
    run.waiting[number] = run.now_s()
    while True:
        response = await client.post("/api/v1/mentions", json=probe(watchlist_id, number))
        if response.status_code == 202:
            return
        if response.status_code != 503:
            raise RuntimeError(f"probe: expected 202 (or 503 while held), got {response.status_code}")
        await asyncio.sleep(0.5)


async def post_probes(
    client: httpx.AsyncClient, watchlist_id: str, run: Run, until: Callable[[], bool], every_s: float
) -> int:
    """One probe every `every_s` until `until()`; returns how many were accepted."""
    accepted = 0
    while not until():
        await post_one(client, watchlist_id, run)
        accepted += 1
        await asyncio.sleep(every_s)
    return accepted


async def shown_all(run: Run, caught_up: asyncio.Event) -> None:
    """Until every probe posted so far is on the wall (or CATCH_UP_TIMEOUT_S); `caught_up` is `listen`'s."""
    caught_up.clear()
    if run.waiting:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(caught_up.wait(), timeout=CATCH_UP_TIMEOUT_S)


def demo_pids(stack: Stack) -> list[int]:
    """The demo role's process(es) of the stack."""
    return [
        pid
        for pid in children_of(stack.process.pid)
        if command_line(pid).split()[-1:] == ["demo"] and "services.runtime.cli" in command_line(pid)
    ]


def signal_demo(stack: Stack, signum: signal.Signals) -> None:
    for pid in demo_pids(stack):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


async def paused_phase(
    stack: Stack,
    client: httpx.AsyncClient,
    watchlist_id: str,
    run: Run,
    caught_up: asyncio.Event,
    name: str,
    seconds: float,
) -> int:
    """The demo paused: once the pipeline has caught up (a first probe shown) and PAUSED_SETTLE_S more have
    passed, probes every PAUSED_PROBE_EVERY_S for `seconds`; the demo goes on afterwards. Returns the probes
    accepted (those of the settling too: the wall's total counts them)."""
    signal_demo(stack, signal.SIGSTOP)
    try:
        await post_one(client, watchlist_id, run)
        await shown_all(run, caught_up)
        settled = run.now_s() + PAUSED_SETTLE_S
        accepted = await post_probes(
            client, watchlist_id, run, lambda: run.now_s() >= settled, PAUSED_PROBE_EVERY_S
        )
        begin = run.now_s()
        accepted += await post_probes(
            client, watchlist_id, run, lambda: run.now_s() >= begin + seconds, PAUSED_PROBE_EVERY_S
        )
        run.phases[name] = (begin, run.now_s())
        await shown_all(run, caught_up)
        return accepted + 1
    finally:
        signal_demo(stack, signal.SIGCONT)


async def run_soak(
    stack: Stack,
    duration_s: float,
    raw_path: Path | None = None,
    renewals: int | None = None,
    paused_s: float = 0.0,
) -> dict[str, Any]:
    """Probe, sample and follow the terminal for `duration_s` (or until the `renewals`th renewal), between
    paused phases of `paused_s` when asked; what was seen is written to `raw_path` (when given) before it is
    summarised."""
    probe_id = "soak-probe"
    async with httpx.AsyncClient(base_url=stack.base_url, headers=stack.headers, timeout=60) as client:
        await client.put(f"/api/v1/watchlists/{probe_id}", json={"name": probe_id, "keywords": [probe_id]})
        await asyncio.sleep(2)
        run = Run()
        caught_up = asyncio.Event()
        tasks = [
            asyncio.create_task(listen(stack, probe_id, run, caught_up)),
            asyncio.create_task(sample(stack, run, raw_path)),
            asyncio.create_task(follow_terminal(stack, run)),
        ]
        try:
            accepted = 0
            if paused_s:
                accepted += await paused_phase(stack, client, probe_id, run, caught_up, "before", paused_s)
            begin = run.now_s()

            def load_done() -> bool:
                made = sum(not r.called_off and r.ended_s is not None for r in run.renewals)
                return run.now_s() >= begin + duration_s or (renewals is not None and made >= renewals)

            accepted += await post_probes(client, probe_id, run, load_done, PROBE_EVERY_S)
            run.phases["load"] = (begin, run.now_s())
            if paused_s:
                accepted += await paused_phase(stack, client, probe_id, run, caught_up, "after", paused_s)
            await shown_all(run, caught_up)
            await asyncio.sleep(3)
        finally:
            for task in tasks:
                task.cancel()
        final = (await client.get(f"/api/v1/watchlists/{probe_id}/metrics")).json()["total"]
        history = (await client.get(f"/api/v1/watchlists/{probe_id}/history", params={"step": 3600})).json()
    counted = {
        "probes_accepted": accepted,
        "probe_total_wall": final,
        "probe_total_history": history["totals"]["count"],
        "probes_never_shown": len(run.waiting),
    }
    if raw_path is not None:
        text = json.dumps({**counted, **raw_of(run)})
        await asyncio.to_thread(raw_path.write_text, text)
    return summarise(run) | counted


def _p(values: list[float], q: float) -> float | None:
    return round(percentile(values, q), 1) if values else None


def _max(samples: list[dict[str, Any]], key: str) -> Any:
    return max((s[key] for s in samples if s.get(key) is not None), default=None)


def _mean(samples: list[dict[str, Any]], key: str) -> float | None:
    values = [s[key] for s in samples if s.get(key) is not None]
    return round(statistics.fmean(values), 1) if values else None


def summarise(run: Run, duration_s: float | None = None) -> dict[str, Any]:
    """Per renewal (epoch) and per third of the load (`run.phases["load"]`, or the first `duration_s`), and
    the paused phases before and after it, from what was seen."""
    good = [s for s in run.samples if "error" not in s]

    # Every hold, renewals called off included, delays the probes that meet it, until the wall is back: it
    # shows a probe posted after the hold (the workers start again after it). Only renewals that were made
    # start a new epoch (a fresh broker).
    def back_s(renewal: Renewal) -> float:
        if renewal.ended_s is None:
            return float("inf")
        later = [shown for posted, shown in run.probes if posted >= renewal.ended_s]
        return min(later, default=renewal.ended_s)

    windows = [(r.began_s, back_s(r)) for r in run.renewals]
    renewed = [r for r in run.renewals if not r.called_off]

    def met_renewal(posted: float, shown: float) -> bool:
        return any(posted <= end and shown >= begin for begin, end in windows)

    def delays(within: tuple[float, float], calm_only: bool = False) -> list[float]:
        return [
            (shown - posted) * 1000
            for posted, shown in run.probes
            if within[0] <= posted < within[1] and not (calm_only and met_renewal(posted, shown))
        ]

    def probe_stats(within: tuple[float, float]) -> dict[str, Any]:
        """The delays of the probes posted `within`: all of them, and those that met no renewal (calm)."""
        every, calm = delays(within), delays(within, calm_only=True)
        return {
            "probes": len(every),
            "p50_ms": _p(every, 0.5),
            "p99_ms": _p(every, 0.99),
            "calm_probes": len(calm),
            "calm_p50_ms": _p(calm, 0.5),
            "calm_p99_ms": _p(calm, 0.99),
        }

    # An epoch ends where its renewal ended: the old broker serves (and is sampled) until it is stopped, and
    # a probe that met the renewal counts in the epoch the renewal closed.
    epochs = []
    bounds = [0.0, *(r.ended_s if r.ended_s is not None else float("inf") for r in renewed), float("inf")]
    for index in range(len(bounds) - 1):
        span = (bounds[index], bounds[index + 1])
        mine = [s for s in good if span[0] <= s["t_s"] < span[1]]
        renewal = renewed[index] if index < len(renewed) else None
        called_off = [r for r in run.renewals if r.called_off and span[0] <= r.began_s < span[1]]
        busiest = max(
            [(s["busiest_records"], s["busiest"]) for s in mine]
            + ([(renewal.busiest_records, renewal.busiest)] if renewal else []),
            default=(0, ""),
        )
        fetches = [s["tail_fetch_ms"] for s in mine if s.get("tail_fetch_ms") is not None]
        probes = delays(span)
        epochs.append(
            {
                "epoch": index,
                "from_s": round(span[0], 1),
                "renewed_at_s": round(renewal.began_s, 1) if renewal else None,
                "held_s": renewal.held_s if renewal else None,
                "called_off": len(called_off),
                "called_off_held_s": round(sum((r.ended_s or r.began_s) - r.began_s for r in called_off), 1),
                "busiest": busiest[1],
                "busiest_records": busiest[0],
                "tail_fetch_ms_p50": _p(fetches, 0.5),
                "tail_fetch_ms_max": max(fetches, default=None),
                "broker_rss_mib_max": _max(mine, "broker_rss_mib"),
                "worker_rss_mib_max": _max(mine, "worker_rss_mib"),
                "probes": len(probes),
                "probe_p50_ms": _p(probes, 0.5),
                "probe_p99_ms": _p(probes, 0.99),
                "load_1m_mean": round(statistics.fmean(s["load_1m"] for s in mine), 2) if mine else None,
            }
        )
    load_from, load_to = run.phases.get("load", (0.0, duration_s or 0.0))
    length = load_to - load_from
    thirds = []
    for index in range(3):
        # Without a paused phase after it, the last third keeps the probes posted after the load.
        last = load_to if "after" in run.phases else float("inf")
        span = (load_from + length * index / 3, load_from + length * (index + 1) / 3 if index < 2 else last)
        mine = [s for s in good if span[0] <= s["t_s"] < span[1]]
        thirds.append(
            {
                "third": index + 1,
                **probe_stats(span),
                "load_1m_mean": round(statistics.fmean(s["load_1m"] for s in mine), 2) if mine else None,
                **{f"{key}_mean": _mean(mine, key) for key in LONG_LIVED},
            }
        )
    paused = {name: probe_stats(run.phases[name]) for name in ("before", "after") if name in run.phases}
    held = [r.held_s for r in renewed if r.held_s is not None]
    return {
        "duration_s": round(length, 1),
        "paused": paused,
        "renewals": len(held),
        "renewal_under_way_at_end": any(r.ended_s is None for r in run.renewals),
        "renewals_called_off": run.called_off,
        "held_s_max": max(held, default=0.0),
        "held_s_mean": round(statistics.fmean(held), 1) if held else 0.0,
        "busiest_records_summed": sum(epoch["busiest_records"] for epoch in epochs),
        "busiest_records_max": max((epoch["busiest_records"] for epoch in epochs), default=None),
        "tail_fetch_ms_max": _max(good, "tail_fetch_ms"),
        "broker_rss_mib_max": _max(good, "broker_rss_mib"),
        "worker_rss_mib_max": _max(good, "worker_rss_mib"),
        "load_1m_mean": round(statistics.fmean(s["load_1m"] for s in good), 2) if good else None,
        "epochs": epochs,
        "thirds": thirds,
        "samples": run.samples,
    }


def measure_soak(
    work: Path,
    duration_s: float,
    rate_per_s: float,
    raw_path: Path | None = None,
    renew_at: int | None = None,
    cooldown_s: float | None = None,
    renewals: int | None = None,
    paused_s: float = 0.0,
) -> dict[str, Any]:
    env = {
        "VIGIE_DEMO_RATE_PER_S": str(rate_per_s),
        "VIGIE_INGEST_BATCH_MAX": "1",
        "VIGIE_LOG_LEVEL": "WARNING",
    }
    if renew_at is not None:
        env["VIGIE_BROKER_ROTATE_RECORDS_PER_PARTITION"] = str(renew_at)
    if cooldown_s is not None:
        env["VIGIE_BROKER_ROTATE_COOLDOWN_S"] = str(cooldown_s)
    stack = start_stack(work / "soak", demo=True, extra_env=env)
    try:
        results = asyncio.run(run_soak(stack, duration_s, raw_path, renewals, paused_s))
        results["rate_per_s"] = rate_per_s
        results["renew_at_records"] = renew_at
        results["raw_records_estimate"] = int(rate_per_s * results["duration_s"])
        results["end_memory_mib"] = stack_memory(stack.process.pid)
        return results
    finally:
        stack.stop()


def main() -> None:
    import tempfile

    from tests.bench.report import soak_rows, table
    from tests.bench.run import RESULTS, commit, machine

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration-s", type=float, default=float(os.environ.get("SOAK_S", 240)))
    parser.add_argument(
        "--rate", type=float, default=float(os.environ.get("SOAK_RATE", 500)), help="demo mentions per second"
    )
    parser.add_argument("--renew-at", type=int, help="renew the broker at this many records a partition")
    parser.add_argument("--cooldown-s", type=float, help="VIGIE_BROKER_ROTATE_COOLDOWN_S for the run")
    parser.add_argument("--renewals", type=int, help="end the load at this many renewals (or --duration-s)")
    parser.add_argument(
        "--paused-s", type=float, default=0.0, help="probe the paused demo's wall this long, before and after"
    )
    parser.add_argument(
        "--from-raw",
        type=Path,
        help="summarise the raw file of an earlier run (stopped early, or to summarise anew); run nothing",
    )
    args = parser.parse_args()
    if args.from_raw:
        raw = json.loads(args.from_raw.read_text())
        run = Run(
            started=0.0,
            renewals=[Renewal(**renewal) for renewal in raw["renewals"]],
            called_off=raw["called_off"],
            samples=raw["samples"],
            probes=[(posted, shown) for posted, shown in raw["probes"]],
            waiting={int(number): posted for number, posted in raw["waiting"].items()},
            phases={name: (span[0], span[1]) for name, span in raw.get("phases", {}).items()},
        )
        counted = {key: raw.get(key, len(run.probes)) for key in ("probes_accepted", "probe_total_wall")}
        results = summarise(run, args.duration_s) | {
            **counted,
            "probe_total_history": raw.get("probe_total_history", len(run.probes)),
            "probes_never_shown": len(run.waiting),
            "rate_per_s": args.rate,
            "raw_records_estimate": int(args.rate * args.duration_s),
        }
        print(table({"soak": results}))
        return
    date = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    print(f"soak: the demo at {args.rate:,.0f}/s for {args.duration_s:,.0f} s from {date}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{date[:10]}-{commit()}-soak.json"
    with tempfile.TemporaryDirectory(prefix="vigie-soak-") as tmp:
        results = measure_soak(
            Path(tmp),
            args.duration_s,
            args.rate,
            path.with_suffix(".raw.json"),
            args.renew_at,
            args.cooldown_s,
            args.renewals,
            args.paused_s,
        )
    results.update(date=date, commit=commit(), machine=machine())
    path.write_text(json.dumps(results, indent=2))
    print(f"\nVigie soak, {date}, commit {results['commit']}\n{results['machine']}\n")
    print(table({"soak": results}) if soak_rows(results) else "(no results)")
    print(f"\n(written to {path})")


if __name__ == "__main__":
    main()
