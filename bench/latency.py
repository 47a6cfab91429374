"""Delay from POST to websocket update under a steady load, on a whole `vigie run`.

A background load posts demo mentions at the target rate; every half second a probe mention for a
watchlist of its own is posted alone, and the delay runs until the wall's websocket shows it counted.
Probes are spaced wider than the metrics throttle (250 ms), so each one measures the pipeline, not the wait
for the next publishing slot.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import orjson
import websockets

from services.records import Mention

PROBE_EVERY_S = 0.5
POST_EVERY_S = 0.05


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(base_url: str, load: list[Mention], rate_per_s: float, duration_s: float) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        probe_id = f"probe{int(rate_per_s)}"
        await client.put(f"/api/v1/watchlists/{probe_id}", json={"name": probe_id, "keywords": [probe_id]})
        await asyncio.sleep(1.0)
        posted: dict[int, float] = {}
        delays: list[float] = []
        done = asyncio.Event()

        async def listen() -> None:
            async with websockets.connect(base_url.replace("http://", "ws://") + "/ws", max_size=None) as socket:
                while not done.is_set():
                    message = orjson.loads(await socket.recv())
                    if message.get("type") == "metrics" and message["watchlist"] == probe_id:
                        now = time.monotonic()
                        for k in [k for k in posted if k <= message["total"]]:
                            delays.append((now - posted.pop(k)) * 1000)

        async def post_load() -> None:
            per_post = max(1, int(rate_per_s * POST_EVERY_S))
            index = 0
            started = time.monotonic()
            pending: set[asyncio.Task[Any]] = set()
            while time.monotonic() - started < duration_s:
                chunk = load[index : index + per_post]
                index = (index + per_post) % max(1, len(load) - per_post)
                body = msgspec.json.encode(chunk)
                task = asyncio.create_task(client.post("/api/v1/mentions", content=body))
                pending.add(task)
                task.add_done_callback(pending.discard)
                next_at = started + (index // per_post + 1) * POST_EVERY_S
                await asyncio.sleep(max(0.0, POST_EVERY_S - (time.monotonic() - next_at + POST_EVERY_S)))
            await asyncio.gather(*pending)

        async def post_probes() -> None:
            count = 0
            started = time.monotonic()
            while time.monotonic() - started < duration_s:
                await asyncio.sleep(PROBE_EVERY_S)
                count += 1
                probe = {
                    "id": f"{probe_id}-{count}-{time.time_ns()}",
                    "text": f"{probe_id} probe {count}",
                    "author": {"handle": "bench"},
                    "created_at": datetime.now(UTC).isoformat(),
                }
                posted[count] = time.monotonic()
                await client.post("/api/v1/mentions", json=probe)

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.5)
        sent_before = time.monotonic()
        await asyncio.gather(post_load(), post_probes())
        achieved = (time.monotonic() - sent_before)
        await asyncio.sleep(3)
        done.set()
        listener.cancel()
        if not delays:
            raise RuntimeError("no probe came back over the websocket")
        return {
            "rate_per_s": rate_per_s,
            "duration_s": round(achieved, 1),
            "probes": len(delays),
            "lost_probes": len(posted),
            "p50_ms": percentile(delays, 0.50),
            "p95_ms": percentile(delays, 0.95),
            "p99_ms": percentile(delays, 0.99),
            "mean_ms": statistics.fmean(delays),
        }
