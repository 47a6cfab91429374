"""Walls that stop reading (a frozen browser tab, a laptop lid closed on a live socket) do not cost the api
its memory, nor the other walls their pace: the server closes them and keeps serving the rest."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import time
from pathlib import Path
from typing import Any

import orjson
import websockets

from tests.conftest import create_watchlist, posted_mention, unique, wait_for
from tests.stack import Stack, rss_mib, stack_child, start_stack

STALLED = 50
STREAM_S = 15.0
#: The api's growth allowed while 50 walls stall: each may hold its bounded queue (512 messages) and its
#: socket buffers before it is closed; unbounded buffering of this stream would pass it within seconds.
RSS_GROWTH_MAX_MIB = 50.0


def stalled_wall(stack: Stack) -> socket.socket:
    """A websocket client that completes the handshake and then never reads (tiny receive buffer)."""
    host, port = stack.base_url.removeprefix("http://").split(":")
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        (
            f"GET /ws?token={stack.display_token} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    answer = raw.recv(1024)  # the 101 answer, possibly with the start of the snapshot
    assert answer.startswith(b"HTTP/1.1 101"), answer[:200]
    return raw


def closed_by_server(raw: socket.socket, timeout_s: float) -> bool:
    """Drain what the server sent; True when it closed the connection (EOF) within `timeout_s`."""
    raw.settimeout(timeout_s)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if not raw.recv(1 << 20):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return False


async def test_stalled_walls_are_closed_and_the_others_keep_their_pace(tmp_path: Path) -> None:
    stack: Stack = await asyncio.to_thread(start_stack, tmp_path)
    stalled: list[socket.socket] = []
    try:
        api = stack_child(stack, "services.cli", "api")
        async with stack.http() as client:
            brand = unique("stall")
            watchlist = (await create_watchlist(client, name=brand, keywords=[brand]))["id"]
            stalled = [stalled_wall(stack) for _ in range(STALLED)]
            connected = time.monotonic()
            async with websockets.connect(stack.ws_url) as healthy:
                assert orjson.loads(await healthy.recv())["type"] == "snapshot"
                baseline_mib = rss_mib(api)
                seen: list[tuple[float, int]] = []  # (seconds since start, total) of each metrics update
                started = time.monotonic()

                async def read_healthy() -> None:
                    async for text in healthy:
                        message: dict[str, Any] = orjson.loads(text)
                        if message["type"] == "metrics" and message["watchlist"] == watchlist:
                            seen.append((time.monotonic() - started, message["total"]))

                reader = asyncio.create_task(read_healthy())
                posted, peak_mib = 0, baseline_mib
                while time.monotonic() - started < STREAM_S:
                    batch = [
                        posted_mention(f"{brand} live update {posted + i} " + "x" * 200) for i in range(25)
                    ]
                    response = await client.post("/api/v1/mentions", json=batch)
                    assert response.status_code == 202, response.text
                    posted += len(batch)
                    peak_mib = max(peak_mib, rss_mib(api))
                    await asyncio.sleep(0.2)

                async def all_counted() -> bool:
                    return bool(seen) and seen[-1][1] == posted

                await wait_for(all_counted, timeout_s=45)
                reader.cancel()
                peak_mib = max(peak_mib, rss_mib(api))
                print(
                    f"\napi RSS {baseline_mib:.0f} MiB -> peak {peak_mib:.0f} MiB; {posted} mentions posted"
                )
                assert peak_mib - baseline_mib < RSS_GROWTH_MAX_MIB
                # The healthy wall kept its pace: updates all along the stream, not in one late burst.
                thirds = {int(at // (STREAM_S / 3)) for at, _ in seen if at < STREAM_S}
                assert thirds == {0, 1, 2}, f"updates of the healthy wall over time: {seen}"

                async def only_healthy_left() -> bool:
                    clients: int = (await client.get("/readyz")).json()["clients"]
                    return clients == 1

                await wait_for(only_healthy_left, timeout_s=60)
                print(f"stalled walls closed {time.monotonic() - connected:.0f} s after they connected")
            closed = await asyncio.to_thread(lambda: sum(closed_by_server(raw, 10) for raw in stalled))
            assert closed == STALLED
    finally:
        for raw in stalled:
            raw.close()
        await asyncio.to_thread(stack.stop)
