"""Workers that leave, and workers killed with SIGKILL mid-replay, lose and double no mention.

Delivery is at-least-once and every effect idempotent. A raw record is enriched again after a kill when its
offset was not committed, with the dedupe memory of its partition rebuilt from the records before it, so it
keeps and drops the same mentions; the aggregate skips the partials of raw records it already applied (each
partial names its raw partition and offset, and the window state remembers them in the same changelog record
as the counts). A commit waits until every send before it was acknowledged, and a record handed to the agents
that none took in is read again (streams/transport/consumer.py). The replays send part of each chunk twice, as
a connector resuming after a drop does: every total must be the number of distinct mentions.

The stack is this module's own: the replays add 120,000 mentions to its broker and move its partitions
between workers, which other tests should not have to wait through. The kill points of the long replay
are random: the seed is printed (shown when the test fails), and VIGIE_KILL_SEED=<seed> repeats them.
When a total is wrong the failure says, per watchlist, which raw records have no partial (lost before or
in enrich), which partials came after those of later records, and the total in the aggregate's changelog.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.aggregation.aggregate import decode_partials, decode_state
from services.ingest.records import Mention, parse_mention
from services.runtime.kafka import DLQ, PARTIALS, RAW, UPDATES, MentionPublisher, make_producer
from services.settings import Settings
from tests.conftest import create_watchlist, unique, wait_for
from tests.stack import Stack, running_stack, start_role, stop_role

CHUNK = 1000
RESENT = 50
PUBLISH_BATCH = 500
#: How long a total must stay right once reached: a late replay would show as a double count.
STEADY_S = 3.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(Path(tmp_path_factory.mktemp("vigie-kill"))) as running:
        yield running


@pytest.fixture(scope="module")
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with stack.http() as http:
        yield http


def replay(brands: list[str], count: int, id_prefix: str) -> tuple[list[Mention], dict[str, int]]:
    """`count` distinct mentions, each about one of `brands` or (one in len(brands) + 1) about none."""
    start = datetime.now(UTC) - timedelta(seconds=count / 1000)
    mentions, expected = [], dict.fromkeys(brands, 0)
    for index in range(count):
        slot = index % (len(brands) + 1)
        text = f"{brands[slot]} flight {index} was fine" if slot < len(brands) else f"nothing to see {index}"
        if slot < len(brands):
            expected[brands[slot]] += 1
        created_at = (start + timedelta(milliseconds=index)).isoformat()
        mentions.append(
            parse_mention(
                {
                    "id": f"{id_prefix}-{index}",
                    "text": text,
                    "author": {"handle": f"a{index}"},
                    "created_at": created_at,
                }
            )
        )
    return mentions, expected


def chunks_of(mentions: Sequence[Mention]) -> list[list[Mention]]:
    """The replay in chunks of `CHUNK`, each followed by the first `RESENT` mentions of the chunk before it
    again, as a connector resuming after a dropped connection sends them (each is counted once)."""
    chunks = [list(mentions[i : i + CHUNK]) for i in range(0, len(mentions), CHUNK)]
    return [chunk + (chunks[n - 1][:RESENT] if n else []) for n, chunk in enumerate(chunks)]


async def wait_for_worker_with_partitions(stack: Stack, process: subprocess.Popen[bytes]) -> None:
    """Until the worker `process` says (on the updates topic) that it holds partitions of its own."""
    topic = Settings.model_validate({}).topic(UPDATES)
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        suffix = f"-{process.pid}"

        async def announced() -> bool:
            assert process.poll() is None, f"worker {process.pid} exited with {process.returncode}"
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    if record.key == b"status" and orjson.loads(record.value or b"{}")["id"].endswith(suffix):
                        return True
            return False

        await wait_for(announced, timeout_s=45)
    finally:
        await consumer.stop()


async def dead_letters_mentioning(stack: Stack, marker: str) -> int:
    """How many records of the dead-letter topic, read from its start, carry `marker` in their payload."""
    dead = await read_topic(stack, Settings.model_validate({}).topic(DLQ))
    return sum(marker.encode() in (record.value or b"") for record in dead)


async def read_topic(stack: Stack, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic`, read from its start until a fetch comes back empty."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=stack.bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        assert partitions, f"the topic {topic} has no partitions"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        found: list[ConsumerRecord[bytes, bytes]] = []
        while batch := await consumer.getmany(timeout_ms=1000):
            if not any(batch.values()):
                break
            for records in batch.values():
                found.extend(records)
        return found
    finally:
        await consumer.stop()


async def where_mentions_went(stack: Stack, brands: list[str]) -> str:
    """For a failure message, per brand: raw records mentioning it with no partial on the partials topic
    (lost in enrich); the mentions its partials count, once per raw record, and raw records whose partials
    disagree (enriched twice, differently); and the total in the aggregate table's last changelog record
    (short while the partials are right: lost in the aggregate)."""
    settings = Settings.model_validate({})
    raw = await read_topic(stack, settings.topic(RAW))
    partials = [
        partial
        for r in await read_topic(stack, settings.topic(PARTIALS))
        for partial in decode_partials(r.value)
    ]
    counted: dict[tuple[str, int, int], int] = {}
    disagreeing: set[tuple[str, int, int]] = set()
    highest: dict[tuple[str, int], int] = {}
    late: set[tuple[str, int, int]] = set()
    for partial in partials:  # a watchlist's partials share one partition: this is their order
        where = (partial.watchlist, partial.partition, partial.offset)
        count = int(sum(bucket[0] for bucket in partial.buckets.values()))
        if where not in counted and partial.offset < highest.get(where[:2], -1):
            late.add(where)
        highest[where[:2]] = max(highest.get(where[:2], -1), partial.offset)
        if counted.setdefault(where, count) != count:
            disagreeing.add(where)
    changelog = settings.topic_prefix.strip(".") + "-worker-aggregate-windows-changelog"
    tables = {r.key: r.value for r in await read_topic(stack, changelog)}
    report = []
    for brand in brands:
        about = [r for r in raw if brand.encode() in (r.value or b"")]
        missing = [(r.partition, r.offset) for r in about if (brand, r.partition, r.offset) not in counted]
        in_partials = sum(count for (w, _, _), count in counted.items() if w == brand)
        state = decode_state(tables.get(brand.encode()))
        report.append(
            f"{brand}: {len(about)} raw records mention it, {len(missing)} have no partial {missing[:10]}; "
            f"its partials count {in_partials} once per raw record, "
            f"{sorted(w[1:] for w in disagreeing if w[0] == brand)[:10]} disagree, "
            f"{sorted(w[1:] for w in late if w[0] == brand)[:10]} came first after a later one; "
            f"table total {int(state.total[0])}, applied {state.applied}"
        )
    return "\n".join(report)


async def assert_totals_settle(
    client: httpx.AsyncClient, expected: dict[str, int], stack: Stack | None = None
) -> None:
    """Every watchlist's total reaches `expected`, and is still that `STEADY_S` later."""

    async def totals() -> dict[str, int]:
        return {b: (await client.get(f"/api/v1/watchlists/{b}/metrics")).json()["total"] for b in expected}

    async def all_counted() -> bool:
        return await totals() == expected

    try:
        # Generous: a loaded machine with a worker process per core and a victim rebalances at each kill.
        await wait_for(all_counted, timeout_s=120, interval_s=0.5)
    except AssertionError:
        where = await where_mentions_went(stack, list(expected)) if stack is not None else ""
        raise AssertionError(f"totals {await totals()}, expected {expected}.\n{where}") from None
    await asyncio.sleep(STEADY_S)
    assert await totals() == expected, "a total moved after it was reached: counted twice"


