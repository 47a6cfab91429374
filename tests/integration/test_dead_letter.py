"""Oversized raw records on the real broker: dead-lettered whole with their reason, never processed, and the
stream goes on (malformed ones: tests/integration/test_spine.py)."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.ingest.records import MAX_RAW_RECORD_BYTES, MAX_RAW_RECORD_MENTIONS
from tests.conftest import create_watchlist, posted_mention, unique, wait_for, wait_total
from tests.stack import Stack

RAW, DLQ = "vigie.mentions.raw", "vigie.mentions.dlq"


async def dead_letters_with(stack: Stack, markers: list[str]) -> dict[str, dict[str, Any]]:
    """The dead letter whose payload shows each marker (waiting until every one has arrived)."""
    found: dict[str, dict[str, Any]] = {}
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(DLQ, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)

        async def all_found() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    dead = orjson.loads(record.value or b"{}")
                    found.update({m: dead for m in markers if m in dead.get("payload", "")})
            return len(found) == len(markers)

        await wait_for(all_found, timeout_s=60)
    finally:
        await consumer.stop()
    return found


async def test_oversized_raw_records_are_dead_lettered_with_a_reason_and_the_stream_goes_on(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    brand = unique("huge")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    too_large_marker, too_many_marker = unique("too-large"), unique("too-many")
    # Valid mentions about the brand: were either record processed, the watchlist would count them.
    text = f"{brand} {too_large_marker} " + "x" * 9000
    per_record = MAX_RAW_RECORD_BYTES // 9000 + 1
    too_large = orjson.dumps({"v": 1, "mentions": [posted_mention(text) for _ in range(per_record)]})
    assert len(too_large) > MAX_RAW_RECORD_BYTES
    small = [{"text": f"{brand} {i}", "author": {"handle": "a"}} for i in range(MAX_RAW_RECORD_MENTIONS + 1)]
    small[0]["id"] = too_many_marker
    too_many = orjson.dumps({"v": 1, "mentions": small})
    assert len(too_many) <= MAX_RAW_RECORD_BYTES
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, max_request_size=2 * len(too_large))
    await producer.start()
    try:
        await producer.send_and_wait(RAW, too_large, partition=0)
        await producer.send_and_wait(RAW, too_many, partition=0)
    finally:
        await producer.stop()
    posted = await client.post("/api/v1/mentions", json=posted_mention(f"{brand} after the big ones"))
    assert posted.status_code == 202, posted.text

    dead = await dead_letters_with(stack, [too_large_marker, too_many_marker])
    assert dead[too_large_marker]["field"] == "record"
    assert dead[too_large_marker]["reason"] == (
        f"expected a record of at most {MAX_RAW_RECORD_BYTES} bytes, got {len(too_large)} bytes"
    )
    assert dead[too_many_marker]["field"] == "mentions"
    limit = MAX_RAW_RECORD_MENTIONS
    assert dead[too_many_marker]["reason"] == (
        f"expected at most {limit} mentions in one record, got {limit + 1}"
    )
    assert {d["topic"] for d in dead.values()} == {RAW}
    await wait_total(client, watchlist["id"], 1)
