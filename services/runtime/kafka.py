"""Vigie's Kafka topics and the small aiokafka helpers every role shares (standard Kafka APIs only)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import msgspec
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError, TopicAlreadyExistsError

from services.ingest.packing import pack_array, record_budget
from services.ingest.records import (
    ENVELOPE_HEAD,
    ENVELOPE_TAIL,
    MAX_RAW_RECORD_BYTES,
    Mention,
    encode_envelope,
)
from services.runtime.hold import IngestHold
from services.runtime.murmur import murmur2
from services.settings import Settings

log = logging.getLogger(__name__)
_encode = msgspec.json.encode

RAW = "mentions.raw"
ENRICHED = "mentions.enriched"
DLQ = "mentions.dlq"
PARTIALS = "aggregates.partial"
UPDATES = "updates"
CONFIG = "config"
ALERTS = "alerts"

#: The consumer groups (Faust app ids) of the Faust stages (streams/app.py), after the topic prefix. The
#: pipeline's keeps the name it always had: its table's changelog topic is named after it.
STAGE_GROUP_SUFFIX = {"pipeline": "-worker", "insights": "-insights"}


def stage_group(topic_prefix: str, stage: str) -> str:
    """The consumer group of a Faust stage ("pipeline" or "insights")."""
    return topic_prefix.strip(".") + STAGE_GROUP_SUFFIX[stage]


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitioned: bool
    compacted: bool = False


TOPICS = (
    TopicSpec(RAW, partitioned=True),
    #: One partition: swarms need the whole stream in one place (streams/agents/insights.py).
    TopicSpec(ENRICHED, partitioned=False),
    TopicSpec(DLQ, partitioned=False),
    TopicSpec(PARTIALS, partitioned=True),
    TopicSpec(UPDATES, partitioned=True),
    TopicSpec(CONFIG, partitioned=False, compacted=True),
    TopicSpec(ALERTS, partitioned=True),
)


def partition_for(mention_id: str, partitions: int) -> int:
    """Kafka's default key partitioning (murmur2), so every copy of an id reaches the same raw partition."""
    hashed: int = murmur2(mention_id.encode())
    return (hashed & 0x7FFFFFFF) % partitions


#: How long an exact end-offset probe reads the last batches before trusting what it has.
END_PROBE_TIMEOUT_S = 2.0


async def exact_end_offsets(
    bootstrap: str, reported: Mapping[TopicPartition, int], timeout_s: float = END_PROBE_TIMEOUT_S
) -> dict[TopicPartition, int]:
    """End offsets (one past the last record), corrected by reading from the last reported offset.

    The embedded broker answers ListOffsets with the last batch's base offset + 1, so a partition whose last
    batch holds n records is reported n - 1 short (measured: 5 records at 1..5 -> end 2). Faust's table
    recovery reads changelogs up to that end and would miss the last records of a window. Reading one fetch
    from `reported - 1` returns the whole last batch (and anything newer) on any Kafka broker."""
    exact = dict(reported)
    probed = {tp: end for tp, end in reported.items() if end and end > 0}
    if not probed:
        return exact
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50)
    await consumer.start()
    try:
        consumer.assign(list(probed))
        for tp, end in probed.items():
            consumer.seek(tp, end - 1)
        pending = set(probed)
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            for tp, records in (await consumer.getmany(*pending, timeout_ms=200)).items():
                if records:
                    exact[tp] = max(exact[tp], records[-1].offset + 1)
                    pending.discard(tp)
        return exact
    finally:
        await consumer.stop()


#: How long reading a range of records again may take before going on with what was read.
RANGE_READ_TIMEOUT_S = 10.0


class RangeReader:
    """Reads ranges of one topic's records again with a consumer of its own (no group, no commits)."""

    def __init__(self, bootstrap: str, topic: str, timeout_s: float = RANGE_READ_TIMEOUT_S) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.timeout_s = timeout_s
        self._consumer: AIOKafkaConsumer | None = None

    async def read(self, partition: int, start: int, end: int) -> list[bytes | None]:
        """The values of the records at offsets `start` to `end` - 1 of `partition`, in offset order (fewer
        when the broker no longer has some, or did not answer within the timeout: logged)."""
        if start >= end:
            return []
        if self._consumer is None:
            self._consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap,
                enable_auto_commit=False,
                fetch_max_wait_ms=50,
                auto_offset_reset="earliest",  # records removed by retention: from the oldest kept
            )
            await self._consumer.start()
        tp = TopicPartition(self.topic, partition)
        self._consumer.assign([tp])
        self._consumer.seek(tp, start)
        values: list[bytes | None] = []
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            records = (await self._consumer.getmany(tp, timeout_ms=200)).get(tp, [])
            values.extend(r.value for r in records if start <= r.offset < end)
            if records and records[-1].offset >= end - 1:
                return values
        log.warning(
            "%s: read %d of the records %d-%d again within %.0f s",
            tp,
            len(values),
            start,
            end - 1,
            self.timeout_s,
        )
        return values

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None


