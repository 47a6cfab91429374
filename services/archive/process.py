"""`vigie archiver`: follows `vigie.mentions.enriched` and keeps every enriched mention in the database.

Archivers form one consumer group (`<prefix>archiver`). Each fetched batch is written in transactions of at
most TRANSACTION_MAX_MENTIONS, and its offsets are committed only after the last: a killed archiver reads
the batch again, and writing it again changes nothing (mentions are unique by id). The bound matters on
SQLite, one writer at a time: an archiver catching up a backlog (hundreds of thousands of mentions in one
fetch) would otherwise hold the write lock for seconds, past the 5 s other writers wait (an operator's
acknowledgement, a watchlist edit, the worker's history), and their writes would fail. A database that
refuses a write is tried again with a growing delay, without reading further. Retention runs beside it
every `archive_retention_interval_s`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer
from sqlalchemy.exc import SQLAlchemyError

from services.archive.progress import ProgressTracker
from services.archive.records import ArchivedMention, decode_enriched
from services.archive.store import Archive
from services.runtime.heap import release_heap, settle_heap
from services.runtime.kafka import ENRICHED, declare_topics, wait_for_broker
from services.runtime.loops import run_loops
from services.runtime.observability.health_server import start_health_server
from services.settings import Settings

log = logging.getLogger(__name__)

WRITE_RETRY_DELAYS_S = (0.5, 1.0, 2.0, 5.0, 10.0)
#: Records fetched at once at most (each is a batch of mentions).
MAX_RECORDS_PER_FETCH = 200
#: Mentions written in one transaction at most (tens of milliseconds of holding SQLite's write lock).
TRANSACTION_MAX_MENTIONS = 1000


def reading(consumer: AIOKafkaConsumer) -> bool:
    """The consumer has partitions and has had a fetch answered for each (before that, during a start or a
    rebalance, an empty poll does not mean it has caught up)."""
    assigned = consumer.assignment()
    return bool(assigned) and all(consumer.highwater(tp) is not None for tp in assigned)


class Archiver:
    def __init__(self, settings: Settings, archive: Archive) -> None:
        self.settings = settings
        self.archive = archive
        self.consuming = False
        self.archived = 0
        self.progress = ProgressTracker()

    def not_ready(self) -> str | None:
        return None if self.consuming else "not reading the enriched topic yet"

    async def write(self, mentions: list[ArchivedMention]) -> int:
        """Write one batch in transactions of at most TRANSACTION_MAX_MENTIONS; return how many were new."""
        written = 0
        for start in range(0, len(mentions), TRANSACTION_MAX_MENTIONS):
            written += await self._write_slice(mentions[start : start + TRANSACTION_MAX_MENTIONS])
        return written

    async def _write_slice(self, mentions: list[ArchivedMention]) -> int:
        """Write one transaction, trying again until the database takes it."""
        attempt = 0
        while True:
            keep_since = datetime.now(UTC) - timedelta(days=self.settings.archive_days)
            try:
                written = await asyncio.to_thread(self.archive.write, mentions, keep_since)
            except SQLAlchemyError as error:
                delay = WRITE_RETRY_DELAYS_S[min(attempt, len(WRITE_RETRY_DELAYS_S) - 1)]
                log.warning(
                    "could not archive %d mentions (%s); trying again in %.1f s", len(mentions), error, delay
                )
                attempt += 1
                await asyncio.sleep(delay)
                continue
            self.archived += written
            return written

    async def consume(self) -> None:
        settings = self.settings
        consumer = AIOKafkaConsumer(
            settings.topic(ENRICHED),
            bootstrap_servers=settings.bootstrap,
            group_id=f"{settings.topic_prefix}archiver",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=settings.background_fetch_max_wait_ms,
        )
        await consumer.start()
        self.consuming = True
        try:
            while True:
                asked_at = time.time()
                batches = await consumer.getmany(timeout_ms=1000, max_records=MAX_RECORDS_PER_FETCH)
                mentions: list[ArchivedMention] = []
                newest_ms: int | None = None
                for records in batches.values():
                    for record in records:
                        newest_ms = max(newest_ms or record.timestamp, record.timestamp)
                        found, problems = decode_enriched(record.value)
                        mentions.extend(found)
                        for problem in problems:
                            log.error("enriched record %d:%d: %s", record.partition, record.offset, problem)
                if mentions:
                    await self.write(mentions)
                if batches:
                    await consumer.commit()  # after the transaction: at least once, and idempotent
                if newest_ms is not None:
                    self.progress.polled(asked_at, newest_ms / 1000)
                elif reading(consumer):  # an empty poll says something only once the archiver reads
                    self.progress.polled(asked_at, None)
                await self.report_progress()
        finally:
            self.consuming = False
            await consumer.stop()

    async def report_progress(self) -> None:
        """Write how far the archive is complete, when a report is due (search shows it)."""
        if (progress := self.progress.due(time.time())) is None:
            return
        try:
            await asyncio.to_thread(self.archive.note_progress, progress)
        except SQLAlchemyError as error:
            log.warning("could not note the archive's progress (%s); will try again", error)

    async def keep_retention(self) -> None:
        settings = self.settings
        while True:
            try:
                deleted = await asyncio.to_thread(
                    self.archive.apply_retention,
                    datetime.now(UTC),
                    settings.archive_days,
                    settings.archive_delete_batch,
                )
            except SQLAlchemyError as error:
                log.warning("archive retention failed (%s); trying again later", error)
            else:
                if deleted:
                    log.info(
                        "archive retention: deleted %d mentions older than %g days",
                        deleted,
                        settings.archive_days,
                    )
            await asyncio.sleep(settings.archive_retention_interval_s)


async def run_archiver(settings: Settings) -> None:
    if settings.archiver_niceness:
        os.nice(settings.archiver_niceness)  # the wall's path goes first when the cores are full
    await wait_for_broker(settings.bootstrap, timeout_s=60)
    await declare_topics(settings)
    archive = Archive(settings.db_url)
    archiver = Archiver(settings, archive)
    health = await start_health_server("archiver", settings.host, settings.health_port, archiver.not_ready)
    settle_heap()  # full collections walk only what a fetch makes, not start-up's objects
    log.info("archiver started (keeping %g days)", settings.archive_days)
    try:
        await run_loops(
            {"archiver-consume": archiver.consume(), "archiver-retention": archiver.keep_retention()}
        )
    finally:
        if health is not None:
            await health.stop()
        archive.close()
        release_heap()
