"""The spine end to end on the real embedded broker: HTTP in, Faust agents, websocket out."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import websockets
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tests.conftest import create_watchlist, metrics, unique, wait_for, wait_history_count, wait_total
from tests.stack import Stack


def mention(mention_id: str, text: str, handle: str = "someone", **extra: Any) -> dict[str, Any]:
    return {
        "id": mention_id,
        "text": text,
        "author": {"handle": handle, "followers": 120},
        "created_at": datetime.now(UTC).isoformat(),
        **extra,
    }


async def test_posted_mentions_are_counted_once_and_pushed_to_the_wall(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    brand = unique("brand")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    async with websockets.connect(stack.ws_url) as socket:
        snapshot = orjson.loads(await socket.recv())
        assert snapshot["type"] == "snapshot"
        assert watchlist["id"] in {w["id"] for w in snapshot["watchlists"]}
        batch = [
            mention(unique("m"), f"I love {brand}, great service"),
            mention(unique("m"), f"{brand} lost my luggage, awful"),
            mention(unique("m"), f"Flying {brand} tomorrow"),
        ]
        posted_at = time.monotonic()
        response = await client.post("/api/v1/mentions", json=batch)
        assert response.status_code == 202, response.text
        assert response.json() == {"accepted": 3, "refused": []}

        update = None
        while update is None:
            message = orjson.loads(await asyncio.wait_for(socket.recv(), timeout=30))
            if (
                message["type"] == "metrics"
                and message["watchlist"] == watchlist["id"]
                and message["total"] == 3
            ):
                update = message
        delay_ms = (time.monotonic() - posted_at) * 1000
        print(f"\nPOST to websocket update: {delay_ms:.0f} ms")
        window = update["windows"]["1m"]
        assert window["count"] == 3
        assert window["pos"] >= 1 and window["neg"] >= 1
        assert window["pos"] + window["neu"] + window["neg"] == 3
        assert sum(update["series"]["count"]) == 3
    await wait_total(client, watchlist["id"], 3)


async def test_a_watchlist_deleted_and_created_again_under_its_id_starts_from_nothing(
    client: httpx.AsyncClient,
) -> None:
    brand = unique("phoenix")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    watchlist_id = watchlist["id"]
    posted = [mention(unique("m"), f"{brand} before the rename {i}") for i in range(3)]
    assert (await client.post("/api/v1/mentions", json=posted)).status_code == 202
    await wait_total(client, watchlist_id, 3)
    await wait_history_count(client, watchlist_id, 3)

    assert (await client.delete(f"/api/v1/watchlists/{watchlist_id}")).status_code == 204
    again = await client.put(f"/api/v1/watchlists/{watchlist_id}", json={"name": brand, "keywords": [brand]})
    assert again.status_code in (200, 201), again.text
    await wait_total(client, watchlist_id, 0)  # the tile starts empty, not with the old figures
    assert (
        await client.post("/api/v1/mentions", json=[mention(unique("m"), f"{brand} after")])
    ).status_code == 202
    await wait_total(client, watchlist_id, 1)
    await wait_history_count(client, watchlist_id, 1)


async def test_a_duplicate_id_is_not_counted_twice(client: httpx.AsyncClient) -> None:
    brand = unique("dup")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    first = mention(unique("m"), f"{brand} is fine")
    second = mention(unique("m"), f"{brand} again")
    response = await client.post("/api/v1/mentions", json=[first, first, second])
    assert response.status_code == 202
    retry = await client.post("/api/v1/mentions", json=[first, second])
    assert retry.status_code == 202
    await wait_total(client, watchlist["id"], 2)


async def test_a_malformed_mention_is_refused_and_the_others_are_counted(client: httpx.AsyncClient) -> None:
    brand = unique("bad")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    good = [mention(unique("m"), f"{brand} one"), mention(unique("m"), f"{brand} two")]
    bad = {"id": unique("m"), "text": f"{brand} three", "author": {"handle": "x", "followers": "many"}}
    response = await client.post("/api/v1/mentions", json=[good[0], bad, good[1]])
    assert response.status_code == 422
    body = response.json()
    assert body["accepted"] == 2
    assert body["refused"] == [
        {"index": 1, "field": "author.followers", "error": "Expected `int`, got `str`"}
    ]
    await wait_total(client, watchlist["id"], 2)


async def test_ndjson_is_accepted_and_a_bad_line_is_named(client: httpx.AsyncClient) -> None:
    brand = unique("nd")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    lines = [orjson.dumps(mention(unique("m"), f"{brand} line {i}")) for i in range(3)]
    body = b"\n".join([lines[0], b"{not json", lines[1], lines[2]]) + b"\n"
    response = await client.post(
        "/api/v1/mentions", content=body, headers={"content-type": "application/x-ndjson"}
    )
    assert response.status_code == 422
    assert response.json()["accepted"] == 3
    [refusal] = response.json()["refused"]
    assert refusal["index"] == 1 and refusal["field"] == "line"
    await wait_total(client, watchlist["id"], 3)


async def test_an_unreadable_body_is_refused_with_a_reason(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/mentions", content=b"{oops")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "body"
    empty = await client.post("/api/v1/mentions", content=b"")
    assert empty.status_code == 422


async def test_a_malformed_kafka_record_goes_to_the_dead_letter_topic_and_the_stream_goes_on(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    brand = unique("dlq")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    marker = unique("garbage").encode()
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait("vigie.mentions.raw", b"\x00not json " + marker, partition=0)
        envelope = {"v": 1, "mentions": [mention(unique("m"), f"{brand} ok"), {"text": 5, "author": {}}]}
        await producer.send_and_wait("vigie.mentions.raw", orjson.dumps(envelope), partition=0)
    finally:
        await producer.stop()
    await wait_total(client, watchlist["id"], 1)

    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        dlq = TopicPartition("vigie.mentions.dlq", 0)
        consumer.assign([dlq])
        await consumer.seek_to_beginning(dlq)
        dead: list[dict[str, Any]] = []

        async def found() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                dead.extend(orjson.loads(r.value) for r in records if r.value)
            return any(marker.decode() in d["payload"] for d in dead) and any(
                d["field"] == "text" for d in dead
            )

        await wait_for(found)
    finally:
        await consumer.stop()
    unreadable = next(d for d in dead if marker.decode() in d["payload"])
    assert unreadable["field"] == "record" and "not valid JSON" in unreadable["reason"]
    assert unreadable["topic"] == "vigie.mentions.raw" and unreadable["partition"] == 0
    invalid = next(d for d in dead if d["field"] == "text")
    assert invalid["index"] == 1 and "Expected `str`" in invalid["reason"]


async def test_metrics_of_an_unknown_watchlist_is_404_and_a_quiet_one_is_empty(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/api/v1/watchlists/nope-not-here/metrics")
    assert missing.status_code == 404
    quiet = await create_watchlist(client, name=unique("quiet"), keywords=["zzzquiet"])
    body = await metrics(client, quiet["id"])
    assert body["windows"]["5m"]["count"] == 0 and body["windows"]["5m"]["net"] is None


async def test_watchlist_validation_names_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/watchlists", json={"id": "Not A Slug!", "name": "x"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "id"
    response = await client.post("/api/v1/watchlists", json={"name": "x", "keywords": "acme"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "keywords"
    brand = unique("twice")
    await create_watchlist(client, name=brand)
    again = await client.post("/api/v1/watchlists", json={"name": brand})
    assert again.status_code == 409
