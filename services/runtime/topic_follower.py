"""Follow a whole topic (no consumer group), record by record, and say when caught up: from its beginning,
or from the last `tail` records of each partition (the api's live views only need what is recent).

Workers follow `vigie.alerts` (to rebuild their alert book and learn of acknowledgements) and `vigie.config`
(for rules); the api follows `vigie.alerts` to keep its alert tables. Every follower reads every partition,
so it does not matter which worker or api node owns what.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.runtime.epoch import EpochWatch
from services.runtime.kafka import exact_end_offsets

log = logging.getLogger(__name__)

CATCH_UP_TIMEOUT_S = 15.0
OnRecord = Callable[[bytes | None, bytes | None], None]


class TopicFollower:
    """`on_record` is called for every record; `on_batch` (optional) after each fetched batch that held
    records, and once when the records present at start have all been read (then `ready` is set).

    `batch_interval_s`: while records keep coming, read them at most this often. The consumer fetches again
    as soon as what it fetched has been read, so under a steady flow an unpaced follower sends a fetch
    request (encoded and decoded in Python) for every few records; paced, it reads what arrived meanwhile in
    one fetch. The first record after a quiet spell is read at once."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        on_record: OnRecord,
        fetch_max_wait_ms: int = 100,
        on_batch: Callable[[], None] | None = None,
        tail: int | None = None,
        epoch: EpochWatch | None = None,
        batch_interval_s: float = 0.0,
    ) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.on_record = on_record
        self.on_batch = on_batch
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.tail = tail
        #: When the embedded broker is renewed (services/runtime/epoch.py), the topic is read again from its
        # start.
        self.epoch = epoch
        self.ready = asyncio.Event()
        self.records_seen = 0
        self.batch_interval_s = batch_interval_s

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.fetch_max_wait_ms,
        )
        await consumer.start()
        try:
            partitions = consumer.partitions_for_topic(self.topic)
            while not partitions:
                await asyncio.sleep(0.5)
                await consumer._client.force_metadata_update()
                partitions = consumer.partitions_for_topic(self.topic)
            assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
            consumer.assign(assigned)
            end_offsets = await self._seek_start(consumer, assigned)
            started = time.monotonic()
            last_batch = 0.0
            while True:
                if self.epoch is not None and self.epoch.changed():
                    log.info(
                        "%s: the broker was renewed (epoch %s); reading it again",
                        self.topic,
                        self.epoch.current,
                    )
                    await self._seek_start(consumer, assigned)
                wait_s = last_batch + self.batch_interval_s - time.monotonic()
                if wait_s > 0 and self.ready.is_set():
                    await asyncio.sleep(wait_s)
                batches = await consumer.getmany(timeout_ms=500)
                if any(batches.values()):
                    last_batch = time.monotonic()
                for records in batches.values():
                    for record in records:
                        self.records_seen += 1
                        self.on_record(record.key, record.value)
                if self.on_batch is not None and any(batches.values()):
                    self.on_batch()
                if not self.ready.is_set():
                    positions = {tp: await consumer.position(tp) for tp in assigned}
                    caught_up = all(positions[tp] >= end_offsets[tp] for tp in assigned)
                    if caught_up or time.monotonic() - started > CATCH_UP_TIMEOUT_S:
                        log.info("%s: caught up after %d records", self.topic, self.records_seen)
                        if self.on_batch is not None:
                            self.on_batch()
                        self.ready.set()
        finally:
            await consumer.stop()

    async def _seek_start(
        self, consumer: AIOKafkaConsumer, assigned: list[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """Seek to where following starts (the beginning, or the last `tail` records); return the ends."""
        end_offsets = await exact_end_offsets(self.bootstrap, await consumer.end_offsets(assigned))
        if self.tail is None:
            await consumer.seek_to_beginning(*assigned)
        else:
            begins = await consumer.beginning_offsets(assigned)
            for tp in assigned:
                consumer.seek(tp, max(begins[tp], end_offsets[tp] - self.tail))
        return end_offsets
