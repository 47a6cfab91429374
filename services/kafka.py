"""Vigie's Kafka topics and the small aiokafka helpers every role shares (standard Kafka APIs only)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError
from aiokafka.partitioner import murmur2

from services.records import Mention, encode_envelope
from services.settings import Settings

log = logging.getLogger(__name__)

RAW = "mentions.raw"
ENRICHED = "mentions.enriched"
DLQ = "mentions.dlq"
PARTIALS = "aggregates.partial"
UPDATES = "updates"
CONFIG = "config"
ALERTS = "alerts"


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
                topic_configs={"cleanup.policy": "compact"} if spec.compacted else None,
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
        max_request_size=8 * 1024 * 1024,
        **options,  # type: ignore[arg-type]
    )


class MentionPublisher:
    """Publishes mentions to the raw topic as batch envelopes, one per raw partition, routed by mention id."""

    def __init__(self, producer: AIOKafkaProducer, topic: str, batch_max: int) -> None:
        self._producer = producer
        self._topic = topic
        self._batch_max = batch_max
        self._partitions: int | None = None

    async def partitions(self) -> int:
        if self._partitions is None:
            found = await self._producer.partitions_for(self._topic)
            if not found:
                raise KafkaConnectionError(f"topic {self._topic} has no partitions (was it declared?)")
            self._partitions = len(found)
        return self._partitions

    async def publish(self, mentions: Sequence[Mention]) -> int:
        """Send and wait until the broker has acknowledged every mention; return how many were sent."""
        if not mentions:
            return 0
        partitions = await self.partitions()
        by_partition: dict[int, list[Mention]] = defaultdict(list)
        for mention in mentions:
            by_partition[partition_for(mention.id, partitions)].append(mention)
        sends = []
        for partition, group in by_partition.items():
            for start in range(0, len(group), self._batch_max):
                envelope = encode_envelope(group[start : start + self._batch_max])
                sends.append(await self._producer.send(self._topic, envelope, partition=partition))
        await asyncio.gather(*sends)
        return len(mentions)
