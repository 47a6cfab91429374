"""A room that outlives its embedded broker: `vigie run` renews the broker when a partition grows past its
limit, while mentions keep being posted, and nothing is lost, counted twice, or lost from the wall; a
restart of `vigie run` itself keeps every total and sparkline."""

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

from services.runtime.broker_watch import records_by_partition
from services.runtime.kafka import RAW, TOPICS
from services.settings import Settings
from tests.conftest import (
    create_watchlist,
    posted_mention,
    unique,
    wait_for,
    wait_history_count,
    wait_total,
)
from tests.stack import Stack, running_stack, stack_child, start_stack

#: Renew the broker once a partition holds this many records (the default is 20,000).
ROTATE_AT_RECORDS = 150


async def post_until_accepted(client: httpx.AsyncClient, mentions: list[dict[str, Any]]) -> list[int]:
    """POST a batch until it is accepted; a 503 while ingest is held must say so and carry Retry-After."""
    statuses: list[int] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        response = await client.post("/api/v1/mentions", json=mentions, timeout=45)
        statuses.append(response.status_code)
        if response.status_code == 202:
            return statuses
        assert response.status_code == 503, response.text
        if "held" in response.text:
            assert response.headers.get("retry-after"), response.headers
        await asyncio.sleep(0.3)  # a test need not wait the whole Retry-After
    raise AssertionError(f"never accepted within 90 s: {statuses}")


async def history_total(client: httpx.AsyncClient, watchlist: str) -> int:
    response = await client.get(f"/api/v1/watchlists/{watchlist}/history", params={"step": 3600})
    assert response.status_code == 200, response.text
    return int(response.json()["totals"]["count"])


async def test_mentions_posted_across_broker_renewals_are_each_counted_once(tmp_path: Path) -> None:
    env = {
        "VIGIE_BROKER_ROTATE_RECORDS_PER_PARTITION": str(ROTATE_AT_RECORDS),
        "VIGIE_BROKER_CHECK_INTERVAL_S": "1",
        "VIGIE_BROKER_ROTATE_COOLDOWN_S": "10",
        # A loaded machine drains slowly; a renewal called off is tried again, which is not what is tested.
        "VIGIE_BROKER_ROTATE_DRAIN_TIMEOUT_S": "120",
        "VIGIE_INGEST_BATCH_MAX": "1",  # one raw record per mention: partitions grow as fast as they can
        # Two worker processes, whatever this machine's cores: both stop, save and start again each time.
        "VIGIE_WORKERS": "2",
    }
    with running_stack(tmp_path, extra_env=env) as stack:
        async with stack.http() as client:
            brand = unique("evergreen")
            watchlist = (await create_watchlist(client, name=brand, keywords=[brand]))["id"]
            async with websockets.connect(stack.ws_url) as wall:
                assert orjson.loads(await wall.recv())["type"] == "snapshot"
                shown = {"total": 0}

                async def watch_wall() -> None:
                    async for raw in wall:
                        message = orjson.loads(raw)
                        if message.get("type") == "metrics" and message.get("watchlist") == watchlist:
                            shown["total"] = message["total"]

                watching = asyncio.create_task(watch_wall())
                sent: list[dict[str, Any]] = []
                statuses: list[int] = []
                deadline = time.monotonic() + 300
                while stack.terminal().count("renewed the embedded broker") < 2:
                    assert time.monotonic() < deadline, f"no second renewal:\n{stack.terminal()}"
                    batch = [posted_mention(f"{brand} flight {len(sent) + i} on time") for i in range(20)]
                    statuses += await post_until_accepted(client, batch)
                    sent += batch
                    # A client resending what it already sent (a retry after a timeout) counts nothing more,
                    # across a renewal too.
                    statuses += await post_until_accepted(client, batch[:3])
                    await asyncio.sleep(0.2)
                print(
                    f"\n{len(sent)} mentions posted; answers: {statuses.count(202)} x 202, "
                    f"{statuses.count(503)} x 503 (ingest held)"
                )
                print(stack.terminal())
                await wait_total(client, watchlist, len(sent), timeout_s=120)

                # The wall, on the socket it opened before the renewals, is told the same total.
                async def wall_told() -> bool:
                    return bool(shown["total"] == len(sent))

                await wait_for(wall_told, timeout_s=60)
                watching.cancel()

            async def history_complete() -> int | None:
                total = await history_total(client, watchlist)
                return total if total == len(sent) else None

            await wait_for(history_complete, timeout_s=30)


async def busiest_raw_partition(stack: Stack) -> tuple[str, int]:
    topics = [Settings(_env_file=None).topic(spec.name) for spec in TOPICS]
    held = await records_by_partition(stack.bootstrap, topics)
    raw = {name: count for name, count in held.items() if name.startswith(f"vigie.{RAW}/")}
    return max(raw.items(), key=lambda item: item[1])


