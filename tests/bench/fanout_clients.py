"""Many websocket clients in one process, for bench.fanout.

    python -m bench.fanout_clients URL COUNT WATCHLIST


Prints `ready` once every client has its snapshot, then, after the `end` phase, one JSON line: per phase
the delays (ms) from the send time stamped in each `metrics` message of WATCHLIST to its arrival, how
many clients the server closed, and what this process cost the measure: its own event loop's lag (how
late a 10 ms sleep woke up, sampled through each phase; a message that arrives while the loop is busy
is stamped that late) and the CPU it used per phase. Client processes share the machine with the api:
their lag is part of every delay they report.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import defaultdict
from collections.abc import Callable

import orjson
import websockets

CONNECTS_AT_ONCE = 50
#: How often this process looks how late its own event loop runs.
LAG_SAMPLE_S = 0.01
#: The sender's phases, in order: a metrics message's `total` is its phase's index.
PHASES = ("warmup", "calm", "stalled", "end")


class OwnCost:
    """This process's event-loop lag and CPU, per phase (the phase of the last message any client got)."""

    def __init__(self) -> None:
        self.phase = PHASES[0]
        self.lag_ms: dict[str, list[float]] = defaultdict(list)
        self.cpu_s: dict[str, float] = defaultdict(float)
        self.wall_s: dict[str, float] = defaultdict(float)

    def saw(self, phase: str) -> None:
        self.phase = phase

    async def sample(self) -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        while True:
            await asyncio.sleep(LAG_SAMPLE_S)
            now_cpu, now_wall = time.process_time(), time.perf_counter()
            self.lag_ms[self.phase].append(round((now_wall - wall - LAG_SAMPLE_S) * 1000, 1))
            self.cpu_s[self.phase] += now_cpu - cpu
            self.wall_s[self.phase] += now_wall - wall
            cpu, wall = now_cpu, now_wall


async def client(
    url: str,
    watchlist: str,
    delays: dict[str, list[float]],
    closed: list[int],
    opened: Callable[[], None],
    cost: OwnCost,
) -> None:
    async with websockets.connect(url, max_size=None, open_timeout=60, ping_interval=None) as socket:
        await socket.recv()  # the snapshot: the server counts this client from now on
        opened()
        try:
            async for raw in socket:
                message = orjson.loads(raw)
                if message.get("type") != "metrics" or message.get("watchlist") != watchlist:
                    continue
                phase = PHASES[message["total"]]  # the sender puts the phase in `total`, its clock in now_ts
                cost.saw(phase)
                if phase == "end":
                    return
                delays[phase].append(round((time.time() - message["now_ts"]) * 1000, 2))
        except websockets.ConnectionClosedError:
            closed.append(1)


async def main(url: str, count: int, watchlist: str) -> None:
    delays: dict[str, list[float]] = defaultdict(list)
    closed: list[int] = []
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)
    ready = {"count": 0}
    everyone = asyncio.Event()
    cost = OwnCost()

    async def one() -> None:
        await gate.acquire()
        released = False

        def opened() -> None:
            nonlocal released
            released = True
            gate.release()
            ready["count"] += 1
            if ready["count"] == count:
                everyone.set()

        try:
            await client(url, watchlist, delays, closed, opened, cost)
        finally:
            if not released:
                gate.release()

    tasks = [asyncio.create_task(one()) for _ in range(count)]
    waiting = asyncio.create_task(everyone.wait())
    ended = asyncio.create_task(asyncio.wait(tasks))
    await asyncio.wait([waiting, ended], return_when=asyncio.FIRST_COMPLETED)
    print("ready" if everyone.is_set() else f"only {ready['count']} of {count} connected", flush=True)
    sampling = asyncio.create_task(cost.sample())
    failures = [
        r for r in await asyncio.gather(*tasks, return_exceptions=True) if isinstance(r, BaseException)
    ]
    sampling.cancel()
    body = {
        "delays_ms": delays,
        "loop_lag_ms": cost.lag_ms,
        "cores": {phase: round(cost.cpu_s[phase] / wall, 2) for phase, wall in cost.wall_s.items() if wall},
        "closed": len(closed),
        "failed": len(failures),
        "errors": sorted({repr(f)[:200] for f in failures})[:3],
    }
    print(orjson.dumps(body).decode(), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
