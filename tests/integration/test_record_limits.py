"""Every size limit agrees from ingest to the last topic, on the real stack: the largest mentions the api
accepts are all counted without crashing the worker, and what the worker's producer cannot send is
dead-lettered with the reason."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.ingest.records import (
    MAX_BIO_CHARS,
    MAX_ID_CHARS,
    MAX_LINKS,
    MAX_LIST_ITEMS,
    MAX_NAME_CHARS,
    MAX_SOURCE_CHARS,
    MAX_TAG_CHARS,
    MAX_TEXT_CHARS,
    MAX_URL_CHARS,
)
from tests.conftest import create_watchlist, posted_mention, unique, wait_total
from tests.integration.test_dead_letter import dead_letters_with
from tests.stack import Stack, running_stack

#: What `vigie run` says when a worker process (worker-1, worker-2, ...) exits.
WORKER_EXITED = re.compile(r"worker-\d+ exited")


def largest(brand: str, char: str = "x") -> dict[str, Any]:
    """A mention with every field at its bound (the text longer still: it is cut, not refused)."""
    mention = posted_mention(f"{brand} " + (char * 30 + " ") * (MAX_TEXT_CHARS // 20))
    mention["id"] = (mention["id"] + "-" + char * MAX_ID_CHARS)[:MAX_ID_CHARS]
    mention["source"] = "s" * MAX_SOURCE_CHARS
    mention["url"] = ("https://example.com/" + char * MAX_URL_CHARS)[:MAX_URL_CHARS]
    mention["author"].update(
        name=char * MAX_NAME_CHARS,
        bio=char * MAX_BIO_CHARS,
        domain=char * MAX_NAME_CHARS,
        id=char * MAX_ID_CHARS,
    )
    mention["hashtags"] = [f"{i}{char * MAX_TAG_CHARS}"[:MAX_TAG_CHARS] for i in range(MAX_LIST_ITEMS)]
    mention["mentions"] = [f"{i}{char * MAX_TAG_CHARS}"[:MAX_TAG_CHARS] for i in range(MAX_LIST_ITEMS)]
    mention["links"] = [
        f"https://example.com/{i}/{char * MAX_URL_CHARS}"[:MAX_URL_CHARS] for i in range(MAX_LINKS)
    ]
    return mention


def worker_troubles(stack: Stack) -> list[str]:
    log = stack.log_path.read_text(errors="replace")
    return [line for line in log.splitlines() if "ProducerSendError" in line or WORKER_EXITED.search(line)]


async def test_500_of_the_largest_mentions_are_all_counted_and_the_worker_does_not_crash(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    brand = unique("largest")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    mentions = [largest(brand) for _ in range(500)]
    for start in range(0, 500, 100):  # 100 a request: about 7 MB, under the 8 MiB body limit
        response = await client.post("/api/v1/mentions", json=mentions[start : start + 100], timeout=60)
        assert response.status_code == 202, response.text[:500]
        assert response.json()["accepted"] == 100
    # 35 MB of mentions, ~70 KB each enriched: dozens of records on vigie.mentions.enriched.
    await wait_total(client, watchlist["id"], 500, timeout_s=120)
    assert worker_troubles(stack) == []


@pytest.fixture(scope="module")
def small_records_stack(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A stack whose worker may send records of 64 KiB at most (a cluster with a small message.max.bytes)."""
    env = {"VIGIE_WORKER_MAX_REQUEST_BYTES": "65536"}
    with running_stack(Path(tmp_path_factory.mktemp("small-records")), extra_env=env) as running:
        yield running


async def test_an_enriched_mention_the_producer_cannot_send_is_dead_lettered_with_the_reason(
    small_records_stack: Stack,
) -> None:
    stack = small_records_stack
    async with stack.http() as client:
        brand = unique("toolarge")
        watchlist = await create_watchlist(client, name=brand, keywords=[brand])
        big = largest(brand, "é")  # two bytes a character: over 64 KiB enriched
        response = await client.post("/api/v1/mentions", json=[big, posted_mention(f"{brand} small")])
        assert response.status_code == 202, response.text[:500]
        dead = await dead_letters_with(stack, [big["id"]])
        letter = dead[big["id"]]
        assert letter["field"] == "mention"
        assert letter["topic"] == "vigie.mentions.raw"
        assert letter["reason"].startswith("expected an enriched mention of at most 64512 bytes encoded")
        assert "(the producer sends records up to 65536 bytes), got " in letter["reason"]
        # Both still count (the partial aggregates are small); the stream goes on after it.
        await client.post("/api/v1/mentions", json=posted_mention(f"{brand} after"))
        await wait_total(client, watchlist["id"], 3)
        assert worker_troubles(stack) == []