async def test_a_pipeline_that_falls_behind_holds_ingest_before_the_broker_grows_past_what_it_can_serve(
    tmp_path: Path,
) -> None:
    """A worker that cannot keep up (here: stopped) no longer lets ingest grow the embedded broker's
    partitions towards the sizes it cannot serve: at twice the renewal limit ingest is held (503 naming why,
    with Retry-After) until the pipeline has caught up, then the broker is renewed and ingest resumes, each
    accepted mention counted once."""
    env = {
        "VIGIE_BROKER_ROTATE_RECORDS_PER_PARTITION": str(ROTATE_AT_RECORDS),
        "VIGIE_BROKER_CHECK_INTERVAL_S": "1",
        # The renewal waits for a pipeline with no backlog at all: with the worker stopped it never has one,
        # so only the forced hold can stop ingest.
        "VIGIE_BROKER_ROTATE_HOLD_BACKLOG_RECORDS": "0",
        "VIGIE_BROKER_ROTATE_DRAIN_TIMEOUT_S": "120",
        "VIGIE_INGEST_BATCH_MAX": "1",
        "VIGIE_WORKERS": "1",
        # The worker is stopped (SIGSTOP) for as long as the backlog takes to build: not a hang to cure.
        "VIGIE_ROLE_STUCK_AFTER_S": "0",
    }
    with running_stack(tmp_path, extra_env=env) as stack:
        async with stack.http() as client:
            brand = unique("backlog")
            watchlist = (await create_watchlist(client, name=brand, keywords=[brand]))["id"]
            worker = stack_child(stack, "services.runtime.cli", "worker")
            accepted: list[dict[str, Any]] = []
            os.kill(worker, signal.SIGSTOP)
            try:
                deadline = time.monotonic() + 120
                while True:
                    assert time.monotonic() < deadline, f"ingest never held:\n{stack.terminal()}"
                    batch = [posted_mention(f"{brand} still queued {len(accepted) + i}") for i in range(20)]
                    response = await client.post("/api/v1/mentions", json=batch, timeout=45)
                    if response.status_code == 202:
                        accepted += batch
                        continue
                    assert response.status_code == 503, response.text
                    assert "pipeline is" in response.text and "behind" in response.text, response.text
                    assert response.headers.get("retry-after"), response.headers
                    break
                partition, held_at = await busiest_raw_partition(stack)
                assert held_at >= 2 * ROTATE_AT_RECORDS
                # While held, posts are refused and the partitions stop growing.
                for _ in range(8):
                    refused = await client.post("/api/v1/mentions", json=[posted_mention(f"{brand} more")])
                    assert refused.status_code == 503, refused.text
                    await asyncio.sleep(0.25)
                assert await busiest_raw_partition(stack) == (partition, held_at)
                assert "ingest held: the pipeline is" in stack.terminal()
            finally:
                os.kill(worker, signal.SIGCONT)
            # The worker catches up, the broker is renewed, ingest resumes.
            more = [posted_mention(f"{brand} after the catch-up {i}") for i in range(5)]
            await post_until_accepted(client, more)

            async def renewed() -> bool:
                return "renewed the embedded broker" in stack.terminal()

            await wait_for(renewed, timeout_s=60)
            print(f"\n{len(accepted)} mentions accepted before the hold, at {held_at} records in {partition}")
            print(stack.terminal())
            await wait_total(client, watchlist, len(accepted) + len(more), timeout_s=120)


async def test_a_restart_of_vigie_run_keeps_totals_sparklines_and_history(tmp_path: Path) -> None:
    stack: Stack = await asyncio.to_thread(start_stack, tmp_path)
    try:
        async with stack.http() as client:
            brand = unique("longhaul")
            watchlist = (await create_watchlist(client, name=brand, keywords=[brand]))["id"]
            posts = [
                posted_mention(f"{brand} lost my bag again, awful", minutes_ago=m % 20) for m in range(30)
            ]
            assert (await client.post("/api/v1/mentions", json=posts)).status_code == 202
            await wait_total(client, watchlist, len(posts))
            before = (await client.get(f"/api/v1/watchlists/{watchlist}/metrics")).json()
            await wait_history_count(client, watchlist, len(posts))
        await asyncio.to_thread(stack.stop)

        stack = await asyncio.to_thread(start_stack, tmp_path)
        async with stack.http() as client:
            await wait_total(client, watchlist, len(posts))
            after = (await client.get(f"/api/v1/watchlists/{watchlist}/metrics")).json()
            assert after["windows"]["60m"]["count"] == before["windows"]["60m"]["count"] == len(posts)
            assert after["windows"]["60m"]["neg"] == before["windows"]["60m"]["neg"]
            # The sparkline: the same counts per minute, the newer series shifted by the minutes passed.
            shift = (after["series"]["start_ts"] - before["series"]["start_ts"]) // 60
            assert (
                after["series"]["count"][: len(after["series"]["count"]) - shift]
                == before["series"]["count"][shift:]
            )
            assert await history_total(client, watchlist) == len(posts)
            # And the live windows go on from there.
            more = [posted_mention(f"{brand} found it, thanks") for _ in range(4)]
            assert (await client.post("/api/v1/mentions", json=more)).status_code == 202
            await wait_total(client, watchlist, len(posts) + len(more))
    finally:
        await asyncio.to_thread(stack.stop)
