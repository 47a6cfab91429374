"""Swarms, influencers and coordination end to end: HTTP in, the insights agent, REST and websocket out."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import websockets

from tests.conftest import create_watchlist, metrics, unique, wait_for
from tests.stack import Stack

CAMPAIGN = "Everyone needs to know what {brand} is doing to its customers, zero refunds and zero answers"
BIG = "metrocourier_reporter"


def post(text: str, handle: str, followers: int, **author: Any) -> dict[str, Any]:
    return {
        "id": unique("m"),
        "text": text,
        "author": {"handle": handle, "followers": followers, **author},
        "created_at": datetime.now(UTC).isoformat(),
        "engagement": {"likes": 500 if followers > 1_000_000 else 1},
    }


def planted(brand: str, tags: list[str]) -> list[dict[str, Any]]:
    """About `brand`: 25 people using the new tags together, 10 tiny accounts posting one text, a reporter
    with a large audience; around them 200 people using other tags (swarms are told from chance)."""
    rng = random.Random(7)
    suffix = uuid.uuid4().hex[:6]
    swarm = [
        post(
            f"what is going on with {brand} " + " ".join(f"#{t}" for t in rng.sample(tags, 3)),
            f"fan{k}_{suffix}",
            300,
        )
        for k in range(25)
        for _ in range(2)
    ]
    campaign = [
        post(CAMPAIGN.format(brand=brand) + rng.choice(["", " 😡", " Never again."]), f"c{k}_{suffix}", 2)
        for k in range(10)
    ]
    reporter = [post(f"{brand} answers questions today", BIG, 2_000_000, bio="Reporter, Metro Courier")]
    background = [post(f"#misc{i % 40}{suffix} {brand} nice day", f"bg{i}_{suffix}", 150) for i in range(200)]
    return background + swarm + campaign + reporter


async def test_a_planted_swarm_campaign_and_reporter_show_up_live(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    brand = unique("ins")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    watchlist_id = watchlist["id"]
    tags = [f"w{uuid.uuid4().hex[:8]}{k}" for k in range(4)]
    mentions = planted(brand, tags)
    about_brand = sum(1 for m in mentions if brand in m["text"])
    async with websockets.connect(stack.ws_url) as socket:
        snapshot = orjson.loads(await socket.recv())
        assert snapshot["type"] == "snapshot"
        assert {"swarms", "coordination", "influencers"} <= set(snapshot)
        response = await client.post("/api/v1/mentions", json=mentions)
        assert response.status_code == 202, response.text

        swarm_message = None
        while swarm_message is None:
            message = orjson.loads(await asyncio.wait_for(socket.recv(), timeout=60))
            if message["type"] == "swarms" and any(set(tags) <= set(s["tags"]) for s in message["items"]):
                swarm_message = message

    async def swarm_complete() -> list[dict[str, Any]]:
        """The swarm once every planted post has been seen (the first listing may predate the last ones)."""
        answer = await client.get("/api/v1/swarms", params={"watchlist": watchlist_id})
        assert answer.status_code == 200, answer.text
        ours = [s for s in answer.json()["items"] if set(tags) <= set(s["tags"])]
        assert len(ours) <= 1, ours
        return ours if ours and ours[0]["authors"] >= 25 else []

    [swarm] = await wait_for(swarm_complete)
    assert swarm["watchlists"][watchlist_id] >= 1

    async def cluster_listed() -> list[dict[str, Any]]:
        answer = await client.get("/api/v1/coordination", params={"watchlist": watchlist_id})
        assert answer.status_code == 200, answer.text
        return list(answer.json()["clusters"])

    [cluster] = await wait_for(cluster_listed)
    assert cluster["account_count"] == 10
    assert all(handle.startswith("c") for handle in cluster["accounts"])

    async def campaign_alerted() -> list[dict[str, Any]]:
        params = {"watchlist": watchlist_id, "rule": "coordination"}
        return list((await client.get("/api/v1/alerts", params=params)).json())

    [alert] = await wait_for(campaign_alerted)
    assert alert["status"] == "firing" and alert["subject"] == cluster["id"]

    async def board() -> list[dict[str, Any]]:
        answer = await client.get(f"/api/v1/watchlists/{watchlist_id}/influencers", params={"limit": 5})
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    rows = await wait_for(board)
    assert len(rows) == 5
    assert rows[0]["handle"] == BIG and rows[0]["rank"] == 1 and rows[0]["journalist"]
    press = await client.get(f"/api/v1/watchlists/{watchlist_id}/influencers", params={"press": "true"})
    assert [row["handle"] for row in press.json()["items"]] == [BIG]

    async def coordinated_shown() -> dict[str, Any] | None:
        window = (await metrics(client, watchlist_id))["windows"]["15m"]
        return window if window["coordinated"] == 10 and window["count"] == about_brand else None

    window = await wait_for(coordinated_shown)
    assert window["organic"] == about_brand - 10  # counted (the default), and shown apart


async def test_insights_of_an_unknown_watchlist_are_404_and_limits_are_checked(
    client: httpx.AsyncClient,
) -> None:
    for path, params in [
        ("/api/v1/swarms", {"watchlist": "nope-not-here"}),
        ("/api/v1/coordination", {"watchlist": "nope-not-here"}),
        ("/api/v1/watchlists/nope-not-here/influencers", {}),
    ]:
        answer = await client.get(path, params=params)
        assert answer.status_code == 404, (path, answer.text)
    quiet = await create_watchlist(client, name=unique("calm"), keywords=["zzzcalm"])
    empty = await client.get(f"/api/v1/watchlists/{quiet['id']}/influencers")
    assert empty.status_code == 200 and empty.json()["items"] == []
    too_many = await client.get(f"/api/v1/watchlists/{quiet['id']}/influencers", params={"limit": 500})
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["field"] == "limit"
