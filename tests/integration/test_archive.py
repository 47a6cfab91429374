"""The archive end to end on the real stack: mentions posted to the api are enriched by the worker, kept
by `vigie archiver`, found by search with the watchlist query language and filters, and exported."""

from __future__ import annotations

import csv
import io
import os
import signal
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.conftest import create_watchlist, posted_mention, unique, wait_for
from tests.stack import Stack, stack_child


async def search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/mentions/search", params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_posted_mentions_are_archived_searched_and_exported(client: httpx.AsyncClient) -> None:
    brand = unique("arch").replace("-", "")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    posted = [
        posted_mention(f"{brand} lost my luggage again #fail", minutes_ago=3, lang="en"),
        posted_mention(f"{brand}: merci pour le surclassement, équipage adorable", minutes_ago=2, lang="fr"),
        posted_mention(f"My luggage and {brand}, lost in Lisbon", minutes_ago=1, lang="en"),
        posted_mention(f'{brand} "lost luggage" desk closed', minutes_ago=4, lang="en"),
    ]
    posted[2]["author"]["followers"] = 90_000
    too_old = posted_mention(f"{brand} from last season", minutes_ago=60 * 24 * 40)  # VIGIE_ARCHIVE_DAYS=30
    response = await client.post("/api/v1/mentions", json=[too_old, *posted])
    assert response.status_code == 202, response.text

    async def all_archived() -> dict[str, Any] | None:
        page = await search(client, q=brand, limit=10)
        return page if len(page["items"]) == len(posted) else None

    page = await wait_for(all_archived, timeout_s=60)
    assert [item["id"] for item in page["items"]] == [posted[i]["id"] for i in (2, 1, 0, 3)]  # newest first
    first = page["items"][0]
    assert first["watchlists"] == [watchlist["id"]] and first["reach"] == 90_000
    assert first["author"]["handle"] == posted[2]["author"]["handle"]
    assert first["sentiment"]["label"] in ("pos", "neu", "neg")

    phrase = await search(client, q=f'{brand} AND "lost luggage"')
    assert [item["id"] for item in phrase["items"]] == [posted[3]["id"]]
    by_reach = await search(client, q=f"{brand} lost*", sort="reach", limit=1)
    assert by_reach["items"][0]["id"] == posted[2]["id"] and by_reach["next_cursor"]
    rest = await search(client, q=f"{brand} lost*", sort="reach", limit=5, cursor=by_reach["next_cursor"])
    assert {item["id"] for item in rest["items"]} == {posted[0]["id"], posted[3]["id"]}
    assert rest["next_cursor"] is None
    french = await search(client, watchlist=watchlist["id"], lang="fr")
    assert [item["id"] for item in french["items"]] == [posted[1]["id"]]
    tagged = await search(client, q="#fail", author=posted[0]["author"]["handle"])
    assert [item["id"] for item in tagged["items"]] == [posted[0]["id"]]

    exported = await client.get("/api/v1/mentions/export", params={"q": brand, "format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["id"] for row in rows] == [posted[i]["id"] for i in (2, 1, 0, 3)]
    assert rows[1]["text"] == posted[1]["text"] and rows[1]["lang"] == "fr"

    lines = await client.get(
        "/api/v1/mentions/export", params={"q": brand, "format": "ndjson", "sort": "reach"}
    )
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    items = [orjson.loads(line) for line in lines.text.splitlines()]
    assert items[0]["id"] == posted[2]["id"] and len(items) == len(posted)


async def test_search_says_how_current_the_archive_is(client: httpx.AsyncClient) -> None:
    """An operator searching in a spike must know whether the newest mentions can be in the results: search
    says up to when the archive is complete, and it moves past what was just posted once that is archived."""
    brand = unique("fresh").replace("-", "")
    await create_watchlist(client, name=brand, keywords=[brand])
    posted_at = time.time()
    response = await client.post("/api/v1/mentions", json=[posted_mention(f"{brand} just now")])
    assert response.status_code == 202

    async def complete_past_the_post() -> dict[str, Any] | None:
        page = await search(client, q=brand)
        archive = page["archive"]
        if archive is None or datetime.fromisoformat(archive["complete_until"]).timestamp() < posted_at:
            return None
        return page

    page = await wait_for(complete_past_the_post, timeout_s=60)
    assert len(page["items"]) == 1  # complete past the post: the post is there
    assert page["archive"]["stale"] is False and page["archive"]["behind_s"] < 60


async def test_bad_search_parameters_are_refused_naming_the_field(client: httpx.AsyncClient) -> None:
    cases = [
        ({"q": "aerolis AND"}, "q"),
        ({"sentiment": "furious"}, "sentiment"),
        ({"lang": "klingon"}, "lang"),
        ({"sort": "random"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-12-06T10:00:00Z", "to": "2026-12-06T09:00:00Z"}, "to"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ]
    for params, field in cases:
        response = await client.get("/api/v1/mentions/search", params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["detail"][0]["field"] == field, (params, response.text)
    query = (await client.get("/api/v1/mentions/search", params={"q": "aerolis AND"})).json()["detail"][0]
    assert query["position"] == 11 and "term" in query["expected"]
    export = await client.get("/api/v1/mentions/export", params={"format": "xlsx"})
    assert export.status_code == 422 and export.json()["detail"][0]["field"] == "format"


async def test_a_killed_archiver_loses_nothing_and_archives_nothing_twice(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    brand = unique("kill").replace("-", "")
    await create_watchlist(client, name=brand, keywords=[brand])
    first = [posted_mention(f"{brand} first wave {i}") for i in range(150)]
    assert (await client.post("/api/v1/mentions", json=first)).status_code == 202
    os.kill(
        stack_child(stack, "services.runtime.cli", "archiver"), signal.SIGKILL
    )  # the supervisor restarts it
    second = [posted_mention(f"{brand} second wave {i}") for i in range(150)]
    assert (await client.post("/api/v1/mentions", json=second)).status_code == 202

    async def exported_ids() -> list[str] | None:
        response = await client.get("/api/v1/mentions/export", params={"q": brand, "format": "ndjson"})
        ids = [orjson.loads(line)["id"] for line in response.text.splitlines()]
        return ids if len(ids) >= len(first) + len(second) else None

    ids = await wait_for(exported_ids, timeout_s=90)
    assert sorted(ids) == sorted(m["id"] for m in first + second)


def test_the_archiver_gives_way_to_the_walls_path(stack: Stack) -> None:
    """In a spike that fills the cores, the api and the workers go first: the archiver runs niced (10 by
    default) and catches up behind them."""

    def niceness(pid: int) -> int:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])

    assert niceness(stack_child(stack, "services.runtime.cli", "archiver")) == 10
    assert niceness(stack_child(stack, "services.runtime.cli", "api")) == 0
    assert niceness(stack_child(stack, "services.runtime.cli", "worker")) == 0
