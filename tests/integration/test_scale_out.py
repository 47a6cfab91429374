"""Scale-out on the real embedded broker: several api processes serve clients at once, each following the
whole updates topic."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import orjson
import websockets

from tests.conftest import create_watchlist, unique, wait_for, wait_total
from tests.stack import Stack, free_port, start_role, stop_role


async def test_two_api_processes_serve_the_same_updates(
    stack: Stack, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    port = free_port()
    second_api = start_role(stack, "api", tmp_path / "api.log", {"VIGIE_PORT": str(port)})
    other_url = f"http://127.0.0.1:{port}"
    try:
        async with stack.http(other_url) as other:

            async def ready() -> bool:
                assert second_api.poll() is None, (tmp_path / "api.log").read_text()[-3000:]
                try:
                    return (await other.get("/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await wait_for(ready, timeout_s=45, interval_s=0.3)
            brand = unique("twoapi")
            watchlist = await create_watchlist(client, name=brand, keywords=[brand])
            other_ws_url = other_url.replace("http://", "ws://") + f"/ws?token={stack.display_token}"
            sockets = [await websockets.connect(stack.ws_url), await websockets.connect(other_ws_url)]
            try:
                for socket in sockets:
                    snapshot = orjson.loads(await socket.recv())
                    assert watchlist["id"] in {w["id"] for w in snapshot["watchlists"]}
                batch = [
                    {"id": unique("m"), "text": f"{brand} number {i}", "author": {"handle": "x"}}
                    for i in range(5)
                ]
                # Posted to the second api, seen on both: each api follows the whole updates topic.
                response = await other.post("/api/v1/mentions", json=batch)
                assert response.status_code == 202, response.text

                async def total_seen(socket: websockets.ClientConnection) -> int:
                    deadline = time.monotonic() + 30
                    while time.monotonic() < deadline:
                        message = orjson.loads(await asyncio.wait_for(socket.recv(), timeout=30))
                        if message["type"] == "metrics" and message["watchlist"] == watchlist["id"]:
                            last = int(message["total"])
                            if last == len(batch):
                                return last
                    raise AssertionError(f"total {len(batch)} of {watchlist['id']} not seen within 30 s")

                assert await asyncio.gather(*(total_seen(s) for s in sockets)) == [5, 5]
            finally:
                for socket in sockets:
                    await socket.close()
            await wait_total(other, watchlist["id"], 5)
    finally:
        stop_role(second_api)
