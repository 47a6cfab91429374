"""The demo source: deterministic, valid, bilingual mentions with scripted episodes and their ground truth."""

from __future__ import annotations

import functools
import math
import random
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import combinations, pairwise

import msgspec
import pytest

from services.demo import DemoGenerator, Episode, demo_watchlists
from services.ingest.records import Mention, parse_mention
from services.understanding.text import fold, tokens
from services.understanding.watchlists import Watchlist

T0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
RUN_S = 1100
STEP_S = 5


def run(generator: DemoGenerator, seconds: int, step: float = STEP_S) -> list[Mention]:
    mentions: list[Mention] = []
    for i in range(1, math.ceil(seconds / step) + 1):
        mentions.extend(generator.batch(T0 + timedelta(seconds=i * step), step))
    return mentions


@pytest.fixture(scope="module")
def demo() -> tuple[DemoGenerator, list[Mention]]:
    generator = DemoGenerator(seed=11, start=T0)
    return generator, run(generator, RUN_S)


def in_window(mentions: list[Mention], start: datetime, end: datetime) -> list[Mention]:
    assert all(m.created_at is not None for m in mentions)
    return [m for m in mentions if m.created_at is not None and start <= m.created_at < end]


folded = functools.cache(fold)


def matches(mention: Mention, watchlist: Watchlist) -> bool:
    """Whether a watchlist keyword occurs in the text, or one of its handles is @mentioned or posts."""
    text = folded(mention.text)
    return any(folded(keyword) in text for keyword in watchlist.keywords) or any(
        handle in (mention.mentions or []) or handle == mention.author.handle for handle in watchlist.handles
    )


def jaccard(a: str, b: str) -> float:
    left, right = set(tokens(a)), set(tokens(b))
    return len(left & right) / len(left | right)


def mean_similarity(texts: list[str], pairs: int = 400) -> float:
    rng = random.Random(0)
    samples = [rng.sample(texts, 2) for _ in range(pairs)]
    return sum(jaccard(a, b) for a, b in samples) / len(samples)


def complete_episodes(generator: DemoGenerator) -> list[Episode]:
    return [episode for episode in generator.episodes if episode.end <= T0 + timedelta(seconds=RUN_S)]


# -- watchlists ---------------------------------------------------------------------------------------------


def test_watchlists_are_valid_and_competitors_share_a_group() -> None:
    watchlists = demo_watchlists()
    assert 4 <= len(watchlists) <= 6
    assert len({w.id for w in watchlists}) == len(watchlists)
    for watchlist in watchlists:
        assert msgspec.convert(msgspec.to_builtins(watchlist), Watchlist) == watchlist
        assert watchlist.keywords and watchlist.hashtags and watchlist.handles
        assert watchlist.name.split()[0] in watchlist.keywords[0]
        assert watchlist.color is not None and re.fullmatch(r"#[0-9a-f]{6}", watchlist.color)
    groups = {w.group for w in watchlists if w.kind == "competitor"}
    assert groups
    for group in groups:
        kinds = Counter(w.kind for w in watchlists if w.group == group)
        assert kinds["brand"] >= 1 and kinds["competitor"] >= 1


# -- the stream ---------------------------------------------------------------------------------------------


def test_same_seed_same_stream_whatever_the_slicing() -> None:
    fine = run(DemoGenerator(seed=3, start=T0), 90, step=0.5)
    again = run(DemoGenerator(seed=3, start=T0), 90, step=0.5)
    coarse = DemoGenerator(seed=3, start=T0).batch(T0 + timedelta(seconds=90), 90)
    other = run(DemoGenerator(seed=4, start=T0), 90, step=0.5)
    encode = msgspec.json.encode
    assert encode(fine) == encode(again)
    assert encode(fine) == encode(coarse)
    assert [m.text for m in fine] != [m.text for m in other]


def test_every_mention_is_valid_and_survives_a_round_trip(demo: tuple[DemoGenerator, list[Mention]]) -> None:
    _, mentions = demo
    end = T0 + timedelta(seconds=RUN_S)
    for mention in mentions:
        decoded = msgspec.json.decode(msgspec.json.encode(mention))
        assert parse_mention(decoded, received_at=end) == mention
        for derived in ("hashtags", "mentions", "links"):  # the generator extracts what parse_mention would
            del decoded[derived]
        assert parse_mention(decoded, received_at=end) == mention
        assert mention.source == "demo"
        assert mention.lang in ("en", "fr")
        assert mention.url and mention.url.startswith("https://")
        assert mention.created_at is not None and mention.created_at.utcoffset() == timedelta(0)
        assert T0 < mention.created_at <= end
        assert mention.author.id and mention.author.handle
    assert len({m.id for m in mentions}) == len(mentions)


