"""Swarms: communities of co-used hashtags, with stable ids, states, figures and bounded state."""

from __future__ import annotations

import random

import msgspec
import pytest

from services.insights.swarms import Swarm, SwarmTracker, poisson_tail
from services.understanding.enrich import EnrichedMention
from tests.services.planted import T0_TS, enriched


def test_a_swarm_keeps_its_id_while_it_grows_from_2_tags_and_5_authors_to_6_tags_and_200_authors() -> None:
    rng = random.Random(5)
    tracker = SwarmTracker()
    tags = [f"wave{i}" for i in range(6)]
    ids: set[str] = set()
    states: list[str] = []
    sizes: list[tuple[int, int]] = []
    for minute in range(20):
        authors = 5 + minute * 195 // 19
        used = tags[: 2 + minute * 4 // 19]
        batch = [
            enriched(
                "riding the wave " + " ".join(f"#{t}" for t in rng.sample(used, min(4, len(used)))),
                at_s=minute * 60 + rng.uniform(0, 60),
                handle=f"fan{k % authors}",
            )
            for k in range(authors * 2)
        ]
        # Around it, the rest of the stream: other people, other tags.
        batch += [
            enriched(f"#other{rng.randrange(300)}", at_s=minute * 60 + rng.uniform(0, 60), handle=f"bg{i}")
            for i in range(300)
        ]
        tracker.observe(batch)
        swarms = tracker.snapshot(T0_TS + (minute + 1) * 60)
        assert len(swarms) == 1, (minute, [s.tags for s in swarms])
        ids.add(swarms[0].id)
        states.append(swarms[0].state)
        sizes.append((swarms[0].tag_count, swarms[0].authors))
    assert len(ids) == 1
    assert sizes[0] == (2, 5)
    assert sizes[-1] == (6, 200)
    assert states[0] == "emerging"
    assert "growing" in states


def background(count: int, at_s: float = 0.0) -> list[EnrichedMention]:
    """Other people using other tags, as in any real stream (lift is measured against them)."""
    return [enriched(f"#misc{i % 50}", at_s=at_s + i * 0.1, handle=f"bg{i}") for i in range(count)]


def test_a_swarm_fades_when_its_authors_stop() -> None:
    tracker = SwarmTracker()
    batch = [enriched(f"#alpha #beta {i}", at_s=i, handle=f"a{i}") for i in range(40)] + background(300)
    tracker.observe(batch)
    first = tracker.snapshot(T0_TS + 60)
    assert [s.state for s in first] == ["emerging"]
    later = tracker.snapshot(T0_TS + 700)
    assert [s.id for s in later] == [first[0].id]
    assert later[0].state == "fading"
    assert tracker.snapshot(T0_TS + 2000) == []  # gone after the window


def test_figures_count_distinct_authors_once() -> None:
    tracker = SwarmTracker()
    batch = []
    for i in range(10):
        for repeat in range(3):  # each author posts three times, both tags each time
            batch.append(
                enriched(
                    "#red #blue",
                    at_s=i * 10 + repeat,
                    handle=f"p{i}",
                    followers=100 * (i + 1),
                    score=0.5 if i < 5 else -0.5,
                    watchlists=("acme", "rival") if i == 0 else ("acme",),
                )
            )
    tracker.observe(batch + background(300))
    (swarm,) = tracker.snapshot(T0_TS + 120)
    assert swarm.authors == 10
    assert swarm.mentions == 30
    assert swarm.reach == sum(100 * (i + 1) for i in range(10))
    assert swarm.sentiment == pytest.approx(0.0)
    assert swarm.mentions_per_min == pytest.approx(30 / 15)
    assert swarm.top_authors[0].handle == "p9"
    assert swarm.top_authors[0].posts == 3
    assert swarm.watchlists == {"acme": 30, "rival": 3}
    assert sorted(swarm.tags) == ["blue", "red"]
    assert swarm.growth is None  # nothing in the previous window
    assert msgspec.json.decode(msgspec.json.encode(swarm), type=Swarm) == swarm


@pytest.mark.parametrize(
    ("posts", "expected"),
    [
        # A hub tag used by everyone does not join two unrelated swarms.
        (
            [("#hub #a1 #a2", "x", 12), ("#hub #b1 #b2", "y", 12), ("#hub", "z", 200)],
            [["a1", "a2"], ["b1", "b2"]],
        ),
        # Four authors are not enough for a link (min_edge_authors = 5).
        ([("#c1 #c2", "x", 4)], []),
        # Single tags make no swarm.
        ([("#solo", "x", 50)], []),
    ],
)
def test_what_makes_a_swarm(posts: list[tuple[str, str, int]], expected: list[list[str]]) -> None:
    tracker = SwarmTracker()
    batch = [
        enriched(text, at_s=i, handle=f"{prefix}{i}") for text, prefix, count in posts for i in range(count)
    ]
    tracker.observe(batch + background(300))
    assert sorted(sorted(s.tags) for s in tracker.snapshot(T0_TS + 60)) == expected


def test_growth_compares_with_the_previous_window() -> None:
    tracker = SwarmTracker()
    tracker.observe([enriched("#g1 #g2", at_s=i * 10, handle=f"u{i}") for i in range(10)] + background(300))
    tracker.observe(
        [enriched("#g1 #g2", at_s=900 + i * 5, handle=f"u{i}") for i in range(30)] + background(300, 900)
    )
    (swarm,) = tracker.snapshot(T0_TS + 1050)
    assert swarm.growth == pytest.approx((30 - 10) / 10)


def test_poisson_tail() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 0.5) == pytest.approx(1 - 2.718281828**-0.5)
    assert poisson_tail(5, 0.005) < 1e-12


def test_state_stays_bounded_whatever_the_stream() -> None:
    tracker = SwarmTracker(max_tags=1000, max_edges=2000, max_mentions=5000, max_authors=3000)
    for start in range(0, 200_000, 1000):
        tracker.observe(
            [
                enriched(f"#t{i} #u{i} #v{i % 97}", at_s=i * 0.01, handle=f"h{i}")
                for i in range(start, start + 1000)
            ]
        )
    sizes = tracker.tracked
    assert sizes["tags"] <= 1.2 * 1000
    assert sizes["edges"] <= 1.2 * 2000
    assert sizes["mentions"] <= 5000
    assert sizes["authors"] <= 3000
    assert sizes["tag_authors"] <= 1.2 * 1000 * tracker.max_authors_per_tag
    tracker.snapshot()
    assert tracker.tracked["swarms"] <= tracker.max_swarms
