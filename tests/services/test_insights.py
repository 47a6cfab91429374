"""The insights glue: websocket messages and their cadence, corrections of coordinated mentions, the demo."""

from __future__ import annotations

import gc
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from services.aggregation.aggregate import apply_partial, metrics_message
from services.aggregation.windows import (
    LABEL_INDEX,
    SCORE_SUM,
    Bucket,
    EventClock,
    WindowState,
    bucket_of,
    empty_bucket,
)
from services.demo import DemoGenerator, demo_watchlists
from services.insights.coordination import CoordinationDetector
from services.insights.influence import InfluenceBoard
from services.insights.live import Insights
from services.insights.swarms import SwarmTracker
from services.understanding.enrich import EnrichedMention, Partial
from services.understanding.matching import CompiledWatchlists
from services.understanding.sentiment.linear import LinearScorer
from services.understanding.text import tokens
from tests.services.planted import T0_TS, enriched

SWARM_TAGS = {"wave1", "wave2", "wave3"}
CAMPAIGN = "Everyone needs to know what Acme is doing to its customers, zero refunds and zero answers"
BIG = "metrocourier_jdoe"


def insights(count_coordinated: bool = True) -> Insights:
    return Insights(
        SwarmTracker(),
        InfluenceBoard(),
        CoordinationDetector(),
        publish_interval_s=5.0,
        count_coordinated=count_coordinated,
        refresh_s=60.0,
        clock=EventClock(wall=T0_TS),
    )


def episode() -> list[EnrichedMention]:
    """Within two minutes about acme: a swarm of 30 people on three new tags, 10 tiny accounts posting one
    text, a reporter with a large audience, and other people using other tags."""
    rng = random.Random(3)
    items = [
        enriched(
            "riding the wave " + " ".join(f"#{t}" for t in rng.sample(sorted(SWARM_TAGS), 2)) + " acme",
            at_s=rng.uniform(0, 120),
            handle=f"fan{k % 30}",
            followers=300,
            score=0.4,
        )
        for k in range(60)
    ]
    items += [
        enriched(
            CAMPAIGN + rng.choice(["", " 😡", " Never again."]), at_s=30 + k, handle=f"c{k}", followers=2
        )
        for k in range(10)
    ]
    items.append(
        enriched(
            "Acme answers our questions today",
            at_s=60,
            handle=BIG,
            followers=2_000_000,
            bio="Reporter, Metro Courier",
            engagement=900,
            score=0.0,
        )
    )
    items += [enriched(f"#misc{i % 50} acme", at_s=i * 0.3, handle=f"bg{i}") for i in range(300)]
    items.sort(key=lambda item: item.mention.created_ts)
    return items


def test_messages_follow_the_protocol_and_come_at_their_cadence() -> None:
    glue = insights()
    batch = episode()
    wall = T0_TS + 130
    glue.observe(batch, wall)
    first = list(glue.messages(wall))
    assert [key for key, _ in first] == ["swarms", "acme", "coordination"]
    swarms, board, coordination = (msgspec.to_builtins(message) for _, message in first)  # as on the wire

    assert swarms["type"] == "swarms" and swarms["v"] == 1 and swarms["now_ts"] == pytest.approx(wall)
    [swarm] = [s for s in swarms["items"] if set(s["tags"]) >= SWARM_TAGS]
    assert swarm["authors"] == 30 and swarm["watchlists"]["acme"] > 0

    assert (board["type"], board["v"], board["watchlist"]) == ("influencers", 1, "acme")
    top = board["items"][0]
    assert top["handle"] == BIG and top["rank"] == 1 and top["journalist"]
    assert {"reach", "resonance", "relevance", "score"} <= set(top)
    assert [row["handle"] for row in board["press"]] == [BIG]

    assert (coordination["type"], coordination["v"]) == ("coordination", 1)
    [cluster] = coordination["clusters"]
    assert set(cluster["accounts"]) == {f"c{k}" for k in range(10)}
    assert coordination["coordinated_mentions"] == 10
    assert isinstance(coordination["accounts"], list)

    assert list(glue.messages(wall + 1)) == []  # within the interval
    # Nothing new: the swarms again (they evolve with time), no board, no coordination.
    assert [key for key, _ in glue.messages(wall + 5)] == ["swarms"]
    glue.observe([enriched("globex is fine", at_s=131, handle="g1", watchlists=("globex",))], wall + 6)
    assert [key for key, _ in glue.messages(wall + 10)] == ["swarms", "globex"]
    # The refresh sends everything, changed or not.
    assert [key for key, _ in glue.messages(wall + 61)] == ["swarms", "acme", "globex", "coordination"]


def counted(batch: list[EnrichedMention], offset: int) -> list[Partial]:
    """What the enrich stage adds to the windows for a batch (one partial per watchlist)."""
    buckets: dict[str, dict[int, Bucket]] = {}
    for item in batch:
        for watchlist in item.watchlists:
            bucket = buckets.setdefault(watchlist, {}).setdefault(
                bucket_of(item.mention.created_ts), empty_bucket()
            )
            bucket[0] += 1
            bucket[LABEL_INDEX[item.label]] += 1
            bucket[SCORE_SUM] += item.score
    return [
        Partial(watchlist=w, partition=0, offset=offset, buckets=b, max_ts=T0_TS + 130)
        for w, b in buckets.items()
    ]