def test_batches_cover_their_window_only_once() -> None:
    generator = DemoGenerator(seed=5, start=T0)
    seen: set[str] = set()
    now = T0
    for step in (0.3, 2.0, 0.7, 5.0, 1.0) * 6:
        previous, now = now, now + timedelta(seconds=step)
        batch = generator.batch(now, step)
        assert all(previous < m.created_at <= now for m in batch if m.created_at is not None)
        assert [m.created_at for m in batch] == sorted(m.created_at for m in batch if m.created_at)
        assert not seen & {m.id for m in batch}
        seen |= {m.id for m in batch}
    assert generator.batch(now, 0) == []
    assert seen


def test_both_languages_roughly_sixty_forty(demo: tuple[DemoGenerator, list[Mention]]) -> None:
    _, mentions = demo
    langs = Counter(m.lang for m in mentions)
    assert 0.25 <= langs["fr"] / len(mentions) <= 0.5
    assert any(re.search(r"[éèàçê]", m.text) for m in mentions if m.lang == "fr")


@pytest.mark.parametrize("rate", [5.0, 40.0])
def test_rate_matches_without_episodes(rate: float) -> None:
    generator = DemoGenerator(seed=2, rate_per_s=rate, episode_every_s=math.inf, start=T0)
    mentions = run(generator, 600, step=10)
    assert abs(len(mentions) / 600 - rate) <= 0.06 * rate
    assert generator.episodes == []


def test_each_watchlist_gets_mentions_and_some_talk_matches_none(
    demo: tuple[DemoGenerator, list[Mention]],
) -> None:
    _, mentions = demo
    watchlists = demo_watchlists()
    counts = {w.id: sum(matches(m, w) for m in mentions) for w in watchlists}
    for watchlist_id, count in counts.items():
        assert count >= 0.05 * len(mentions), watchlist_id
    unmatched = [m for m in mentions if not any(matches(m, w) for w in watchlists)]
    assert 0.08 <= len(unmatched) / len(mentions) <= 0.25
    by_id = {w.id: w for w in watchlists}
    both = [m for m in mentions if matches(m, by_id["aerolis"]) and matches(m, by_id["skyvane"])]
    assert len(both) >= 20


