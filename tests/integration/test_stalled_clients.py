"""Walls that stop reading (a frozen browser tab, a laptop lid closed on a live socket) do not cost the api
its memory, nor the other walls their pace: while stalled each holds at most a bounded queue and the latest
message per key, gets the latest state when it reads again, and is closed by the server's pings if it never
does; and the server does not compress each wall's copy of every update on its own."""

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

from api.hub import CLIENT_QUEUE_MAX
from services.aggregation.aggregate import metrics_message
from services.aggregation.windows import WindowState
from services.runtime.kafka import UPDATES, make_producer
from services.settings import Settings
from services.updates import encode
from tests.conftest import create_watchlist, posted_mention, unique, wait_for
from tests.stack import Stack, rss_mib, stack_child, start_stack

STALLED = 50
STREAM_S = 15.0
#: The api's growth allowed while 50 walls stall: each may hold its bounded queue and latest messages and
#: its socket buffers until pings close it; unbounded buffering of this stream would pass it within seconds.
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
        api = stack_child(stack, "services.runtime.cli", "api")
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


WATCHLISTS = 8
ROUNDS = 1000
BURSTS = 20
#: Message types a wall gets besides the test's metrics (a key each while it is behind).
OTHER_KEYS = {"snapshot", "heartbeat", "watchlists", "mentions", "swarms", "coordination"}


async def publish_rounds(stack: Stack, watchlists: list[str]) -> None:
    """`ROUNDS` metrics messages per watchlist straight onto the updates topic, as a worker writes them, in
    `BURSTS` bursts; round r carries total r."""
    settings = Settings.model_validate({"kafka_bootstrap": stack.bootstrap})
    producer = make_producer(settings)
    await producer.start()
    try:
        for total in range(1, ROUNDS + 1):
            for watchlist in watchlists:
                message = metrics_message(watchlist, WindowState(), time.time())
                message.total = total
                await producer.send(settings.topic(UPDATES), encode(message), key=watchlist.encode())
            if total % (ROUNDS // BURSTS) == 0:
                await producer.flush()
                await asyncio.sleep(0.2)
    finally:
        await producer.stop()


async def read_all(websocket: websockets.ClientConnection) -> None:
    async for _ in websocket:
        pass


async def test_a_stalled_wall_holds_the_latest_state_per_watchlist_and_gets_it_when_it_reads_again(
    tmp_path: Path,
) -> None:
    stack: Stack = await asyncio.to_thread(start_stack, tmp_path)
    try:
        watchlists = [unique("fan") for _ in range(WATCHLISTS)]
        mine = set(watchlists)
        # The stalled wall: a real websocket client that stops reading (a tiny receive buffer, and its
        # library stops taking frames off the socket once 1 waits), so the server's sends block.
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.connect(("127.0.0.1", int(stack.base_url.rsplit(":", 1)[1])))
        async with (
            # No compression: what it is sent fills its socket's buffers sooner (zeros compress very well).
            websockets.connect(
                stack.ws_url, sock=raw, max_queue=1, ping_interval=None, compression=None
            ) as stalled,
            websockets.connect(stack.ws_url, max_size=None) as healthy,
        ):
            assert orjson.loads(await stalled.recv())["type"] == "snapshot"
            healthy_totals: dict[str, list[int]] = {w: [] for w in watchlists}
            healthy_read = [0]

            async def read_healthy() -> None:
                async for text in healthy:
                    healthy_read[0] += 1
                    message: dict[str, Any] = orjson.loads(text)
                    if message["type"] == "metrics" and message["watchlist"] in mine:
                        healthy_totals[message["watchlist"]].append(message["total"])

            reader = asyncio.create_task(read_healthy())
            await publish_rounds(stack, watchlists)

            async def healthy_has_the_latest() -> bool:
                return all(totals and totals[-1] == ROUNDS for totals in healthy_totals.values())

            await wait_for(healthy_has_the_latest, timeout_s=60)
            reader.cancel()
            # The healthy wall kept receiving while the other one stalled, never an older state after a newer
            # one (a burst of updates larger than a queue in one go reaches it as the latest state too).
            assert all(totals == sorted(totals) for totals in healthy_totals.values())

            async with stack.http() as client:
                ready: dict[str, Any] = (await client.get("/readyz")).json()
            # Memory bounded by count: the stalled wall holds its queue and one message per key, not the
            # 8,000 updates it missed.
            print(f"\n/readyz while one wall stalls: {ready}")
            assert ready["clients"] == 2 and ready["clients_behind"] == 1, ready  # the stalled one only
            assert ready["queued_max"] <= CLIENT_QUEUE_MAX + WATCHLISTS + len(OTHER_KEYS), ready
            # The walls that keep up get each update as one frame built once for all (api/direct_frames.py).
            assert ready["messages_direct"] >= healthy_read[0] / 2, (healthy_read, ready)

            # It reads again: it gets what was queued, then the latest state of every watchlist.
            received, latest = 0, dict.fromkeys(watchlists, 0)
            while any(total != ROUNDS for total in latest.values()):
                message = orjson.loads(await asyncio.wait_for(stalled.recv(), timeout=30))
                received += 1
                if message["type"] == "metrics" and message["watchlist"] in mine:
                    assert message["total"] >= latest[message["watchlist"]], "older state after newer"
                    latest[message["watchlist"]] = message["total"]
            print(f"the stalled wall read {received} messages to catch up with {WATCHLISTS * ROUNDS} updates")
            assert received < WATCHLISTS * ROUNDS / 2  # dropped to the latest state, not replayed

            async def caught_up() -> bool:
                async with stack.http() as client:
                    body: dict[str, Any] = (await client.get("/readyz")).json()
                    return body["clients_behind"] == 0 and body["clients"] == 2

            drain = asyncio.create_task(read_all(stalled))  # reading on: it catches up with the rest
            await wait_for(caught_up, timeout_s=30)  # still connected, and no longer behind
            drain.cancel()
    finally:
        await asyncio.to_thread(stack.stop)


async def test_a_wall_that_offers_compression_gets_plain_frames(stack: Stack) -> None:
    """Every client's copy of every update would be compressed on its own (VIGIE_WS_COMPRESSION): the
    server declines permessage-deflate, which browsers and this client offer, and still serves the wall."""
    async with websockets.connect(stack.ws_url, compression="deflate") as wall:
        assert wall.response is not None
        assert wall.response.headers.get("Sec-WebSocket-Extensions") is None, wall.response.headers
        assert orjson.loads(await wall.recv())["type"] == "snapshot"
