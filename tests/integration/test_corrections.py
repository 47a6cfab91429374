"""People correct the machine, end to end on the real stack: a correction through the api moves the
watchlist's counts (REST metrics, the wall's websocket, the history), is shown in search and export with who
made it, and `vigie corrections export` writes it where training reads it."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys
from typing import Any

import httpx
import orjson
import websockets

from services.archive.store import Archive
from services.settings import Settings
from services.understanding.corrections import CorrectionStore
from services.understanding.sentiment.corrections import read_folder
from tests.conftest import create_watchlist, metrics, posted_mention, unique, wait_for, wait_total
from tests.stack import Stack

LABEL_COUNTS = ("pos", "neu", "neg")


def hour_counts(figures: dict[str, Any]) -> dict[str, int]:
    return {label: int(figures["windows"]["60m"][label]) for label in LABEL_COUNTS}


async def archived_item(client: httpx.AsyncClient, brand: str, mention_id: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        page = (await client.get("/api/v1/mentions/search", params={"q": brand})).json()
        return next((item for item in page["items"] if item["id"] == mention_id), None)

    item: dict[str, Any] = await wait_for(found, timeout_s=60)
    return item


async def history_counts(client: httpx.AsyncClient, watchlist: str) -> dict[str, int]:
    response = await client.get(f"/api/v1/watchlists/{watchlist}/history", params={"step": 3600})
    assert response.status_code == 200, response.text
    totals = response.json()["totals"]
    return {label: int(totals[label]) for label in LABEL_COUNTS}


async def test_a_correction_moves_the_counts_and_is_shown_exported_and_trainable(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    brand = unique("corr").replace("-", "")
    watchlist = (await create_watchlist(client, name=brand, keywords=[brand]))["id"]
    mention = posted_mention(f"@{brand} still on hold after 2 hours", minutes_ago=1, lang="en")
    response = await client.post("/api/v1/mentions", json=[mention])
    assert response.status_code == 202, response.text
    await wait_total(client, watchlist, 1)
    item = await archived_item(client, brand, mention["id"])
    model_label = item["sentiment"]["label"]
    wanted = "pos" if model_label == "neg" else "neg"  # whatever the model said, people say otherwise
    before = hour_counts(await metrics(client, watchlist))
    assert before[model_label] == 1 and before[wanted] == 0

    async with websockets.connect(stack.ws_url) as wall:
        await wall.recv()  # the snapshot
        answer = await client.post(
            f"/api/v1/mentions/{mention['id']}/sentiment", json={"sentiment": wanted, "note": "ana"}
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["correction"]["from"] == model_label and body["correction"]["to"] == wanted
        assert body["correction"]["by"] == "tests admin" and body["correction"]["note"] == "ana"
        assert body["mention"]["sentiment"]["label"] == wanted and body["published"] is True

        seen: dict[str, Any] = {}
        while not (seen.get("correction") and seen.get("metrics")):  # what the wall is told
            message = orjson.loads(await asyncio.wait_for(wall.recv(), timeout=30))
            if message["type"] == "correction" and message["mention"] == mention["id"]:
                seen["correction"] = message
            is_ours = message["type"] == "metrics" and message["watchlist"] == watchlist
            if is_ours and hour_counts(message)[wanted] == 1:
                seen["metrics"] = message
        assert seen["correction"]["sentiment"]["label"] == wanted
        assert hour_counts(seen["metrics"]) == {**before, model_label: 0, wanted: 1}
        assert seen["metrics"]["windows"]["60m"]["count"] == 1  # moved, not added

    async with websockets.connect(stack.ws_url) as late_wall:  # a wall that opens now sees people's label
        snapshot = orjson.loads(await asyncio.wait_for(late_wall.recv(), timeout=30))
    ticker = {str(m["id"]): m for m in snapshot["mentions"]}
    assert ticker[mention["id"]]["sentiment"]["label"] == wanted
    after = hour_counts(await metrics(client, watchlist))
    assert after == {**before, model_label: 0, wanted: 1}
    await wait_for(lambda: _history_moved(client, watchlist, wanted), timeout_s=20)

    shown = await archived_item(client, brand, mention["id"])
    assert shown["sentiment"]["label"] == wanted
    assert shown["sentiment"]["correction"]["model_label"] == model_label
    assert shown["sentiment"]["correction"]["by"] == "tests admin"
    filtered = (await client.get("/api/v1/mentions/search", params={"q": brand, "sentiment": wanted})).json()
    assert [i["id"] for i in filtered["items"]] == [mention["id"]]
    exported = await client.get("/api/v1/mentions/export", params={"q": brand, "format": "csv"})
    (row,) = list(csv.DictReader(io.StringIO(exported.text)))
    assert (row["sentiment"], row["model_sentiment"], row["corrected_by"]) == (
        wanted,
        model_label,
        "tests admin",
    )

    # A second correction moves from the corrected label, and resending changes nothing more.
    again = await client.post(f"/api/v1/mentions/{mention['id']}/sentiment", json={"sentiment": "neu"})
    assert again.json()["correction"]["from"] == wanted
    same = await client.post(f"/api/v1/mentions/{mention['id']}/sentiment", json={"sentiment": "neu"})
    assert same.status_code == 200 and same.json()["correction"] is None

    async def moved_to_neutral() -> bool:
        return hour_counts(await metrics(client, watchlist)) == {**before, model_label: 0, "neu": 1}

    await wait_for(moved_to_neutral, timeout_s=20)
    await asyncio.sleep(1.0)
    assert hour_counts(await metrics(client, watchlist)) == {**before, model_label: 0, "neu": 1}
    listed = (await client.get(f"/api/v1/mentions/{mention['id']}/corrections")).json()["items"]
    assert [(c["from"], c["to"]) for c in listed] == [(model_label, wanted), (wanted, "neu")]

    folder = stack.data_dir / "corrections-export"
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.runtime.cli", "corrections", "export", "--output", str(folder)],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    english = {split.lang: split for split in read_folder(folder)}["en"]
    trained = dict(zip(english.texts, english.labels, strict=True))
    masked = next(text for text in trained if "still on hold after 2 hours" in text)
    assert brand not in masked and trained[masked] == 1  # neutral, the brand masked as before scoring


async def _history_moved(client: httpx.AsyncClient, watchlist: str, wanted: str) -> bool:
    return (await history_counts(client, watchlist))[wanted] == 1


async def test_corrections_refuse_what_they_cannot_do(stack: Stack, client: httpx.AsyncClient) -> None:
    unknown = await client.post("/api/v1/mentions/no-such-mention/sentiment", json={"sentiment": "neg"})
    assert unknown.status_code == 404 and unknown.json()["detail"][0]["field"] == "id"
    bad = await client.post("/api/v1/mentions/no-such-mention/sentiment", json={"sentiment": "negative"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "sentiment"
    extra = await client.post("/api/v1/mentions/x/sentiment", json={"sentiment": "neg", "by": "me"})
    assert extra.status_code == 422 and "`by`" in extra.json()["detail"][0]["error"]  # no name of choice
    async with httpx.AsyncClient(base_url=stack.base_url) as wall:
        refused = await wall.post(
            "/api/v1/mentions/x/sentiment",
            json={"sentiment": "neg"},
            headers={"Authorization": f"Bearer {stack.display_token}"},
        )
    assert refused.status_code == 403 and "operate" in refused.text


async def test_a_correction_whose_publish_was_lost_is_sent_again(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    """An api that stopped between the database's commit and the broker's acknowledgement left the
    correction unpublished: a running api sends it within seconds, and the counts move."""
    brand = unique("lost").replace("-", "")
    watchlist = (await create_watchlist(client, name=brand, keywords=[brand]))["id"]
    mention = posted_mention(f"{brand} flight on time, crew polite", minutes_ago=1, lang="en")
    assert (await client.post("/api/v1/mentions", json=[mention])).status_code == 202
    await wait_total(client, watchlist, 1)
    model_label = (await archived_item(client, brand, mention["id"]))["sentiment"]["label"]
    wanted = "pos" if model_label == "neg" else "neg"

    def commit_without_publishing() -> None:
        settings = Settings(_env_file=None, data_dir=stack.data_dir)  # the stack's database
        archive = Archive(settings.db_url)
        try:
            CorrectionStore(archive, grace_s=settings.window_grace_s).correct(
                mention["id"], wanted, by="gone api"
            )
        finally:
            archive.close()

    await asyncio.to_thread(commit_without_publishing)

    async def moved() -> bool:
        counts = hour_counts(await metrics(client, watchlist))
        return counts[wanted] == 1 and counts[model_label] == 0

    await wait_for(moved, timeout_s=30)