def test_authors_recur_with_heavy_tailed_audiences(demo: tuple[DemoGenerator, list[Mention]]) -> None:
    _, mentions = demo
    authors = {m.author.handle: m.author for m in mentions}
    assert len(authors) < len(mentions) / 3
    followers = sorted(a.followers for a in authors.values())
    assert followers[len(followers) // 2] < 1000
    assert followers[-1] >= 100_000
    bios = [a.bio or "" for a in authors.values()]
    assert any(re.search(r"Journalist|Reporter|Journaliste|Rédact", bio) for bio in bios)
    assert any(a.domain for a in authors.values())
    assert all(re.fullmatch(r"[a-z0-9_.]+", handle) for handle in authors)
    small = [m.engagement.total for m in mentions if m.author.followers < 1_000]
    large = [m.engagement.total for m in mentions if m.author.followers >= 10_000]
    assert sum(large) / len(large) > 10 * sum(small) / len(small)


def test_texts_carry_hashtags_mentions_links_and_emoji(demo: tuple[DemoGenerator, list[Mention]]) -> None:
    _, mentions = demo
    n = len(mentions)
    assert sum(bool(m.hashtags) for m in mentions) > 0.3 * n
    assert sum(bool(m.mentions) for m in mentions) > 0.1 * n
    assert sum(bool(m.links) for m in mentions) > 0.02 * n
    assert sum(bool(re.search("[\U0001f300-\U0001faff]", m.text)) for m in mentions) > 0.2 * n
    assert len({m.text for m in mentions}) > 0.5 * n


# -- episodes -----------------------------------------------------------------------------------------------


def test_episodes_follow_the_schedule(demo: tuple[DemoGenerator, list[Mention]]) -> None:
    generator, _ = demo
    episodes = generator.episodes
    assert len(episodes) == 5
    assert timedelta(seconds=45) <= episodes[0].start - T0 <= timedelta(seconds=90)
    for before, after in pairwise(episodes):
        assert timedelta(seconds=220) <= after.start - before.start <= timedelta(seconds=260)
        assert before.watchlist_id != after.watchlist_id
        assert before.end <= after.start
    for episode in episodes:
        assert timedelta(seconds=120) <= episode.end - episode.start <= timedelta(seconds=240)
    ids = {w.id for w in demo_watchlists()}
    assert {e.watchlist_id for e in episodes} <= ids
    assert len({e.watchlist_id for e in episodes}) == 5
    assert len({e.hashtag for e in episodes}) == len(episodes)
    assert [e.coordinated for e in episodes] == [True, False, True, False, True]


def test_an_episode_raises_its_brand_and_spreads_a_new_hashtag(
    demo: tuple[DemoGenerator, list[Mention]],
) -> None:
    generator, mentions = demo
    watchlists = {w.id: w for w in demo_watchlists()}
    episodes = complete_episodes(generator)
    assert len(episodes) >= 4
    for episode in episodes:
        watchlist = watchlists[episode.watchlist_id]
        # One episode per brand in the run: outside it, the brand is in ordinary times.
        span_s = (episode.end - episode.start).total_seconds()
        during = in_window(mentions, episode.start, episode.end)
        during_ids = {m.id for m in during}
        quiet = sum(matches(m, watchlist) for m in mentions if m.id not in during_ids) / (RUN_S - span_s)
        assert sum(matches(m, watchlist) for m in during) / span_s > 2.5 * quiet, episode.display_tag
        tagged = [m for m in mentions if episode.hashtag in (m.hashtags or [])]
        assert tagged and all(episode.start <= m.created_at < episode.end for m in tagged if m.created_at)
        assert episode.display_tag.lower() == f"#{episode.hashtag}"
        assert len({m.author.handle for m in tagged}) >= 50
        assert {m.id for m in tagged} <= episode.surge_mention_ids
        surge = [m for m in during if m.id in episode.surge_mention_ids]
        assert all(matches(m, watchlist) for m in surge)


def test_episode_talk_is_clearly_negative() -> None:
    vader = pytest.importorskip("services.understanding.sentiment.vader")
    generator = DemoGenerator(seed=8, start=T0)
    mentions = run(generator, 600)
    surge_ids = set().union(*(e.surge_mention_ids for e in generator.episodes))
    surge = [m.text for m in mentions if m.id in surge_ids and m.lang == "en"]
    ordinary = [m.text for m in mentions if m.id not in surge_ids and m.lang == "en"]
    scorer = vader.VaderScorer()
    surge_labels = Counter(s.label for s in scorer.score_batch(surge, ["en"] * len(surge)))
    ordinary_labels = Counter(s.label for s in scorer.score_batch(ordinary, ["en"] * len(ordinary)))
    assert len(surge) >= 500
    assert surge_labels["neg"] >= 0.85 * len(surge)
    for label in ("pos", "neu", "neg"):
        assert ordinary_labels[label] >= 0.12 * len(ordinary), label


def test_coordinated_campaigns_are_near_duplicates_from_fresh_small_accounts(
    demo: tuple[DemoGenerator, list[Mention]],
) -> None:
    generator, mentions = demo
    by_id = {m.id: m for m in mentions}
    episodes = complete_episodes(generator)
    assert any(e.coordinated for e in episodes) and any(not e.coordinated for e in episodes)
    for episode in episodes:
        if not episode.coordinated:
            assert not episode.campaign_mention_ids and not episode.campaign_authors
            continue
        campaign = [by_id[i] for i in sorted(episode.campaign_mention_ids)]
        assert len(campaign) >= 100
        assert episode.campaign_mention_ids <= episode.surge_mention_ids
        assert episode.campaign_start is not None and episode.campaign_end is not None
        assert episode.start <= episode.campaign_start < episode.campaign_end <= episode.end
        assert episode.campaign_end - episode.campaign_start <= timedelta(seconds=120)
        assert all(
            episode.campaign_start <= m.created_at < episode.campaign_end for m in campaign if m.created_at
        )
        authors = Counter(m.author.handle for m in campaign)
        assert set(authors) == episode.campaign_authors
        assert len(authors) >= 30
        assert len(campaign) / len(authors) >= 2
        assert all(m.author.followers < 50 for m in campaign)
        earlier = {m.author.handle for m in mentions if m.created_at and m.created_at < episode.start}
        assert not earlier & set(authors)
        texts = [m.text for m in campaign]
        assert len(set(texts)) >= 10
        assert all(episode.hashtag in (m.hashtags or []) for m in campaign)
        organic_ids = episode.surge_mention_ids - episode.campaign_mention_ids
        organic = [m.text for m in mentions if m.id in organic_ids]
        assert mean_similarity(texts) >= 0.7
        assert mean_similarity(texts) > mean_similarity(organic) + 0.3
        assert min(jaccard(a, b) for a, b in combinations(texts[:40], 2)) >= 0.5
    kept = set().union(*(e.campaign_mention_ids for e in generator.episodes))
    assert generator.campaign_mention_ids == kept


def test_ground_truth_stays_bounded() -> None:
    generator = DemoGenerator(
        seed=1, rate_per_s=40.0, episode_every_s=40.0, start=T0, keep_episodes=3, max_ids_per_episode=200
    )
    run(generator, 600, step=20)
    assert len(generator.episodes) == 3
    assert generator.episodes[-1].index >= 12
    assert all(len(e.surge_mention_ids) <= 200 for e in generator.episodes)
    assert any(e.ids_truncated for e in generator.episodes)
