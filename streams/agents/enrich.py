"""Agent: raw batches -> partial aggregates, enriched batches, dead letters and ticker samples.

It takes raw records in batches (streams/batching.py: what arrived within `worker_batch_wait_ms`, one record
when quiet) and enriches them together (services/understanding/enrich.py), then acks them all once their
outputs are handed to the producer.

Before a record that does not follow the last one it processed in its partition (a start, a takeover, a record
read again), it reads the partition's records before it again to rebuild that partition's dedupe memory
(services/ingest/dedupe.py `PartitionIds`), so the record gives the same partials as the first time. Records
are admitted (validated, deduplicated) one after the other, so a rebuild in the middle of a batch sees the
records before it exactly as when each record was processed alone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

import faust
from faust.exceptions import ProducerSendError

from services import updates
from services.history.store import HistoryStore
from services.ingest.dedupe import PartitionIds
from services.ingest.outbox import encode_batch, fit_dead_letter, too_large
from services.runtime.config_feed import ConfigFeed
from services.runtime.epoch import current_epoch
from services.runtime.kafka import RAW, RangeReader
from services.runtime.observability import metrics
from services.settings import Settings
from services.understanding.enrich import EnrichBatch, Enricher, TickerSampler
from services.understanding.matching import CompiledWatchlists
from services.understanding.sentiment import load_scorer
from services.understanding.watchlists import Watchlist
from streams.batching import Batches, acting_for
from streams.topics import Topics

TICKER_INTERVAL_S = 0.5
#: Recent mention ids per raw partition a worker that stops saves for the next broker epoch.
CARRIED_IDS_PER_PARTITION = 50_000

log = logging.getLogger(__name__)


class WatchlistAwareEnricher(Enricher):
    def set_watchlists(self, watchlists: Iterable[Watchlist]) -> None:
        self.matcher = CompiledWatchlists(watchlists)


def register(app: faust.App, settings: Settings, topics: Topics, feed: ConfigFeed) -> WatchlistAwareEnricher:
    enricher = WatchlistAwareEnricher(
        matcher=CompiledWatchlists([]),
        scorer=load_scorer(settings.sentiment_backend),
        seen=PartitionIds(
            settings.dedupe_capacity // settings.topic_partitions, settings.dedupe_restore_records
        ),
        ticker=TickerSampler(TICKER_INTERVAL_S),
        topic=settings.topic(RAW),
    )
    # Ids seen under the previous embedded broker (services/runtime/rotation.py), saved when its worker
    # stopped.
    history = HistoryStore(settings.db_url)
    epoch = current_epoch(settings)
    enricher.seen.carry(history.seen_ids_before(epoch))

    async def save_seen_ids(app: faust.App, **_: object) -> None:
        newest = enricher.seen.newest(CARRIED_IDS_PER_PARTITION)
        await asyncio.to_thread(history.save_seen_ids, epoch, newest)

    app.on_before_shutdown.connect(save_seen_ids)  # type: ignore[arg-type]  # mode's signal typing

    @app.agent(topics.raw, name="enrich")
    async def enrich(stream: faust.StreamT[bytes]) -> None:
        await feed.ready.wait()
        # Acked by hand once every send is handed to the producer: Faust acks an event whose agent was
        # cancelled mid-way (a worker stopping), and a commit would then pass over a raw record whose
        # partials were never sent.
        batches = Batches(
            app, stream, settings.worker_batch_max_records, settings.worker_batch_wait_ms / 1000
        )
        history = RangeReader(settings.bootstrap, settings.topic(RAW))
        try:
            async for events in batches:
                with batches.working():
                    await enrich_batch(events, history)
                    await batches.ack(events)
        finally:
            await history.close()

    async def enrich_batch(events: list[faust.EventT[bytes]], history: RangeReader) -> None:
        """Admit the raw records in order; enrich and send them in parts of about
        `worker_batch_max_mentions` mentions (the events are acked once all parts are sent)."""
        batch, first = enricher.begin(), 0
        for index, event in enumerate(events):
            message = event.message
            start = enricher.restore_start(message.partition, message.offset)
            if start is not None:
                await restore(message.partition, start, message.offset, history)
            enricher.admit(batch, event.value, message.partition, message.offset)
            if batch.mentions >= settings.worker_batch_max_mentions or index == len(events) - 1:
                await enrich_part(batch, events[first : index + 1])
                batch, first = enricher.begin(), index + 1

    async def enrich_part(batch: EnrichBatch, events: list[faust.EventT[bytes]]) -> None:
        done = enricher.finish(batch)
        outbox = encode_batch(done, settings.worker_max_request_bytes, enricher.topic)
        where = (enricher.topic, events[0].message.partition, events[0].message.offset)
        for key, value in outbox.partials:
            await send(topics.partials, value, where, key)
        for value in outbox.enriched:
            # One partition: the insights agent needs the whole stream (streams/agents/insights.py).
            await send(topics.enriched, value, where)
        for value in outbox.dead:
            await send(topics.dlq, value, where)
        # Sent as the batch's first raw record: the worker's sensor times mentions to the wall from it.
        with acting_for(events[0]):
            for value in outbox.ticker:
                await send(topics.updates, value, where, b"ticker")
        dropped = sum(result.duplicates + result.unmatched for result in done.records)
        if dropped:
            metrics.MENTIONS_DROPPED.labels("enrich", "duplicate_or_unmatched").inc(dropped)

    async def restore(partition: int, start: int, offset: int, history: RangeReader) -> None:
        began = time.perf_counter()
        earlier = await history.read(partition, start, offset)
        ids = enricher.restore(partition, offset, earlier)
        log.info(
            "raw partition %d from offset %d: dedupe memory rebuilt from %d records (%d ids) in %.0f ms",
            partition,
            offset,
            len(earlier),
            ids,
            (time.perf_counter() - began) * 1000,
        )

    async def send(
        topic: faust.TopicT, value: bytes, where: tuple[str, int, int], key: bytes | None = None
    ) -> None:
        """Send, or dead-letter what the producer refuses (logged when even that fails): never crash-loop."""
        try:
            await topic.send(key=key, value=value)
        except ProducerSendError as error:
            log.error(
                "enrich: %s refused a record of %d bytes from %s:%d@%d: %s",
                topic.get_topic_name(),
                len(value),
                *where,
                error,
            )
            if topic is topics.dlq:
                return
            dead = too_large(
                "record",
                f"a record for {topic.get_topic_name()}",
                settings.worker_max_request_bytes,
                where,
                value[:4096],
            )
            dead.reason = f"the producer refused it: {error}"
            try:
                await topics.dlq.send(value=fit_dead_letter(dead, settings.worker_max_request_bytes))
            except ProducerSendError as again:
                log.error("enrich: the dead-letter topic refused it too: %s", again)

    @app.timer(interval=TICKER_INTERVAL_S)
    async def ticker_held_back() -> None:
        """The mentions of a burst held back by the ticker's sampler, once their watchlist is due."""
        if held := enricher.held_ticker():
            update = updates.encode(updates.Mentions(items=held))
            await send(topics.updates, update, (enricher.topic, -1, -1), b"ticker")

    return enricher
