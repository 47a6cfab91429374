"""A crowd of single-mention POSTs arriving together costs the worker fewer raw records than requests (the api
gathers them for VIGIE_INGEST_LINGER_MS), and every mention is still counted exactly once; while `vigie run`
holds ingest to renew the broker, each of the waiting requests is refused with Retry-After, none counted."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.ingest.records import parse_mention
from services.runtime.hold import IngestHold
from services.runtime.kafka import HOLD_SLICE_MENTIONS, RAW, MentionPublisher, exact_end_offsets
from services.settings import Settings
from tests.conftest import create_watchlist, posted_mention, unique, wait_for, wait_total
from tests.stack import Stack

#: Within the ingest burst a key may send at once (VIGIE_INGEST_BURST, 200).
REQUESTS = 120


async def raw_records_with(stack: Stack, ids: set[str]) -> list[list[str]]:
    """The raw records carrying any of these mention ids, each as the ids it carries (waiting for all)."""
    found: list[list[str]] = []
    topic = Settings.model_validate({"kafka_bootstrap": stack.bootstrap}).topic(RAW)
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # fetches the metadata partitions_for_topic reads
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        assert partitions, f"no partitions of {topic}"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)

        async def all_found() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    value: Any = orjson.loads(record.value or b"{}")
                    items = value.get("mentions", [value]) if isinstance(value, dict) else value
                    carried = [item.get("id") for item in items if item.get("id") in ids]
                    if carried:
                        found.append(carried)
            return sum(len(carried) for carried in found) >= len(ids)

        await wait_for(all_found, timeout_s=60)
    finally:
        await consumer.stop()
    return found


async def test_concurrent_single_mention_posts_share_raw_records_and_each_mention_counts_once(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    brand = unique("crowd")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    mentions = [posted_mention(f"{brand} says hello, number {i}") for i in range(REQUESTS)]
    # Each its own connection, all at once: a crowd of sources, not one client's queue.
    limits = httpx.Limits(max_connections=REQUESTS)
    async with httpx.AsyncClient(base_url=stack.base_url, headers=stack.headers, limits=limits) as crowd:
        answers = await asyncio.gather(*(crowd.post("/api/v1/mentions", json=m) for m in mentions))
    assert [(a.status_code, a.json()) for a in answers] == [(202, {"accepted": 1, "refused": []})] * REQUESTS

    records = await raw_records_with(stack, {m["id"] for m in mentions})
    carried = Counter(mention_id for ids in records for mention_id in ids)
    print(f"\n{REQUESTS} single-mention POSTs -> {len(records)} raw records")
    assert set(carried) == {m["id"] for m in mentions}
    assert set(carried.values()) == {1}  # each published once
    assert len(records) < REQUESTS / 2
    await wait_total(client, watchlist["id"], REQUESTS)


async def test_while_ingest_is_held_every_waiting_request_is_refused_with_retry_after_and_none_is_counted(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    brand = unique("held")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    mentions = [posted_mention(f"{brand} during a renewal, number {i}") for i in range(20)]
    hold = IngestHold(stack.data_dir)  # what `vigie run` writes while it renews the embedded broker
    limits = httpx.Limits(max_connections=len(mentions))
    async with httpx.AsyncClient(base_url=stack.base_url, headers=stack.headers, limits=limits) as crowd:
        hold.hold("a test renews the broker")
        try:
            held = await asyncio.gather(*(crowd.post("/api/v1/mentions", json=m) for m in mentions))
        finally:
            hold.release()
        assert {a.status_code for a in held} == {503}, [a.text for a in held]
        assert all(a.headers.get("retry-after") for a in held)
        assert all("a test renews the broker" in a.text and "send it again" in a.text for a in held)
        sent_again = await asyncio.gather(*(crowd.post("/api/v1/mentions", json=m) for m in mentions))
    assert {a.status_code for a in sent_again} == {202}
    await wait_total(client, watchlist["id"], len(mentions))


async def test_a_source_catching_up_after_a_hold_is_stopped_between_slices_by_the_next_hold(
    stack: Stack, tmp_path: Path
) -> None:
    """A source that waited out a hold sends its backlog a slice at a time: a hold that begins meanwhile
    (the pipeline behind again) stops it at the next slice, so the partitions stop growing then, not after
    the whole backlog."""
    topic = unique("catching-up")
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    hold = IngestHold(tmp_path)  # this test's own, not the stack's: its api goes on taking mentions
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap)
    await producer.start()
    probe = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap)
    await probe.start()
    partition = TopicPartition(topic, 0)

    async def on_broker() -> int:
        # The embedded broker's reported end offsets can fall short: counted exactly.
        reported = await probe.end_offsets([partition])
        return int((await exact_end_offsets(stack.bootstrap, reported))[partition])

    backlog = [
        parse_mention({"id": unique("b"), "text": "backlog", "author": {"handle": "a"}})
        for _ in range(10 * HOLD_SLICE_MENTIONS)
    ]
    try:
        publisher = MentionPublisher(producer, topic, batch_max=1, hold=hold)
        sending = asyncio.create_task(publisher.publish(backlog))
        await wait_for(on_broker, timeout_s=30, interval_s=0.01)
        hold.hold("the pipeline is behind again")
        # The slice under way when the hold began is finished; nothing after it is sent.
        readings = [await on_broker()]

        async def settled() -> bool:  # the slice under way has been acknowledged
            await asyncio.sleep(0.5)
            readings.append(await on_broker())
            return readings[-1] == readings[-2]

        await wait_for(settled, timeout_s=30)
        stopped_at = readings[-1]
        assert not sending.done()
        assert stopped_at % HOLD_SLICE_MENTIONS == 0 and stopped_at < len(backlog), stopped_at
        await asyncio.sleep(1.0)  # an absence: nothing more arrives while held
        assert await on_broker() == stopped_at
        hold.release()
        assert await asyncio.wait_for(sending, timeout=60) == len(backlog)
        assert await on_broker() == len(backlog)
    finally:
        hold.release()
        await probe.stop()
        await producer.stop()
