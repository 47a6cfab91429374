"""Agent: enriched batches -> swarms, influencer boards and coordination (services/insights/live.py).

Swarms need the whole stream (one hashtag graph over every mention), so `vigie.mentions.enriched` has a
single partition and this agent runs in the one insights process (`vigie insights`, streams/app.py), apart
from the workers' enrich and aggregate, which scale by partition and never wait behind it. That is this
stage's throughput bound: one process, about 10,000 mentions/s on one core of the reference machine (decode,
the three detectors and corrections: ~90 us a mention on an hour of demo traffic, tests/bench/stages.py;
coordination is most of it), plus ~0.2 s of snapshots and boards every publish interval whatever the rate;
beyond that the enriched topic lags while the metrics path keeps scaling. Each batch it decodes then goes to
the alert engine (`on_mentions`, streams/agents/alerts.py), which shares the process.

Its state lives in memory: after a restart or a move to another worker it rebuilds from the records it
reads next (boards and swarms fill again within their windows; a campaign under way may be corrected twice
for the mentions between the last committed offset and the restart, about a second of them).

Newly coordinated mentions go back to the aggregate agent as correction partials keyed by watchlist; the
messages go to `vigie.updates` (key: `swarms`, `coordination`, or the watchlist id for `influencers`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import faust
import msgspec

from services import updates
from services.insights.live import Insights
from services.runtime.ownership import owns
from services.settings import Settings
from services.understanding.enrich import EnrichedMention, decode_enriched
from streams.topics import Topics

log = logging.getLogger(__name__)

#: The timer looks this many times per publish interval whether messages are due (timers drift).
TICKS_PER_INTERVAL = 5


def register(
    app: faust.App,
    settings: Settings,
    topics: Topics,
    on_mentions: Callable[[list[EnrichedMention]], Awaitable[None]],
) -> Insights:
    insights = Insights.from_settings(settings)
    encode = msgspec.json.encode

    @app.agent(topics.enriched, name="insights")
    async def observe(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            message = event.message
            try:
                batch = decode_enriched(event.value)
            except msgspec.DecodeError as error:
                log.error(
                    "insights: expected a JSON list of enriched mentions at %s:%s, got %s",
                    message.partition,
                    message.offset,
                    error,
                )
                continue
            newly = insights.observe(batch)
            for partial in insights.corrections(newly, partition=message.partition, offset=message.offset):
                await topics.partials.send(key=partial.watchlist.encode(), value=encode(partial))
            await on_mentions(batch)

    def owner() -> bool:
        """Whether this worker holds the enriched partition (the others have nothing to say)."""
        return owns(app.consumer.assignment(), topics.enriched.get_topic_name())

    @app.timer(settings.insights_publish_interval_s / TICKS_PER_INTERVAL)
    async def publish() -> None:
        if app.rebalancing or not owner():
            return
        for key, update in insights.messages(time.time()):
            await topics.updates.send(key=key.encode(), value=updates.encode(update))

    return insights
