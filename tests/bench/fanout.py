"""Fan-out: many websocket clients on one api process, each getting a watchlist's `metrics` 4 times a second.

Metrics messages in the real format (api/websocket.md), stamped with their send time, are written straight
onto the updates topic, as a worker would; client processes (bench/fanout_clients.py) record each one's
delay. Phases: `calm`, then `stalled` with one more client that connects and never reads (a tiny receive
buffer, so the server's side fills fast): what it costs the others, and the api's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from services.aggregation.aggregate import metrics_message
from services.aggregation.windows import WindowState
from services.runtime.kafka import UPDATES, make_producer
from services.settings import Settings
from services.updates import encode
from tests.bench.fanout_clients import PHASES, handshake_request
from tests.bench.latency import summary_ms
from tests.bench.processes import rss_mib
from tests.bench.throughput import cpu_s

WATCHLIST = "bench-fanout"
UPDATES_PER_S = 4.0
CONNECT_TIMEOUT_S = 120.0
RESULT_LINE_MAX_BYTES = 64 * 1024 * 1024


def stalled_client(ws_url: str) -> socket.socket:
    """A websocket client that completes the handshake and then never reads again."""
    parts = urlsplit(ws_url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((parts.hostname or "127.0.0.1", parts.port or 80))
    sock.sendall(handshake_request(ws_url))
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("the server closed the stalled client's handshake")
        answer += chunk
    if b" 101 " not in answer.split(b"\r\n", 1)[0]:
        raise ConnectionError(f"expected 101 Switching Protocols, got {answer.splitlines()[0]!r}")
    return sock


async def readyz(base_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        body: dict[str, Any] = (await client.get("/readyz")).json()
        return body


async def clients_connected(base_url: str) -> int:
    count: int = (await readyz(base_url))["clients"]
    return count


async def measure(
    settings: Settings,
    base_url: str,
    token: str,
    api_pid: int,
    clients: int,
    processes: int,
    phase_s: float,
) -> dict[str, Any]:
    ws_url = base_url.replace("http://", "ws://") + f"/ws?token={token}"
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.bench.fanout_clients",
            ws_url,
            str(clients // processes),
            WATCHLIST,
            stdout=asyncio.subprocess.PIPE,
            # Each child's last line holds every delay it saw (~1 MB for 500 clients): beyond the
            # default 64 KiB limit the read fails and the pipe, never drained, keeps wait() from returning.
            limit=RESULT_LINE_MAX_BYTES,
        )
        for _ in range(processes)
    ]
    producer = make_producer(settings)
    await producer.start()
    stalled: socket.socket | None = None
    result: dict[str, Any] = {
        "clients": clients,
        "client_processes": processes,
        "updates_per_s": UPDATES_PER_S,
    }
    try:
        for child in children:
            assert child.stdout is not None
            try:
                line = (await asyncio.wait_for(child.stdout.readline(), timeout=CONNECT_TIMEOUT_S)).decode()
            except TimeoutError:
                connected = await clients_connected(base_url)
                raise TimeoutError(
                    f"expected {clients} clients connected within {CONNECT_TIMEOUT_S:.0f} s, "
                    f"the api counts {connected}"
                ) from None
            line = line.strip()
            if line != "ready":
                raise RuntimeError(f"fan-out clients not ready: {line!r}")
        result["connected"] = await clients_connected(base_url)

        async def send(phase: str, duration_s: float) -> None:
            started = time.monotonic()
            number = 0
            while (due := started + number / UPDATES_PER_S) < started + duration_s:
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                # A real metrics message (the hub passes only the protocol's fields): its `total` says the
                # phase, its `now_ts` when it was sent.
                message = metrics_message(WATCHLIST, WindowState(), time.time())
                message.total = PHASES.index(phase)
                await producer.send(settings.topic(UPDATES), encode(message), key=WATCHLIST.encode())
                number += 1

        await send("warmup", 2.0)
        api_cpu = {"calm": cpu_s(api_pid)}
        await send("calm", phase_s)
        result["api_rss_mib_calm"] = rss_mib(api_pid)
        stalled = stalled_client(ws_url)
        api_cpu["stalled"] = cpu_s(api_pid)
        await send("stalled", phase_s)
        api_cpu["end"] = cpu_s(api_pid)
        result["api_rss_mib_stalled"] = rss_mib(api_pid)
        # Bounded: a client behind holds its queue and the latest message per key (api/hub.py).
        result["stalled_readyz"] = await readyz(base_url)
        await send("end", 1.0)
        outputs = []
        for child in children:
            assert child.stdout is not None
            outputs.append(orjson.loads(await asyncio.wait_for(child.stdout.readline(), timeout=60)))
    finally:
        if stalled is not None:
            stalled.close()
        for child in children:
            if child.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
            await child.wait()
        await producer.stop()
    for phase in ("calm", "stalled"):
        delays = [d for out in outputs for d in out["delays_ms"].get(phase, [])]
        expected = clients * int(phase_s * UPDATES_PER_S)
        result[phase] = {
            "received": len(delays),
            "expected": expected,
            **(summary_ms(delays) if delays else {}),
        }
        # What the client processes cost the measure (bench/fanout_clients.py): a loop that runs late stamps
        # every message it then reads that late, whatever the api did.
        lags = [lag for out in outputs for lag in out["loop_lag_ms"].get(phase, [])]
        if lags:
            result[phase]["clients_loop_lag"] = summary_ms(lags)
        result[phase]["clients_cores"] = round(sum(out["cores"].get(phase, 0.0) for out in outputs), 2)
        # The api's CPU for each message it delivered in the phase (the hub's fan-out is most of it).
        used_s = api_cpu["stalled" if phase == "calm" else "end"] - api_cpu[phase]
        result[phase]["api_cpu_us_per_delivery"] = round(used_s / max(len(delays), 1) * 1e6, 1)
    result["closed_by_server"] = sum(out["closed"] for out in outputs)
    result["client_errors"] = [e for out in outputs for e in out["errors"]]
    return result
