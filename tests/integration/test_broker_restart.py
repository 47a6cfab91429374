"""The embedded broker dies under a running `vigie run`: it comes back by itself, the terminal says what
was lost, and the room works again (posting, counting, the wall) without anyone restarting anything."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import websockets

from tests.conftest import create_watchlist, posted_mention, unique, wait_for, wait_total
from tests.stack import Stack, stack_child, start_stack

#: How long the room may take to work again after the broker died (broker, topics, config, worker).
RECOVERY_S = 60.0


async def post_until_accepted(client: httpx.AsyncClient, mentions: list[dict[str, Any]]) -> list[int]:
    """POST the same batch (safe: mentions are deduplicated by id) until 202; the statuses seen."""
    statuses: list[int] = []
    deadline = time.monotonic() + RECOVERY_S
    while time.monotonic() < deadline:
        try:
            response = await client.post("/api/v1/mentions", json=mentions, timeout=45)
        except httpx.TransportError as error:
            raise AssertionError(f"POST while the broker restarts: no answer ({error!r})") from None
        statuses.append(response.status_code)
        if response.status_code == 202:
            return statuses
        assert response.status_code == 503, f"expected 202 or 503 while the broker is away: {response.text}"
        [problem] = response.json()["detail"]
        assert problem["field"] == "broker" and "broker" in problem["error"], response.text
        await asyncio.sleep(0.5)
    raise AssertionError(f"POST never accepted within {RECOVERY_S:.0f} s after the broker died: {statuses}")


async def next_metrics(socket: Any, watchlist: str, total: int) -> dict[str, Any]:
    """The first `metrics` message of `watchlist` at `total` on an open wall socket."""
    async with asyncio.timeout(RECOVERY_S):
        while True:
            message = orjson.loads(await socket.recv())
            if (
                message["type"] == "metrics"
                and message["watchlist"] == watchlist
                and message["total"] == total
            ):
                return message  # type: ignore[no-any-return]


async def test_the_room_recovers_by_itself_when_the_embedded_broker_dies(tmp_path: Path) -> None:
    stack: Stack = await asyncio.to_thread(start_stack, tmp_path)
    try:
        async with stack.http() as client:
            brand = unique("phoenix")
            watchlist = (await create_watchlist(client, name=brand, keywords=[brand]))["id"]
            before = [posted_mention(f"{brand} before the outage, lovely") for _ in range(5)]
            assert (await client.post("/api/v1/mentions", json=before)).status_code == 202
            await wait_total(client, watchlist, 5)

            async with websockets.connect(stack.ws_url) as wall:
                assert orjson.loads(await wall.recv())["type"] == "snapshot"
                broker = stack_child(stack, "broker", "--listener-url")
                os.kill(broker, signal.SIGKILL)
                # Posting at once, while the broker is away, answers (202 or 503 saying why), never hangs.
                # These mentions name no watched brand: whether they survive the outage is not counted.
                during = [posted_mention("an unwatched remark during the outage") for _ in range(3)]
                statuses = await post_until_accepted(client, during)
                print(f"\nPOST answers from the moment the broker died: {statuses}")

                async def told() -> bool:
                    return "vigie: the embedded broker restarted" in stack.terminal()

                await wait_for(told, timeout_s=RECOVERY_S)
                log = stack.terminal()
                assert "windows and history go on from the database" in log, log
                assert "republished 1 watchlists" in log, log
                assert stack.process.poll() is None, "vigie run stopped instead of restarting the broker"
                assert stack_child(stack, "broker", "--listener-url") != broker

                after = [posted_mention(f"{brand} after the outage, still lovely") for _ in range(7)]
                statuses = await post_until_accepted(client, after)
                print(f"POST answers once the broker was back: {statuses}")
                assert statuses == [202], "once vigie run says the broker is back, posting works at once"
                # The windows go on from the states saved in the database: the new mentions, which the
                # republished watchlist matches, add to those counted before, and the wall (same socket,
                # never reconnected) is told.
                total = len(before) + len(after)
                update = await next_metrics(wall, watchlist, total=total)
                assert update["windows"]["5m"]["count"] == total
            await wait_total(client, watchlist, total)
            assert stack.terminal().count("vigie: the embedded broker exited") == 1
    finally:
        await asyncio.to_thread(stack.stop)
