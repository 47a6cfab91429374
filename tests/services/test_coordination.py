"""Coordination: near-duplicate bursts from throwaway accounts, automation signs, bounded state."""

from __future__ import annotations

import random

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.insights.coordination import (
    _ADD,
    _MUL,
    PERMUTATIONS,
    CoordinationDetector,
    CoordinationSnapshot,
    normalise,
    shingles,
    signature,
    signatures,
    similarity,
)
from services.understanding.enrich import EnrichedMention
from tests.services.planted import T0_TS, enriched

TEMPLATE = "Everyone needs to know what Acme is doing to its customers, zero refunds and zero answers"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Boycott @Acme NOW!! 😡 https://x.example/a?b=1 #Acme 20%", "boycott now"),
        ("Élan Café, l'appli RÉDACTRICE", "elan cafe l'appli redactrice"),
        ("www.site.example 123 456", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def minhash(normalised: str) -> list[int]:
    """The 32 MinHash values of a text, one multiply-shift hash function at a time (the definition)."""
    values = set(shingles(normalised))
    return [
        min(((value * int(mul) + int(add)) % 2**64) >> 32 for value in values)
        for mul, add in zip(_MUL, _ADD, strict=True)
    ]


def packed(lane_values: list[int]) -> int:
    return sum(value << (32 * i) for i, value in enumerate(lane_values))


def lanes(sig: int) -> list[int]:
    return [(sig >> (32 * i)) & 0xFFFFFFFF for i in range(PERMUTATIONS)]


def test_a_signature_holds_each_hash_functions_minimum_in_its_lane() -> None:
    texts = [normalise(TEMPLATE), "one", "élan café", normalise("Flying to Lisbon tomorrow with Acme")]
    for text, (sig, keys) in zip(texts, signatures(texts), strict=True):
        assert lanes(sig) == minhash(text)
        assert signature(text) == sig
        assert len(keys) == 16


values = st.integers(0, 2**32 - 1)


@given(
    st.lists(values, min_size=PERMUTATIONS, max_size=PERMUTATIONS),
    st.lists(st.one_of(st.none(), st.integers(0, 31), values), min_size=PERMUTATIONS, max_size=PERMUTATIONS),
)
def test_similarity_is_the_share_of_equal_values(first: list[int], changes: list[int | None]) -> None:
    """Each value kept (None), one bit flipped (0 to 31: the lowest and highest bits of a lane included)
    or replaced."""
    second = [
        value if change is None else value ^ (1 << change) if change < 32 else change
        for value, change in zip(first, changes, strict=True)
    ]
    equal = sum(a == b for a, b in zip(first, second, strict=True))
    assert similarity(packed(first), packed(second)) == equal / PERMUTATIONS


def test_variants_of_a_text_are_near_duplicates_and_other_texts_are_not() -> None:
    base = signature(normalise(TEMPLATE))
    variant = signature(normalise(TEMPLATE.replace("zero answers", "no answers") + " 🤬 https://t.example/1"))
    other = signature(normalise("Flying to Lisbon tomorrow with Acme, any tips for the terminal"))
    assert similarity(base, variant) >= 0.5
    assert similarity(base, other) < 0.2


def campaign(accounts: int, followers: int, start_s: float = 0.0, prefix: str = "c") -> list[EnrichedMention]:
    rng = random.Random(accounts)
    return [
        enriched(
            TEMPLATE + rng.choice(["", " 😡", " Never again.", " https://x.example/9"]),
            at_s=start_s + k * 2,
            handle=f"{prefix}{k % accounts}",
            followers=followers,
            watchlists=("acme",),
        )
        for k in range(accounts * 2)
    ]


def test_a_burst_from_tiny_accounts_is_coordinated_and_its_earlier_mentions_are_flagged_too() -> None:
    detector = CoordinationDetector()
    items = campaign(12, followers=3)
    flagged = detector.observe(items)
    assert set(flagged) == {item.mention.id for item in items}
    assert all(detector.is_coordinated(item.mention.id) for item in items)
    assert detector.is_coordinated(author="c3", text=TEMPLATE + " !!")
    assert not detector.is_coordinated(author="someone_else", text=TEMPLATE)
    (cluster,) = detector.snapshot().clusters
    assert cluster.account_count == 12
    assert cluster.mentions == 24
    assert cluster.reach == 12 * 3
    assert cluster.watchlists == {"acme": 24}
    assert cluster.template == normalise(TEMPLATE)
    assert cluster.span_s == pytest.approx(46)
    snapshot = detector.snapshot()
    assert msgspec.json.decode(msgspec.json.encode(snapshot), type=CoordinationSnapshot) == snapshot


@pytest.mark.parametrize(
    ("accounts", "followers", "coordinated"),
    [
        (12, 3, True),  # throwaway accounts
        (12, 800, False),  # an organic pile-on of ordinary people repeating a phrase
        (5, 3, False),  # too few accounts
    ],
)
def test_what_is_coordinated(accounts: int, followers: int, coordinated: bool) -> None:
    detector = CoordinationDetector()
    detector.observe(campaign(accounts, followers))
    assert bool(detector.snapshot().clusters) is coordinated


def test_the_same_text_against_two_brands_makes_two_clusters() -> None:
    detector = CoordinationDetector()
    items = campaign(10, 2)
    for item in campaign(10, 2, prefix="d"):
        item.watchlists = ["rival"]
        items.append(item)
    detector.observe(items)
    assert sorted(list(c.watchlists) for c in detector.snapshot().clusters) == [["acme"], ["rival"]]


def test_a_cluster_keeps_its_id_and_is_listed_after_it_ends() -> None:
    detector = CoordinationDetector()
    detector.observe(campaign(10, 2))
    first = detector.snapshot().clusters[0].id
    detector.observe(campaign(20, 2, start_s=60))
    assert [c.id for c in detector.snapshot().clusters] == [first]
    detector.observe([enriched("something else entirely", at_s=2000, handle="late")])
    assert [c.id for c in detector.snapshot().clusters] == [first]  # finished, still listed
    assert not detector.is_coordinated("an-unknown-id")


def test_automated_accounts_are_tiny_and_fast() -> None:
    detector = CoordinationDetector()
    items = [
        enriched(f"deal number {i} alpha beta", at_s=i * 10, handle="bot", followers=2) for i in range(6)
    ]
    items += [enriched(f"slow poster {i} gamma", at_s=i * 100, handle="slow", followers=2) for i in range(6)]
    items += [enriched(f"big fast {i} delta", at_s=i * 10, handle="big", followers=5000) for i in range(6)]
    detector.observe(items)
    automated = detector.snapshot(T0_TS + 60).automated
    assert [a.handle for a in automated] == ["bot"]
    assert (
        automated[0].posts_per_min == 6.0
    )  # six posts within 50 s: the rate is taken over a minute at least


def test_state_stays_bounded_whatever_the_stream() -> None:
    detector = CoordinationDetector(max_clusters=2000, max_tracked_accounts=1000)
    rng = random.Random(1)
    words = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=6)) for _ in range(5000)]
    for start in range(0, 200_000, 2000):
        detector.observe(
            [
                enriched(" ".join(rng.choices(words, k=8)), at_s=i * 0.001, handle=f"h{i}", followers=i % 30)
                for i in range(start, start + 2000)
            ]
        )
    sizes = detector.tracked
    assert sizes["clusters"] <= 2000
    assert sizes["bands"] <= 2000 * 16 * detector.max_wordings
    assert sizes["exact_texts"] <= 2000 * detector.max_texts
    assert sizes["accounts"] <= 1000


def test_a_stream_is_judged_the_same_in_one_batch_or_mention_by_mention() -> None:
    """Signatures are computed per batch: batching must not change which mentions are found, nor the
    clusters (the same text in two scopes of one batch included)."""
    items = campaign(12, 3) + campaign(9, 3, start_s=5, prefix="r")
    for item in items[-18:]:
        item.watchlists = ["rival"]
    items += [
        enriched(f"unrelated post number {k} about the weather", at_s=k, handle=f"o{k}") for k in range(20)
    ]
    whole, single = CoordinationDetector(), CoordinationDetector()
    flagged_whole = whole.observe(items)
    flagged_single = [mention_id for item in items for mention_id in single.observe([item])]
    assert sorted(flagged_whole) == sorted(flagged_single)
    assert len(flagged_whole) == 24 + 18
    assert whole.snapshot() == single.snapshot()
    assert whole.tracked == single.tracked
