"""Many websocket clients in one process, for bench.fanout.

    python -m bench.fanout_clients URL COUNT WATCHLIST


Prints `ready` once every client has its snapshot, then, after the `end` phase, one JSON line: per phase
the delays (ms) from the send time stamped in each `metrics` message of WATCHLIST to its arrival, and how
many clients the server closed.
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
#: The sender's phases, in order: a metrics message's `total` is its phase's index.
PHASES = ("warmup", "calm", "stalled", "end")


async def client(
    url: str, watchlist: str, delays: dict[str, list[float]], closed: list[int], opened: Callable[[], None]
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
            await client(url, watchlist, delays, closed, opened)
        finally:
            if not released:
                gate.release()

    tasks = [asyncio.create_task(one()) for _ in range(count)]
    waiting = asyncio.create_task(everyone.wait())
    ended = asyncio.create_task(asyncio.wait(tasks))
    await asyncio.wait([waiting, ended], return_when=asyncio.FIRST_COMPLETED)
    print("ready" if everyone.is_set() else f"only {ready['count']} of {count} connected", flush=True)
    failures = [
        r for r in await asyncio.gather(*tasks, return_exceptions=True) if isinstance(r, BaseException)
    ]
    body = {
        "delays_ms": delays,
        "closed": len(closed),
        "failed": len(failures),
        "errors": sorted({repr(f)[:200] for f in failures})[:3],
    }
    print(orjson.dumps(body).decode(), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