async def wait_for_broker(bootstrap: str, timeout_s: float = 30.0) -> None:
    """Return once the broker answers a metadata request; raise TimeoutError naming it otherwise."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except (KafkaError, OSError) as error:
            last_error = error
            await asyncio.sleep(0.2)
        finally:
            await admin.close()
    raise TimeoutError(f"Kafka broker at {bootstrap} did not answer within {timeout_s:.0f} s: {last_error}")


def topic_configs(spec: TopicSpec, settings: Settings) -> dict[str, str]:
    """A compacted topic keeps the last record per key; the others keep `topic_retention_hours` of records
    on a Kafka cluster (the embedded broker accepts the setting and ignores it: `vigie run` renews it)."""
    if spec.compacted:
        return {"cleanup.policy": "compact"}
    return {"retention.ms": str(int(settings.topic_retention_hours * 3_600_000))}


async def declare_topics(settings: Settings) -> list[str]:
    """Create Vigie's topics that do not exist yet (the embedded broker does not auto-create); return them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                settings.topic(spec.name),
                settings.topic_partitions if spec.partitioned else 1,
                settings.topic_replication,
                topic_configs=topic_configs(spec, settings),
            )
            for spec in TOPICS
            if settings.topic(spec.name) not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
        return [topic.name for topic in wanted]
    finally:
        await admin.close()


def make_producer(settings: Settings, **options: object) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap,
        acks="all",
        linger_ms=2,
        max_request_size=MAX_RAW_RECORD_BYTES,
        **options,  # type: ignore[arg-type]
    )


#: Publishing a large request hands the event loop back this often (about 15 ms of hashing each time).
YIELD_EVERY_MENTIONS = 1000
#: A source that waits out holds publishes a large batch in slices of this many mentions, each of which a
#: hold of ingest can stop before it is sent.
HOLD_SLICE_MENTIONS = 1000


#: The largest raw record value the publisher sends (room left for the record's framing).
RAW_RECORD_BUDGET = record_budget(MAX_RAW_RECORD_BYTES)


def _split(batch: Sequence[Mention]) -> list[bytes]:
    """Envelopes of `batch` that fit one record each (never needed for one valid mention alone)."""
    parts = [_encode(mention) for mention in batch]
    packed = pack_array(parts, MAX_RAW_RECORD_BYTES, ENVELOPE_HEAD, ENVELOPE_TAIL)
    if packed.too_large:
        raise ValueError(f"{len(packed.too_large)} mentions too large for one record each")
    return packed.records


class MentionPublisher:
    """Publishes mentions to the raw topic as batch envelopes, one per raw partition, routed by mention id."""

    def __init__(
        self, producer: AIOKafkaProducer, topic: str, batch_max: int, hold: IngestHold | None = None
    ) -> None:
        self._producer = producer
        self._topic = topic
        self._batch_max = batch_max
        self._partitions: int | None = None
        self._hold = hold

    async def partitions(self) -> int:
        if self._partitions is None:
            found = await self._producer.partitions_for(self._topic)
            if not found:
                raise KafkaConnectionError(f"topic {self._topic} has no partitions (was it declared?)")
            self._partitions = len(found)
        return self._partitions

    async def publish(self, mentions: Sequence[Mention], wait_if_held: bool = True) -> int:
        """Send and wait until the broker has acknowledged every mention; return how many were sent.

        While ingest is held (services/runtime/hold.py) this waits, or raises IngestHeld when `wait_if_held`
        is false; a publish under way delays the hold's drain until it is acknowledged. A refused send is
        tried once more after refreshing the producer's metadata (resending is safe: mentions are deduplicated
        by id). A restarted embedded broker that was sent records before its topics were declared answers this
        producer `UnknownError` until its metadata is refreshed."""
        if self._hold is None:
            return await self._publish_or_retry(mentions)
        if not wait_if_held:  # one request, all or nothing: the caller answers 503 and the client retries
            async with self._hold.publishing(wait=False):
                return await self._publish_or_retry(mentions)
        # A source catching up after a hold sends its backlog a slice at a time, so that a hold that begins
        # meanwhile (the pipeline behind again) stops it between slices instead of after all of it.
        sent = 0
        for start in range(0, len(mentions), HOLD_SLICE_MENTIONS):
            async with self._hold.publishing(wait=True):
                sent += await self._publish_or_retry(mentions[start : start + HOLD_SLICE_MENTIONS])
        return sent

    async def _publish_or_retry(self, mentions: Sequence[Mention]) -> int:
        try:
            return await self._publish(mentions)
        except KafkaTimeoutError:
            raise  # the broker is away: waiting twice as long would not help
        except KafkaError as error:
            log.warning("the broker refused mentions (%s); refreshing metadata and trying once more", error)
            await self._producer.client.force_metadata_update()
            self._partitions = None
            return await self._publish(mentions)

    async def _publish(self, mentions: Sequence[Mention]) -> int:
        if not mentions:
            return 0
        partitions = await self.partitions()
        by_partition: dict[int, list[Mention]] = defaultdict(list)
        for index, mention in enumerate(mentions):
            by_partition[partition_for(mention.id, partitions)].append(mention)
            if index % YIELD_EVERY_MENTIONS == YIELD_EVERY_MENTIONS - 1:
                await asyncio.sleep(0)  # murmur2 is pure Python: let the api's other requests in
        sends = []
        for partition, group in by_partition.items():
            for start in range(0, len(group), self._batch_max):
                batch = group[start : start + self._batch_max]
                whole = encode_envelope(batch)
                for envelope in [whole] if len(whole) <= RAW_RECORD_BUDGET else _split(batch):
                    sends.append(await self._producer.send(self._topic, envelope, partition=partition))
        await asyncio.gather(*sends)
        return len(mentions)