def windows_after(count_coordinated: bool) -> tuple[dict[str, Any], WindowState, list[Partial]]:
    glue = insights(count_coordinated)
    batch = episode()
    state, clock = WindowState(), EventClock(wall=T0_TS + 130)
    for partial in counted(batch, offset=41):
        assert apply_partial(state, partial, clock, grace_s=300)
    newly = glue.observe(batch, T0_TS + 130)
    corrections = glue.corrections(newly, partition=0, offset=7)
    assert [(c.watchlist, c.partition, c.offset) for c in corrections] == [("acme", -1, 7)]
    for correction in corrections:
        assert apply_partial(state, correction, clock, grace_s=300)
    message = msgspec.to_builtins(metrics_message("acme", state, T0_TS + 130, count_coordinated))
    return message, state, corrections


def test_coordinated_mentions_are_counted_and_shown_apart_by_default() -> None:
    message, state, corrections = windows_after(count_coordinated=True)
    window = message["windows"]["15m"]
    assert window["count"] == 371  # every mention of the episode
    assert window["coordinated"] == 10
    assert window["organic"] == 361
    assert message["coordinated_counted"] is True
    # A replay of the same enriched record does not correct twice.
    before = metrics_message("acme", state, T0_TS + 130)
    for correction in corrections:
        assert not apply_partial(state, correction, EventClock(wall=T0_TS + 130), grace_s=300)
    assert metrics_message("acme", state, T0_TS + 130) == before


def test_coordinated_mentions_can_be_left_out_of_volume_and_sentiment() -> None:
    message, _, _ = windows_after(count_coordinated=False)
    window = message["windows"]["15m"]
    assert window["count"] == 361
    assert window["coordinated"] == 10
    assert window["organic"] == 361
    assert window["pos"] + window["neu"] + window["neg"] == 361
    assert window["mean"] == round((60 * 0.4) / 361, 4)  # the campaign's neutral posts are gone too
    assert message["coordinated_counted"] is False


def test_a_mention_no_longer_remembered_is_not_corrected_but_counted_as_missed() -> None:
    glue = insights()
    assert glue.corrections(["never-seen"], partition=0, offset=1) == []
    assert glue.uncorrected == 1


# -- the demo ------------------------------------------------------------------------------------------------

DEMO_T0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


def test_the_demo_shows_a_swarm_forming_and_its_campaign_episode_detected() -> None:
    """Two demo episodes through the glue as the worker runs it: each shows a swarm carrying its new
    hashtag; the first (with a campaign, as one episode in two) has its campaign flagged; the second (no
    campaign) does not have its organic pile-on flagged."""
    generator = DemoGenerator(seed=7, start=DEMO_T0)
    matcher = CompiledWatchlists(demo_watchlists())
    scorer = LinearScorer()
    glue = insights()
    flagged: set[str] = set()
    swarm_tags: dict[str, set[str]] = {}
    clusters: dict[str, dict[str, Any]] = {}
    for second in range(1, 540):
        now = DEMO_T0 + timedelta(seconds=second)
        mentions = generator.batch(now, 1.0)
        matched = [(m, ids) for m in mentions if (ids := matcher.match(m, tokens(m.text)))]
        scores = scorer.score_batch([m.text for m, _ in matched], [m.lang for m, _ in matched])
        batch = [
            EnrichedMention(mention=m, watchlists=ids, score=score, label=label)
            for (m, ids), (score, label) in zip(matched, scores, strict=True)
        ]
        flagged.update(glue.observe(batch, now.timestamp()))
        if second % 5 == 0:
            now_ts = glue.clock.now(now.timestamp())
            for swarm in glue.swarms_message(now_ts).items:
                swarm_tags.setdefault(swarm.id, set()).update(swarm.tags)
        if second % 30 == 0:
            for cluster in glue.coordination_message(glue.clock.now(now.timestamp())).clusters:
                clusters[cluster.id] = msgspec.to_builtins(cluster)
    first, second_episode = generator.episodes[:2]
    assert first.coordinated and not second_episode.coordinated
    assert second_episode.end < DEMO_T0 + timedelta(seconds=540)

    for episode in (first, second_episode):
        assert any(episode.hashtag in tags for tags in swarm_tags.values()), (episode.hashtag, swarm_tags)
    campaign = first.campaign_mention_ids
    assert len(flagged & campaign) >= 0.9 * len(campaign)
    [found] = [c for c in clusters.values() if set(c["accounts"]) <= first.campaign_authors]
    assert found["watchlists"].keys() == {first.watchlist_id}
    organic = second_episode.surge_mention_ids
    assert len(flagged & organic) <= 0.02 * len(organic)


def test_what_the_insights_remember_of_each_mention_is_left_out_of_full_garbage_collections() -> None:
    """The insights process remembers hundreds of thousands of mentions (for corrections, swarms, influence):
    when each was a tracked object, every full collection walked them all and stood the process still for
    200-700 ms at 5,000 mentions/s. What it keeps per mention is now untracked."""
    rng = random.Random(1)
    glue = insights()

    def batch(first: int) -> list[EnrichedMention]:
        return [
            enriched(
                f"post {i} about acme #tag{i % 50} #x{rng.randint(0, 200)} words {rng.random()}",
                at_s=i * 0.01,
                handle=f"user{i % 3000}",
                followers=rng.randint(0, 10_000),
            )
            for i in range(first, first + 1000)
        ]

    glue.observe(batch(0))
    gc.collect()
    before = len(gc.get_objects())
    for first in range(1000, 10_000, 1000):
        glue.observe(batch(first))
    gc.collect()
    added_per_mention = (len(gc.get_objects()) - before) / 9000
    assert added_per_mention < 0.1, added_per_mention  # 3.1 when they were named tuples and slotted classes
