"""Test streams: a builder of enriched mentions, and seeded streams with planted swarms and campaigns.

The planted stream mixes organic noise (many accounts with ordinary audiences, varied texts, hashtags drawn
from a long tail plus a hub brand tag, and organic copy-paste pile-ons that are not campaigns) with:
- swarms: a few new hashtags that a group of 30-80 ordinary accounts use together for 6-12 minutes;
- campaigns: 15-60 fresh accounts with tiny audiences posting variants of one text 1-4 times each within
  one to two minutes (70 % keep each base word, links, numbers and emoji vary).
Ground truth is kept for both.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.ingest.records import Author, Engagement, Mention
from services.understanding.enrich import EnrichedMention
from services.understanding.text import extract_hashtags

T0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
T0_TS = T0.timestamp()
_counter = iter(range(10**12))


def enriched(
    text: str,
    *,
    at_s: float,
    handle: str,
    followers: int = 100,
    watchlists: tuple[str, ...] = ("acme",),
    score: float = 0.0,
    engagement: int = 0,
    bio: str | None = None,
    domain: str | None = None,
    hashtags: list[str] | None = None,
    mention_id: str | None = None,
) -> EnrichedMention:
    """One enriched mention `at_s` seconds after T0 (hashtags taken from the text unless given)."""
    mention = Mention(
        id=mention_id or f"m{next(_counter)}",
        source="test",
        text=text,
        author=Author(handle=handle, id=handle, followers=followers, bio=bio, domain=domain),
        created_at=T0 + timedelta(seconds=at_s),
        engagement=Engagement(likes=engagement),
        hashtags=hashtags if hashtags is not None else extract_hashtags(text),
    )
    label = "pos" if score > 0.05 else "neg" if score < -0.05 else "neu"
    return EnrichedMention(mention=mention, watchlists=list(watchlists), score=score, label=label)


@dataclass
class PlantedSwarm:
    tags: frozenset[str]
    authors: set[str]
    start_s: float
    end_s: float


@dataclass
class PlantedCampaign:
    accounts: set[str]
    mention_ids: set[str] = field(default_factory=set)


@dataclass
class PlantedStream:
    batches: list[list[EnrichedMention]]
    swarms: list[PlantedSwarm]
    campaigns: list[PlantedCampaign]
    duration_s: float


def _words(rng: random.Random, vocabulary: list[str], count: int) -> list[str]:
    return [rng.choice(vocabulary) for _ in range(count)]


def planted_stream(
    seed: int,
    *,
    duration_s: float = 2400.0,
    rate_per_s: float = 8.0,
    swarms: int = 8,
    campaigns: int = 8,
    pile_ons: int = 12,
    batch_s: float = 1.0,
) -> PlantedStream:
    rng = random.Random(seed)
    # Letters only: the normalisation of copy-paste detection drops numbers.
    vocabulary = sorted(
        {"".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(3000)}
    )
    tag_pool = [f"topic{index}" for index in range(1500)]
    tag_weights = [1.0 / (rank + 1) for rank in range(len(tag_pool))]
    pool = [(f"user{index}", int(rng.lognormvariate(4.6, 1.25))) for index in range(5000)]
    items: list[tuple[float, EnrichedMention]] = []

    def post(at_s: float, text: str, handle: str, followers: int, **extra: object) -> EnrichedMention:
        item = enriched(
            text,
            at_s=at_s,
            handle=handle,
            followers=followers,
            score=rng.uniform(-1, 1),
            engagement=int(rng.lognormvariate(1.0, 1.0)),
            **extra,  # type: ignore[arg-type]
        )
        items.append((at_s, item))
        return item

    # Organic noise.
    for _ in range(int(duration_s * rate_per_s)):
        at = rng.uniform(0, duration_s)
        handle, followers = rng.choice(pool)
        tags: list[str] = []
        if rng.random() < 0.5:
            tags = rng.choices(tag_pool, weights=tag_weights, k=rng.randint(1, 2))
        if rng.random() < 0.25:
            tags.append("acme")
        text = " ".join(_words(rng, vocabulary, rng.randint(6, 16))) + "".join(f" #{t}" for t in tags)
        post(at, text, handle, followers)
    # Organic pile-ons: ordinary accounts repeating a phrase (quotes, "RT if..."), not campaigns.
    for index in range(pile_ons):
        phrase = _words(rng, vocabulary, rng.randint(8, 14))
        start = rng.uniform(0, duration_s - 300)
        for _ in range(rng.randint(15, 50)):
            handle, followers = rng.choice(pool)
            words = [w if rng.random() < 0.9 else rng.choice(vocabulary) for w in phrase]
            post(start + rng.uniform(0, 300), " ".join(words) + f" #pile{index}x", handle, followers)
    # Planted swarms.
    planted_swarms: list[PlantedSwarm] = []
    for index in range(swarms):
        tags = [f"swarm{index}tag{k}" for k in range(rng.randint(3, 5))]
        members = rng.sample(pool, rng.randint(30, 80))
        start = rng.uniform(0, duration_s - 900)
        length = rng.uniform(360, 720)
        for handle, followers in members:
            for _ in range(rng.randint(1, 3)):
                chosen = rng.sample(tags, rng.randint(2, min(4, len(tags))))
                if rng.random() < 0.3:
                    chosen.append("acme")
                text = " ".join(_words(rng, vocabulary, rng.randint(6, 14))) + "".join(
                    f" #{t}" for t in chosen
                )
                post(start + rng.uniform(0, length), text, handle, followers)
        planted_swarms.append(
            PlantedSwarm(frozenset(tags), {handle for handle, _ in members}, start, start + length)
        )
    # Planted campaigns.
    planted_campaigns: list[PlantedCampaign] = []
    for index in range(campaigns):
        base = _words(rng, vocabulary, rng.randint(10, 16))
        alternatives = {slot: _words(rng, vocabulary, 3) for slot in rng.sample(range(len(base)), 3)}
        accounts = [
            (f"camp{index}_{k}_{rng.randrange(10**6)}", rng.randint(0, 25))
            for k in range(rng.randint(15, 60))
        ]
        start = rng.uniform(0, duration_s - 300)
        length = rng.uniform(60, 120)
        campaign = PlantedCampaign({handle for handle, _ in accounts})
        for handle, followers in accounts:
            for _ in range(rng.randint(1, 4)):
                words = [
                    rng.choice(alternatives[slot]) if slot in alternatives and rng.random() < 0.3 else word
                    for slot, word in enumerate(base)
                ]
                text = (
                    " ".join(words)
                    + f" https://t.example/{rng.randrange(10**8)} {rng.randint(1, 99)}% "
                    + rng.choice(("", "😡", "👎", "🤬"))
                    + f" #boycott{index}"
                )
                item = post(start + rng.uniform(0, length), text, handle, followers)
                campaign.mention_ids.add(item.mention.id)
        planted_campaigns.append(campaign)
    items.sort(key=lambda pair: pair[0])
    batches: list[list[EnrichedMention]] = []
    cursor = 0
    steps = int(duration_s / batch_s) + 1
    for step in range(1, steps + 1):
        end = step * batch_s
        batch = []
        while cursor < len(items) and items[cursor][0] < end:
            batch.append(items[cursor][1])
            cursor += 1
        batches.append(batch)
    return PlantedStream(batches, planted_swarms, planted_campaigns, duration_s)
