"""One request must not stall the api, nor answer without bound: a body of millions of tiny items is parsed
away from the event loop and refused by its item count, error bodies list the first refusals only, and a
body of a type the route does not read is refused with 415."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import orjson

from api.routes.mentions import MAX_LISTED_REFUSALS
from services.ingest.body import MAX_ITEMS
from tests.conftest import create_watchlist, posted_mention, unique, wait_total
from tests.stack import Stack


async def test_healthz_answers_while_an_8_mb_body_of_tiny_items_is_parsed(stack: Stack) -> None:
    body = b"[" + b",".join([b"{}"] * 2_700_000) + b"]"  # 8.1 MB, under the 8 MiB limit
    assert len(body) < 8 * 1024 * 1024
    uploaded = asyncio.Event()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1 << 20):
            yield body[start : start + (1 << 20)]
        uploaded.set()

    async with stack.http() as big_client, stack.http() as health_client:
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        big = asyncio.create_task(
            big_client.post("/api/v1/mentions", content=chunks(), headers=headers, timeout=120)
        )
        await uploaded.wait()
        await asyncio.sleep(0.05)  # the last chunk on its way: the server is reading, then parsing
        health = await health_client.get("/healthz", timeout=30)
        assert health.status_code == 200
        assert not big.done(), "/healthz answered only once the big request was over"
        refused = await big
    assert refused.status_code == 413, refused.text[:300]
    [problem] = refused.json()["detail"]
    assert problem == {
        "field": "body",
        "error": (
            f"expected at most {MAX_ITEMS} mentions in one request, got 2700000; "
            "send them in several requests"
        ),
    }
    assert len(refused.content) < 1000


async def test_the_error_body_lists_the_first_refusals_and_counts_them_all(client: httpx.AsyncClient) -> None:
    brand = unique("bounded")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    items = [{"text": "", "author": {"handle": "a"}}] * (MAX_ITEMS - 1) + [posted_mention(f"{brand} fine")]
    response = await client.post("/api/v1/mentions", json=items, timeout=60)
    assert response.status_code == 422
    answer = response.json()
    assert answer["accepted"] == 1
    assert answer["refused_total"] == MAX_ITEMS - 1
    assert [r["index"] for r in answer["refused"]] == list(range(MAX_LISTED_REFUSALS))
    assert {r["field"] for r in answer["refused"]} == {"text"}
    assert len(response.content) < 20_000
    await wait_total(client, watchlist["id"], 1)


async def test_one_item_more_than_a_request_may_carry_is_refused_whole(client: httpx.AsyncClient) -> None:
    items = [posted_mention("over the limit")] * (MAX_ITEMS + 1)
    response = await client.post("/api/v1/mentions", json=items, timeout=60)
    assert response.status_code == 413
    assert response.json()["detail"][0]["error"].startswith(
        f"expected at most {MAX_ITEMS} mentions in one request, got {MAX_ITEMS + 1}"
    )
    ndjson = b"\n".join(orjson.dumps(item) for item in items)
    response = await client.post(
        "/api/v1/mentions", content=ndjson, headers={"Content-Type": "application/x-ndjson"}, timeout=60
    )
    assert response.status_code == 413


async def test_a_body_of_another_type_is_refused_with_415_naming_what_was_expected(
    client: httpx.AsyncClient,
) -> None:
    brand = unique("typed")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    mention = orjson.dumps(posted_mention(f"{brand} typed"))
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ):
        refused = await client.post(
            "/api/v1/mentions", content=mention, headers={"Content-Type": content_type}
        )
        assert refused.status_code == 415, content_type
        assert refused.json()["detail"] == [
            {
                "field": "content-type",
                "error": f"expected a body of type application/json or application/x-ndjson, "
                f"got {content_type.split(';')[0]!r}",
            }
        ]
    ndjson = {"Content-Type": "application/x-ndjson"}
    watchlist_body = orjson.dumps({"name": unique("w"), "keywords": ["x"]})
    refused = await client.post("/api/v1/watchlists", content=watchlist_body, headers=ndjson)
    assert refused.status_code == 415
    assert (
        refused.json()["detail"][0]["error"]
        == "expected a body of type application/json, got 'application/x-ndjson'"
    )
    # What the routes read still goes through: JSON with a charset, NDJSON to ingest, and no type at all.
    json_utf8 = {"Content-Type": "application/json; charset=utf-8"}
    assert (await client.post("/api/v1/mentions", content=mention, headers=json_utf8)).status_code == 202
    lines = orjson.dumps(posted_mention(f"{brand} a")) + b"\n" + orjson.dumps(posted_mention(f"{brand} b"))
    assert (await client.post("/api/v1/mentions", content=lines, headers=ndjson)).status_code == 202
    untyped = orjson.dumps(posted_mention(f"{brand} untyped"))
    assert (await client.post("/api/v1/mentions", content=untyped)).status_code == 202
    await wait_total(client, watchlist["id"], 4)