async def watched_brands(client: httpx.AsyncClient, count: int) -> list[str]:
    brands = [unique("wk") for _ in range(count)]
    for brand in brands:
        await create_watchlist(client, id=brand, name=brand, keywords=[brand])
    return brands


def extra_worker(stack: Stack, tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    """One more `vigie worker` with a data directory of its own, as on another machine."""
    (tmp_path / name).mkdir(exist_ok=True)
    return start_role(
        stack,
        "worker",
        tmp_path / f"{name}.log",
        {"VIGIE_DATA_DIR": str(tmp_path / name), "VIGIE_LOG_LEVEL": "INFO"},
    )


async def test_a_worker_leaving_and_one_killed_mid_replay_lose_and_double_nothing(
    stack: Stack, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    brands = await watched_brands(client, 4)
    mentions, expected = replay(brands, 20_000, unique("leave"))
    chunks = chunks_of(mentions)
    second = extra_worker(stack, tmp_path, "second")
    third: subprocess.Popen[bytes] | None = None
    producer = make_producer(Settings.model_validate({"kafka_bootstrap": stack.bootstrap}))
    await producer.start()
    try:
        publisher = MentionPublisher(producer, Settings.model_validate({}).topic(RAW), PUBLISH_BATCH)
        await wait_for_worker_with_partitions(stack, second)

        async def publish(first: int, last: int) -> None:
            for chunk in chunks[first:last]:
                await publisher.publish(chunk)
                await asyncio.sleep(0.2)

        await publish(0, 6)
        second.send_signal(signal.SIGTERM)  # a clean leave: commits, then the others take its partitions
        await publish(6, 9)
        third = extra_worker(stack, tmp_path, "third")
        await publish(9, 12)
        await wait_for_worker_with_partitions(stack, third)
        await publish(12, 15)
        third.kill()  # no goodbye: its partitions come back after the session timeout, replayed
        await publish(15, len(chunks))
        assert second.wait(timeout=20) == 0, (tmp_path / "second.log").read_text()[-3000:]
    finally:
        await producer.stop()
        stop_role(second)
        if third is not None:
            stop_role(third)
    await assert_totals_settle(client, expected, stack)


async def test_a_worker_killed_at_random_points_of_a_long_replay_counts_every_mention_once(
    stack: Stack, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    seed = int(os.environ.get("VIGIE_KILL_SEED") or random.SystemRandom().randrange(2**32))
    print(f"kill points seed: {seed} (VIGIE_KILL_SEED={seed} repeats them)")
    rng = random.Random(seed)
    brands = await watched_brands(client, 3)
    id_prefix = unique("kill")
    mentions, expected = replay(brands, 100_000, id_prefix)
    # The first kill comes once the worker holds partitions and the replay is under way; each later one
    # a random time after the restart before it, so it may find the worker starting, joining the group,
    # restoring its table or processing.
    kill_delays_s = [rng.uniform(0.5, 3.0)] + [rng.uniform(1.0, 8.0) for _ in range(rng.randint(1, 2))]
    print(f"kills {[round(d, 2) for d in kill_delays_s]} s apart")

    worker = extra_worker(stack, tmp_path, "victim")
    producer = make_producer(Settings.model_validate({"kafka_bootstrap": stack.bootstrap}))
    await producer.start()
    try:
        publisher = MentionPublisher(producer, Settings.model_validate({}).topic(RAW), PUBLISH_BATCH)
        await wait_for_worker_with_partitions(stack, worker)

        async def publish_replay() -> None:
            for chunk in chunks_of(mentions):
                await publisher.publish(chunk)
                await asyncio.sleep(0.05)

        publishing = asyncio.create_task(publish_replay())
        for restarts, delay_s in enumerate(kill_delays_s, start=1):
            await asyncio.sleep(delay_s)
            worker.kill()
            assert worker.wait(timeout=10) == -signal.SIGKILL
            worker = extra_worker(stack, tmp_path, f"victim-{restarts}")
        await publishing
    except BaseException:
        stop_role(worker)  # a failed test leaves no worker behind
        raise
    finally:
        await producer.stop()
    try:
        await assert_totals_settle(client, expected, stack)
    finally:
        stop_role(worker)
    assert await dead_letters_mentioning(stack, id_prefix) == 0
