"""Influence boards: three pillars apart, a combined rank, journalists and media flagged and filterable."""

from __future__ import annotations

import pytest

from services.insights.influence import InfluenceBoard, reach_of, relevance_of, resonance_of
from services.insights.media import MediaClassifier
from tests.services.planted import enriched


@pytest.mark.parametrize(
    ("handle", "bio", "domain", "journalist", "media"),
    [
        ("jdoe", "Reporter, Metro Courier. Views my own.", None, True, False),
        ("marie", "Rédactrice économie — Le Fil Info", "lefil-info.fr", True, False),
        ("ana", "Periodista de tecnología", None, True, False),
        ("morningledger", "News, analysis and live coverage.", "morningledger.news", False, True),
        ("someone", None, "https://www.techwiredaily.com/about", False, True),
        ("baker", "Coffee addict. Dad of two.", "bakery.example", False, False),
        ("reporters_fan", "I love journalism", None, False, False),
    ],
)
def test_journalists_and_media_are_flagged(
    handle: str, bio: str | None, domain: str | None, journalist: bool, media: bool
) -> None:
    flags = MediaClassifier().classify(handle, bio, domain)
    assert (flags.journalist, flags.media) == (journalist, media)


def test_configured_lists_extend_the_built_in_ones() -> None:
    classifier = MediaClassifier(handles=["dailyplanet"], domains=["planet.example"], bio_words=["Stringer"])
    assert classifier.classify("DailyPlanet", None, None).media
    assert classifier.classify("x", None, "news.planet.example").media
    assert classifier.classify("y", "Freelance stringer", None).journalist
    assert not classifier.classify("z", "Reporter", None).journalist  # built-ins replaced when lists given


@pytest.mark.parametrize(("followers", "expected"), [(0, 0.0), (9, 1 / 7), (9_999_999, 1.0), (10**9, 1.0)])
def test_reach_is_log_of_audience(followers: int, expected: float) -> None:
    assert reach_of(followers) == pytest.approx(expected)


def test_resonance_and_relevance_scales() -> None:
    assert resonance_of(0.01 * 1010, 1000) == pytest.approx(0.5)  # 1 % engagement rate
    assert resonance_of(0, 1000) == 0.0
    assert resonance_of(50, 90) > resonance_of(
        50, 90_000
    )  # the same engagement means more from a small audience
    assert relevance_of(1, 1) == pytest.approx(0.5)
    assert relevance_of(10, 10) == pytest.approx(10 / 11)


def test_board_ranks_on_the_three_pillars_and_filters_the_press() -> None:
    board = InfluenceBoard()
    batch = [
        # A journalist with a large audience, on topic.
        *[
            enriched(
                f"Acme story {i}",
                at_s=i,
                handle="jdoe",
                followers=80_000,
                bio="Journalist at Metro Courier",
                engagement=400,
            )
            for i in range(3)
        ],
        # A small account whose posts get a lot of engagement.
        *[
            enriched(f"acme thread {i}", at_s=i, handle="smallbutloud", followers=300, engagement=60)
            for i in range(3)
        ],
        # A big account that mostly talks about the rival.
        enriched("acme once", at_s=1, handle="celebrity", followers=2_000_000, engagement=100),
        *[
            enriched(f"rival {i}", at_s=i, handle="celebrity", followers=2_000_000, watchlists=("rival",))
            for i in range(9)
        ],
        enriched("acme", at_s=2, handle="quiet", followers=50),
    ]
    board.observe(batch)
    rows = board.board("acme", limit=10)
    by_handle = {row.handle: row for row in rows}
    assert [row.rank for row in rows] == list(range(1, len(rows) + 1))
    assert rows[0].handle == "jdoe"
    assert by_handle["celebrity"].reach > by_handle["jdoe"].reach
    assert by_handle["celebrity"].relevance < 0.2
    assert by_handle["smallbutloud"].resonance > by_handle["jdoe"].resonance
    assert by_handle["quiet"].rank == len(rows)
    assert by_handle["jdoe"].journalist and not by_handle["celebrity"].journalist
    assert all(0.0 <= value <= 1.0 for row in rows for value in (row.reach, row.resonance, row.relevance))
    press = board.board("acme", journalists_only=True)
    assert [row.handle for row in press] == ["jdoe"]
    assert press[0].rank == 1
    assert board.board("rival")[0].handle == "celebrity"


def test_posts_decay_and_silent_authors_expire() -> None:
    board = InfluenceBoard(half_life_s=600)
    board.observe([enriched("acme", at_s=0, handle="early"), enriched("acme", at_s=0, handle="early")])
    assert board.board("acme", now_ts=board.now_ts)[0].posts == pytest.approx(2)
    assert board.board("acme", now_ts=board.now_ts + 600)[0].posts == pytest.approx(1)
    board.observe([enriched("acme", at_s=3000, handle="late")])
    assert [row.handle for row in board.board("acme")] == ["late"]


def test_state_stays_bounded_whatever_the_stream() -> None:
    board = InfluenceBoard(max_authors=500, max_known_authors=5000)
    for start in range(0, 200_000, 2000):
        board.observe(
            [
                enriched(
                    "acme",
                    at_s=i * 0.001,
                    handle=f"h{i}",
                    followers=i % 1000,
                    watchlists=("acme", f"w{i % 3}"),
                )
                for i in range(start, start + 2000)
            ]
        )
    sizes = board.tracked
    assert sizes["authors"] <= 5000
    assert all(size <= 1.5 * 500 for key, size in sizes.items() if key.startswith("board:"))
