"""Agent: raw batches -> partial aggregates, enriched batches, dead letters and ticker samples."""

from __future__ import annotations

from collections.abc import Iterable

import faust
import msgspec
import orjson

from services.config_feed import ConfigFeed
from services.dedupe import RecentIds
from services.enrich import Enricher, TickerSampler
from services.kafka import RAW
from services.matching import CompiledWatchlists
from services.sentiment import load_scorer
from services.settings import Settings
from services.watchlists import Watchlist
from streams.topics import Topics

TICKER_INTERVAL_S = 0.5


class WatchlistAwareEnricher(Enricher):
    def set_watchlists(self, watchlists: Iterable[Watchlist]) -> None:
        self.matcher = CompiledWatchlists(watchlists)


def register(app: faust.App, settings: Settings, topics: Topics, feed: ConfigFeed) -> WatchlistAwareEnricher:
    enricher = WatchlistAwareEnricher(
        matcher=CompiledWatchlists([]),
        scorer=load_scorer(settings.sentiment_backend),
        seen=RecentIds(settings.dedupe_capacity),
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
        async for event in records.events():
            message = event.message
            result = enricher.process(event.value, message.partition, message.offset)
            for partial in result.partials:
                await topics.partials.send(key=partial.watchlist.encode(), value=encode(partial))
            if result.enriched:
                # One partition: the insights agent needs the whole stream (streams/agents/insights.py).
                await topics.enriched.send(value=encode(result.enriched))
            for dead in result.dead:
                await topics.dlq.send(value=encode(dead))
            if result.ticker:
                update = orjson.dumps({"type": "mentions", "v": 1, "items": result.ticker})
                await topics.updates.send(key=b"ticker", value=update)
            await records.ack(event)

    return enricher
