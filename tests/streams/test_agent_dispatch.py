"""What each kind of record leads to in the agents (streams/agents/), through the plain functions they
delegate to, without Kafka: the alerts agent's updates, the aggregate agent's partials, the insights
agent's enriched batches."""

from __future__ import annotations

import msgspec
import pytest

from services.aggregation.aggregate import apply_partials, decode_partials, metrics_message
from services.aggregation.windows import EventClock, WindowState, bucket_of
from services.alerts.engine import AlertEngine
from services.alerts.lifecycle import AlertBook
from services.understanding.enrich import ItemAuthor, ItemSentiment, MentionItem, Partial, decode_enriched
from services.updates import (
    ConnectorStatus,
    Coordination,
    Correction,
    Influencers,
    Mentions,
    Metrics,
    Swarms,
    WorkerStatus,
    decode_update,
    encode,
)
from tests.services.alerts.figures import NOW, coordination, metrics_for, swarms
from tests.services.planted import T0_TS
from tests.services.test_insights import episode, insights

# -- alerts: every record of vigie.updates goes to AlertEngine.on_update_record ---


def engine() -> AlertEngine:
    return AlertEngine(AlertBook(600.0), is_press=lambda _: False)


def test_metrics_swarms_and_coordination_updates_move_alerts() -> None:
    spike = metrics_for([(10, 0, 0)] * 55 + [(90, 0, 0)] * 5)
    for update, rule in ((spike, "volume_spike"), (swarms(), "swarm"), (coordination(), "coordination")):
        alerts = engine()
        events = alerts.on_update_record(encode(update), NOW)
        assert [(e.rule, e.watchlist, e.status) for e in events] == [(rule, "aerolis", "firing")], rule
        assert alerts.skipped == 0


def test_the_other_updates_move_no_alert() -> None:
    item = MentionItem(
        id="m1", watchlists=["aerolis"], text="Aerolis lost my bag", source="demo",
        author=ItemAuthor("ana", None, 3), created_at=None, lang=None, url=None, hashtags=[],
        sentiment=ItemSentiment(-0.8, "neg"),
    )  # fmt: skip
    others = [
        Mentions(items=[item]),
        Influencers(watchlist="aerolis", now_ts=NOW, items=[], press=[]),
        Correction(mention="m1", sentiment=ItemSentiment(1.0, "pos")),
        WorkerStatus(id="host-1", at_ts=NOW, partitions=12),
        ConnectorStatus(id="rss", at_ts=NOW, name="rss", kind="rss"),
    ]
    alerts = engine()
    for update in others:
        assert alerts.on_update_record(encode(update), NOW) == []
    assert alerts.skipped == 0


def test_a_record_the_protocol_does_not_describe_is_counted_and_moves_nothing() -> None:
    alerts = engine()
    for value in (b"{not json", b'{"type": "metrics", "v": 1}', b'{"type": "forecast", "v": 1}', None):
        assert alerts.on_update_record(value, NOW) == []
    assert alerts.skipped == 4


# -- aggregate: every record of vigie.partials goes through decode_partials and apply_partials ---


def partial(offset: int, count: int, partition: int = 0) -> Partial:
    return Partial(
        watchlist="aerolis",
        partition=partition,
        offset=offset,
        buckets={bucket_of(NOW - 30): [float(count), 0.0, float(count), 0.0, 0.0]},
        max_ts=NOW - 30,
    )


def test_partials_in_a_batch_or_alone_count_once_each_and_publish_a_metrics_update() -> None:
    state, clock = WindowState(), EventClock(wall=NOW)
    batch = msgspec.json.encode([partial(1, 3), partial(2, 4)])  # the enrich agent's packed record
    correction = msgspec.json.encode(partial(7, 2, partition=-1))  # the insights agent's, one partial
    for value in (batch, correction):
        assert apply_partials(state, decode_partials(value), clock, grace_s=300)
    # The same records read again (a restart, a rebalance) change nothing.
    for value in (batch, correction):
        assert apply_partials(state, decode_partials(value), clock, grace_s=300) == []
    published = decode_update(encode(metrics_message("aerolis", state, NOW)))
    assert isinstance(published, Metrics)
    assert (published.watchlist, published.windows["1m"].count, published.total) == ("aerolis", 9, 9)


def test_a_record_that_is_not_partials_is_refused_saying_what_did_not_fit() -> None:
    with pytest.raises(msgspec.ValidationError, match="watchlist"):
        decode_partials(b'[{"partition": 0}]')


# -- insights: every enriched batch feeds Insights; its timer publishes typed updates ---


def test_an_enriched_batch_gives_corrections_and_the_timer_publishes_insights_keyed_for_the_hub() -> None:
    glue = insights()
    batch = decode_enriched(msgspec.json.encode(episode()))
    newly = glue.observe(batch, T0_TS + 130)
    corrections = glue.corrections(newly, partition=0, offset=7)
    assert [(c.watchlist, c.offset) for c in corrections] == [("acme", 7)]  # keyed by watchlist
    published = [(key, decode_update(encode(update))) for key, update in glue.messages(T0_TS + 130)]
    assert [(key, type(update)) for key, update in published] == [
        ("swarms", Swarms),
        ("acme", Influencers),
        ("coordination", Coordination),
    ]
