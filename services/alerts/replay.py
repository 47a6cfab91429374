"""Demo traffic through the real stages and rule engine, in event time, with no broker.

`replay_demo()` feeds the demo generator (services/demo) to the enrich stage, the per-watchlist windows, the
insights stage (swarms, coordination) and the rule engine every `step_s` seconds of event time, the way the
worker's agents chain them, and returns every alert event with the episodes the generator scripted (their
ground truth). The clock is the event time of the stream: a one-hour replay takes about a minute of CPU.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import msgspec

from services.aggregation.aggregate import metrics_message
from services.aggregation.windows import EventClock, WindowState
from services.alerts.engine import AlertEngine
from services.alerts.events import AlertEvent
from services.alerts.incidents import IncidentBook, IncidentEvent
from services.alerts.lifecycle import AlertBook
from services.demo import DemoGenerator, demo_watchlists
from services.demo.episodes import Episode
from services.ingest.dedupe import PartitionIds
from services.ingest.records import encode_envelope
from services.insights.coordination import CoordinationDetector
from services.insights.influence import InfluenceBoard
from services.insights.live import Insights
from services.insights.media import MediaClassifier
from services.insights.swarms import SwarmTracker
from services.runtime.config_feed import watchlist_record
from services.understanding.enrich import Enricher, TickerSampler
from services.understanding.matching import CompiledWatchlists
from services.understanding.sentiment import load_scorer

#: The origin of a replay (any time works: the demo is deterministic relative to it).
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: Swarms and coordination reach the rules this often (the insights stage's publish interval).
INSIGHTS_EVERY_S = 5.0


@dataclass
class Replay:
    start: datetime
    end: datetime
    episodes: list[Episode]
    events: list[AlertEvent] = field(default_factory=list)
    incidents: list[IncidentEvent] = field(default_factory=list)


def replay_demo(
    seconds: float = 3600.0,
    *,
    seed: int = 0,
    step_s: float = 2.0,
    resolve_after_s: float = 600.0,
    start: datetime = T0,
    progress: Callable[[float], None] | None = None,
) -> Replay:
    """Replay `seconds` of the demo from `start`; the watchlists are created at `start`."""
    generator = DemoGenerator(seed=seed, start=start, keep_episodes=1000)
    watchlists = [msgspec.structs.replace(w, created_at=start, updated_at=start) for w in demo_watchlists()]
    scorer = load_scorer("linear")
    enricher = Enricher(
        CompiledWatchlists(watchlists), scorer, PartitionIds(200_000), TickerSampler(1), "raw"
    )
    start_ts = start.timestamp()
    insights = Insights(
        SwarmTracker(), InfluenceBoard(), CoordinationDetector(), clock=EventClock(wall=start_ts)
    )
    media = MediaClassifier()
    engine = AlertEngine(
        AlertBook(resolve_after_s),
        is_press=lambda a: media.classify(a.handle, a.bio, a.domain).press,
        is_negative=lambda text: scorer.score_batch([text], [None])[0].label == "neg",
    )
    incidents = IncidentBook()
    for watchlist in watchlists:
        engine.apply_config(*watchlist_record(watchlist))
    states: dict[str, WindowState] = defaultdict(WindowState)
    replay = Replay(start=start, end=start + timedelta(seconds=seconds), episodes=generator.episodes)
    steps = int(seconds / step_s)
    last_insights_ts = start_ts
    for step in range(steps):
        now = start + timedelta(seconds=step_s * (step + 1))
        now_ts = now.timestamp()
        result = enricher.process(encode_envelope(generator.batch(now, step_s)), 0, step, wall=now_ts)
        partials = list(result.partials)
        newly = insights.observe(result.enriched, wall=now_ts)
        partials += insights.corrections(newly, partition=0, offset=step)
        for partial in partials:
            states[partial.watchlist].apply(partial.buckets, now_ts=now_ts, grace_s=300)
        events = engine.on_mentions(result.enriched, now_ts)
        if now_ts - last_insights_ts >= INSIGHTS_EVERY_S:  # as the insights agent publishes them
            last_insights_ts = now_ts
            for message in (insights.swarms_message(now_ts), insights.coordination_message(now_ts)):
                events += engine.on_insights(message, now_ts)
        for watchlist_id, state in states.items():
            events += engine.on_metrics(metrics_message(watchlist_id, state, now_ts), now_ts)
        events += engine.tick(now_ts)
        replay.events += events
        for event in events:
            replay.incidents += incidents.on_alert(event, now_ts)
        replay.incidents += incidents.tick(now_ts)
        if progress is not None and step % 100 == 0:
            progress((step + 1) / steps)
    return replay
