"""Agent: raw batches -> partial aggregates, enriched batches, dead letters and ticker samples.

Before a record that does not follow the last one it processed in its partition (a start, a takeover, a
record read again), it reads the partition's records before it again to rebuild that partition's dedupe
memory (services/dedupe.py `PartitionIds`), so the record gives the same partials as the first time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import faust
import msgspec
import orjson

from services.config_feed import ConfigFeed
from services.dedupe import PartitionIds
from services.enrich import Enricher, TickerSampler
from services.kafka import RAW, RangeReader
from services.matching import CompiledWatchlists
from services.sentiment import load_scorer
from services.settings import Settings
from services.watchlists import Watchlist
from streams.topics import Topics

TICKER_INTERVAL_S = 0.5

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
    encode = msgspec.json.encode

    @app.agent(topics.raw, name="enrich")
    async def enrich(stream: faust.StreamT[bytes]) -> None:
        await feed.ready.wait()
        # Acked by hand once every send is handed to the producer: Faust acks an event whose agent was
        # cancelled mid-way (a worker stopping), and a commit would then pass over a raw record whose
        # partials were never sent.
        records: faust.StreamT[bytes] = stream.noack()  # type: ignore[attr-defined]  # not in StreamT
        history = RangeReader(settings.bootstrap, settings.topic(RAW))
        try:
            async for event in records.events():
                await enrich_one(event, history)
                await records.ack(event)
        finally:
            await history.close()

    async def enrich_one(event: faust.EventT[bytes], history: RangeReader) -> None:
        message = event.message
        start = enricher.restore_start(message.partition, message.offset)
        if start is not None:
            began = time.perf_counter()
            earlier = await history.read(message.partition, start, message.offset)
            ids = enricher.restore(message.partition, message.offset, earlier)
            log.info(
                "raw partition %d from offset %d: dedupe memory rebuilt from %d records (%d ids) in %.0f ms",
                message.partition,
                message.offset,
                len(earlier),
                ids,
                (time.perf_counter() - began) * 1000,
            )
        result = enricher.process(event.value, message.partition, message.offset)
        for partial in result.partials:
            await topics.partials.send(key=partial.watchlist.encode(), value=encode(partial))
        if result.enriched:
            # One partition: the insights agent needs the whole stream (streams/agents/insights.py).
            await topics.enriched.send(value=encode(result.enriched))
        for dead in result.dead:
            await topics.dlq.send(value=encode(dead))
        if result.ticker:
            await send_ticker(result.ticker)

    async def send_ticker(items: list[dict[str, object]]) -> None:
        update = orjson.dumps({"type": "mentions", "v": 1, "items": items})
        await topics.updates.send(key=b"ticker", value=update)

    @app.timer(interval=TICKER_INTERVAL_S)
    async def ticker_held_back() -> None:
        """The mentions of a burst held back by the ticker's sampler, once their watchlist is due."""
        if held := enricher.held_ticker():
            await send_ticker(held)

    return enricher
