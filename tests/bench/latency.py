"""Delay from POST to websocket update under a steady load, on a whole `vigie run`.

A background load posts demo mentions at the target rate in batches (one POST every 50 ms); every half
second a probe mention for a watchlist of its own is posted alone, and its delay runs until the wall's
websocket shows that watchlist's total including it. Probes are spaced wider than the metrics throttle
(250 ms), so each one measures the pipeline, not the wait for the next publishing slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import orjson
import websockets

from services.records import Mention
from services.watchlists import Watchlist

PROBE_EVERY_S = 0.5
POST_EVERY_S = 0.05
MAX_POSTS_IN_FLIGHT = 20
#: How long the first probe may take: it also waits out any backlog an earlier run left.
WARM_UP_TIMEOUT_S = 90.0


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


class Load:
    """Posts `rate_per_s` mentions per second, cycling over `mentions` with fresh ids each pass."""

    def __init__(
        self, client: httpx.AsyncClient, mentions: list[Mention], rate_per_s: float, tag: str
    ) -> None:
        self.client = client
        self.mentions = mentions
        self.per_post = max(1, round(rate_per_s * POST_EVERY_S))
        self.tag = tag
        self.accepted = 0
        self.failed = 0
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
            else:
                self.failed += 1
        except httpx.HTTPError:
            self.failed += 1
        finally:
            slots.release()

    async def run(self, duration_s: float) -> None:
        slots = asyncio.Semaphore(MAX_POSTS_IN_FLIGHT)
        tasks: set[asyncio.Task[None]] = set()
        started = time.monotonic()
        index = 0
        while (due := started + index * POST_EVERY_S) < started + duration_s:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if time.monotonic() - due > POST_EVERY_S:
                self.late_posts += 1
            await slots.acquire()
            task = asyncio.create_task(self._post(self._chunk(index), slots))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            index += 1
        await asyncio.gather(*tasks)


async def measure(
    base_url: str, key: str, load: list[Mention], rate_per_s: float, duration_s: float
) -> dict[str, Any]:
    """Steady load at `rate_per_s` for `duration_s`; probe delays POST -> websocket, in ms. `key`: an admin
    API key (ingest, watchlists and the websocket)."""
    probe_id = f"bench-probe-{int(rate_per_s)}"
    ws_url = base_url.replace("http://", "ws://") + f"/ws?token={key}"
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        await client.put(f"/api/v1/watchlists/{probe_id}", json={"name": probe_id, "keywords": [probe_id]})
        posted: dict[int, float] = {}
        delays_ms: list[float] = []
        counted = asyncio.Event()
        totals = {"last": 0, "base": 0}  # probe n is counted once the total reaches base + n

        async def listen() -> None:
            async with websockets.connect(ws_url, max_size=None) as socket:
                async for raw in socket:
                    message = orjson.loads(raw)
                    if message.get("type") == "metrics" and message["watchlist"] == probe_id:
                        now = time.monotonic()
                        totals["last"] = message["total"]
                        counted.set()
                        for number in [n for n in posted if totals["base"] + n <= message["total"]]:
                            delays_ms.append((now - posted.pop(number)) * 1000)

        async def post_probes() -> None:
            started = time.monotonic()
            number = 0
            while time.monotonic() - started < duration_s:
                await asyncio.sleep(PROBE_EVERY_S)
                number += 1
                posted[number] = time.monotonic()
                await client.post("/api/v1/mentions", json=probe(probe_id, number))

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
            totals["base"] = totals["last"]
            generator = Load(client, load, rate_per_s, tag=f"r{int(rate_per_s)}t{int(time.time())}")
            started = time.monotonic()
            await asyncio.gather(generator.run(duration_s), post_probes())
            elapsed_s = time.monotonic() - started
            await asyncio.sleep(3)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await listener
    if not delays_ms:
        raise RuntimeError(f"no probe came back over the websocket at {rate_per_s:.0f} mentions/s")
    return {
        "rate_per_s": rate_per_s,
        "achieved_per_s": round(generator.accepted / elapsed_s),
        "failed_posts": generator.failed,
        "late_posts": generator.late_posts,
        "backlog_before_s": round(backlog_s, 1),
        "probes": len(delays_ms),
        "lost_probes": len(posted),
        **summary_ms(delays_ms),
    }
