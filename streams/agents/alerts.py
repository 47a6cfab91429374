"""The alerts stage: metrics updates and enriched mentions -> rules -> alert events on `vigie.alerts`.

One engine (services/alerts/engine.py) fed twice: the `alerts` agent evaluates the metric rules on each
`metrics` message (keyed by watchlist) and the swarm and coordination rules on the insights agent's `swarms`
and `coordination` messages; the insights agent hands each enriched batch it decoded to `on_mentions`
(returned by `register`), for the negative-influencer rule and the drivers, so the batch is decoded once.
A timer resolves alerts whose condition has cleared.

Both run in the insights process (`vigie insights`, streams/app.py), which holds every partition of the
updates topic and the single enriched one: one engine sees every watchlist's metrics and mentions, so an
alert's explanation (its drivers: terms, hashtags, swarms, negative posts) covers every watchlist.

State: the alert book lives in memory. The process follows the whole `vigie.alerts` topic from the beginning
(no consumer group) and the agents wait until it has caught up, so after a restart the book holds every open
alert again and an ongoing spike is not announced twice; the same feed brings the api's acknowledgements and
resolutions. Only the holder of a watchlist's updates partition resolves that watchlist's alerts: with the
one insights process that deploy/ runs, all of them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import faust

from services.alerts.engine import AlertEngine
from services.alerts.events import AlertEvent, encode_event
from services.alerts.lifecycle import AlertBook
from services.insights.media import MediaClassifier
from services.runtime.kafka import ALERTS, CONFIG
from services.runtime.ownership import owns
from services.runtime.topic_follower import TopicFollower
from services.settings import Settings
from services.understanding.enrich import EnrichedMention
from services.understanding.sentiment import load_scorer
from streams.topics import Topics


def register(
    app: faust.App, settings: Settings, topics: Topics
) -> Callable[[list[EnrichedMention]], Awaitable[None]]:
    """Register the alerts agent and timer; return what the insights agent calls with each enriched batch."""
    media = MediaClassifier.from_settings(settings)
    scorer = load_scorer(settings.sentiment_backend)
    engine = AlertEngine(
        AlertBook(settings.alert_resolve_after_s, settings.alert_keep_resolved_s),
        is_press=lambda author: media.classify(author.handle, author.bio, author.domain).press,
        is_negative=lambda text: scorer.score_batch([text], [None])[0].label == "neg",
    )
    wait_ms = settings.background_fetch_max_wait_ms
    alerts_feed = TopicFollower(
        settings.bootstrap,
        settings.topic(ALERTS),
        lambda _, value: engine.apply_alert(value, time.time()),
        wait_ms,
    )
    rules_feed = TopicFollower(settings.bootstrap, settings.topic(CONFIG), engine.apply_config, wait_ms)

    async def ready() -> None:
        await alerts_feed.ready.wait()
        await rules_feed.ready.wait()

    async def send(events: list[AlertEvent]) -> None:
        for event in events:
            await topics.alerts.send(key=event.alert_id.encode(), value=encode_event(event))

    @app.task
    async def follow_alerts() -> None:
        await alerts_feed.run()

    @app.task
    async def follow_rules() -> None:
        await rules_feed.run()

    @app.agent(topics.updates, name="alerts")
    async def alerts(stream: faust.StreamT[bytes]) -> None:
        await ready()
        async for value in stream:
            await send(engine.on_update_record(value, time.time()))

    async def on_mentions(batch: list[EnrichedMention]) -> None:
        """The negative-influencer rule and the drivers, once the alert book has caught up."""
        await ready()
        await send(engine.on_mentions(batch, time.time()))

    def owned(watchlist: str) -> bool:
        """Whether this worker holds the watchlist's updates partition (then it resolves its alerts)."""
        topic = topics.updates.get_topic_name()
        return owns(app.consumer.assignment(), topic, watchlist, settings.topic_partitions)

    @app.timer(settings.alert_tick_interval_s)
    async def resolve_cleared() -> None:
        if alerts_feed.ready.is_set() and not app.rebalancing:
            await send(engine.tick(time.time(), owned))

    return on_mentions
