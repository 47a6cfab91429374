"""Hashtag swarms: communities of hashtags that many distinct authors use together, tracked as they evolve.

The tracker keeps a co-occurrence graph over a sliding event-time window (`window_s`, 15 minutes): two tags
are linked when authors used both in one post. A link is kept when at least `min_edge_authors` distinct
authors made it within the window (5: chance meetings of a rare tag with a popular one stay below) and,
counting each author once with a weight that halves every `half_life_s` since their latest such post:
- its cosine strength, weight / sqrt(weighted authors of one tag x of the other), reaches
  `min_edge_cosine` (a hub tag such as #brand, used by everyone, does not glue every topic into one blob);
- and chance cannot explain it: with the counts of the window, the probability of at least that many
  shared authors if the two tags were independent (Poisson, mean = authors of one x authors of the
  other / all tagging authors) is below `max_edge_p_value` (1e-4: two popular tags meet by chance, and
  among thousands of rare tags one always meets a popular tag a few times).
The connected components of the kept links (deterministic: no random order anywhere) with at least
`min_authors` distinct authors are the swarms.

A swarm keeps its id while it evolves: each snapshot matches the new components to the previous swarms by
Jaccard overlap of their tags (>= 0.4), or containment of at least two tags of the smaller set (>= 0.6: a
swarm that grows from 2 to 6 tags keeps its id); when one splits, the largest part keeps the id; when two
merge, the older id wins. Its state compares its rate over the last `trend_s` with the `trend_s` before and
with its own peak: `emerging` (young), `growing`, `peaking` (steady near its peak) or `fading`.

Bounds: at most `max_tags` tags (the least used are dropped when 20 % over), `max_edges` links, the
`max_authors_per_tag` / `max_authors_per_edge` most recent authors of each (so author counts above those
caps are lower bounds), `max_mentions` tagged mentions (two windows, for the figures and the growth), and
`max_authors` tagging authors (for the chance test), `max_swarms` remembered swarms (ids of vanished
swarms are remembered for one window, so a swarm that comes back keeps its id).
Everything older than the window (two for mentions) is dropped by event time.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable
from typing import Literal, TypeVar

import msgspec

from services.settings import Settings
from services.understanding.enrich import EnrichedMention

_K = TypeVar("_K", str, tuple[str, str])
SwarmState = Literal["emerging", "growing", "peaking", "fading"]


class TopAuthor(msgspec.Struct):
    handle: str
    followers: int
    posts: int


class Swarm(msgspec.Struct, kw_only=True):
    """One swarm as the wall and alerts see it; figures are over the last window unless named otherwise."""

    id: str
    state: SwarmState
    #: Its tags, most used first (at most 20; `tag_count` has them all).
    tags: list[str]
    tag_count: int
    authors: int
    mentions: int
    mentions_per_min: float
    #: (mentions in this window - in the previous one) / the previous one; None when it had none.
    growth: float | None
    #: Followers of its distinct authors, each counted once.
    reach: int
    sentiment: float | None
    top_authors: list[TopAuthor]
    watchlists: dict[str, int]
    first_seen_ts: float
    peak_per_min: float


class _Tagged(msgspec.Struct, frozen=True, gc=False):
    """A tagged mention of the two windows; untracked by the garbage collector, as there are up to
    `max_mentions` of them and they hold no container that could point back."""

    ts: float
    author: str
    followers: int
    score: float
    tags: tuple[str, ...]
    watchlists: tuple[str, ...]


class _Known:
    """What the tracker remembers of a swarm between snapshots."""

    __slots__ = ("first_seen_ts", "id", "last_seen_ts", "peak_per_min", "tags")

    def __init__(self, swarm_id: str, tags: frozenset[str], now_ts: float) -> None:
        self.id = swarm_id
        self.tags = tags
        self.first_seen_ts = now_ts
        self.last_seen_ts = now_ts
        self.peak_per_min = 0.0


class _Figures:
    __slots__ = (
        "authors",
        "mentions",
        "previous",
        "recent",
        "recent_before",
        "score_sum",
        "tag_sets",
        "tags",
        "watchlist_sets",
        "watchlists",
    )

    def __init__(self) -> None:
        self.mentions = 0
        self.previous = 0
        self.recent = 0
        self.recent_before = 0
        self.score_sum = 0.0
        #: handle -> [followers, posts]
        self.authors: dict[str, list[int]] = {}
        self.tags: Counter[str] = Counter()
        self.watchlists: Counter[str] = Counter()
        self.tag_sets: dict[tuple[str, ...], int] = {}
        self.watchlist_sets: dict[tuple[str, ...], int] = {}


def _prune_lru(authors: dict[str, float], horizon: float) -> None:
    """Drop the authors (least recent first) whose latest post is older than `horizon`."""
    while authors:
        author = next(iter(authors))
        if authors[author] >= horizon:
            return
        del authors[author]


def poisson_tail(count: int, expected: float) -> float:
    """P(X >= count) for X ~ Poisson(expected)."""
    if count <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    log_expected = math.log(expected)
    below = sum(math.exp(k * log_expected - expected - math.lgamma(k + 1)) for k in range(count))
    return max(0.0, 1.0 - below)


class SwarmTracker:
    def __init__(
        self,
        *,
        window_s: float = 900.0,
        half_life_s: float = 300.0,
        min_edge_authors: int = 5,
        min_edge_cosine: float = 0.1,
        max_edge_p_value: float = 1e-4,
        min_authors: int = 5,
        trend_s: float = 300.0,
        match_jaccard: float = 0.4,
        match_containment: float = 0.6,
        max_tags: int = 5000,
        max_edges: int = 50_000,
        max_authors_per_tag: int = 1000,
        max_authors_per_edge: int = 256,
        max_tags_per_mention: int = 10,
        max_mentions: int = 60_000,
        max_swarms: int = 200,
        max_authors: int = 200_000,
    ) -> None:
        self.window_s = window_s
        self.half_life_s = half_life_s
        self.min_edge_authors = min_edge_authors
        self.min_edge_cosine = min_edge_cosine
        self.max_edge_p_value = max_edge_p_value
        self.min_authors = min_authors
        self.trend_s = trend_s
        self.match_jaccard = match_jaccard
        self.match_containment = match_containment
        self.max_tags = max_tags
        self.max_edges = max_edges
        self.max_authors_per_tag = max_authors_per_tag
        self.max_authors_per_edge = max_authors_per_edge
        self.max_tags_per_mention = max_tags_per_mention
        self.max_mentions = max_mentions
        self.max_swarms = max_swarms
        self.max_authors = max_authors
        self.now_ts = 0.0
        #: tag -> {author: latest post time}, least recent first.
        self._tags: dict[str, dict[str, float]] = {}
        #: (tag, tag) sorted -> {author: latest post time with both}, least recent first.
        self._edges: dict[tuple[str, str], dict[str, float]] = {}
        self._mentions: deque[_Tagged] = deque()
        #: Every author who used a tag -> latest such post time, least recent first.
        self._authors: OrderedDict[str, float] = OrderedDict()
        self._known: dict[str, _Known] = {}
        #: Tagged mentions dropped before their time because of `max_mentions`.
        self.dropped = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> SwarmTracker:
        return cls(
            window_s=settings.swarm_window_s,
            half_life_s=settings.swarm_half_life_s,
            min_edge_authors=settings.swarm_min_edge_authors,
            min_authors=settings.swarm_min_authors,
            max_tags=settings.swarm_max_tags,
            max_mentions=settings.swarm_max_mentions,
        )

    # -- input ----------------------------------------------------------------------------------------

    def observe(self, batch: Iterable[EnrichedMention]) -> None:
        for item in batch:
            mention = item.mention
            tags = tuple(dict.fromkeys(mention.hashtags or ()))[: self.max_tags_per_mention]
            if not tags:
                continue
            ts = mention.created_ts
            if ts > self.now_ts:
                self.now_ts = ts
            author = mention.author.handle
            previous = self._authors.pop(author, None)
            self._authors[author] = ts if previous is None else max(ts, previous)
            if len(self._authors) > self.max_authors:
                del self._authors[next(iter(self._authors))]
            for tag in tags:
                self._touch(self._tags, tag, author, ts, self.max_authors_per_tag)
            ordered = sorted(tags)
            for i, first in enumerate(ordered):
                for second in ordered[i + 1 :]:
                    self._touch(self._edges, (first, second), author, ts, self.max_authors_per_edge)
            self._mentions.append(
                _Tagged(ts, author, mention.author.followers, item.score, tags, tuple(item.watchlists))
            )
        horizon = self.now_ts - 2 * self.window_s
        mentions = self._mentions
        while mentions and (mentions[0].ts < horizon or len(mentions) > self.max_mentions):
            if mentions[0].ts >= horizon:
                self.dropped += 1
            mentions.popleft()
        if len(self._tags) > 1.2 * self.max_tags:
            self._prune_tags()
        if len(self._edges) > 1.2 * self.max_edges:
            self._prune_edges()

    @staticmethod
    def _touch(table: dict[_K, dict[str, float]], key: _K, author: str, ts: float, cap: int) -> None:
        authors = table.get(key)
        if authors is None:
            authors = table[key] = {}
        previous = authors.pop(author, None)
        authors[author] = ts if previous is None else max(ts, previous)
        if len(authors) > cap:
            del authors[next(iter(authors))]

    def _prune_tags(self) -> None:
        """Keep the `max_tags` tags with the most recent authors (ties: the most recently used)."""
        ranked = sorted(
            self._tags.items(), key=lambda item: (len(item[1]), max(item[1].values())), reverse=True
        )
        self._tags = dict(ranked[: self.max_tags])
        self._edges = {
            pair: a for pair, a in self._edges.items() if pair[0] in self._tags and pair[1] in self._tags
        }

    def _prune_edges(self) -> None:
        ranked = sorted(
            self._edges.items(), key=lambda item: (len(item[1]), max(item[1].values())), reverse=True
        )
        self._edges = dict(ranked[: self.max_edges])

    # -- graph ----------------------------------------------------------------------------------------

    def _weight(self, authors: dict[str, float], now_ts: float) -> float:
        decay = math.log(2) / self.half_life_s
        return sum(math.exp(-decay * max(0.0, now_ts - ts)) for ts in authors.values())

    def _components(self, now_ts: float) -> list[list[str]]:
        """Tags linked by strong enough edges, grouped; each group sorted, groups in a stable order."""
        horizon = now_ts - self.window_s
        for tag in list(self._tags):
            _prune_lru(self._tags[tag], horizon)
            if not self._tags[tag]:
                del self._tags[tag]
        for pair in list(self._edges):
            _prune_lru(self._edges[pair], horizon)
            if not self._edges[pair]:
                del self._edges[pair]
        _prune_lru(self._authors, horizon)
        tag_weight: dict[str, float] = {}
        parent: dict[str, str] = {}

        def find(tag: str) -> str:
            root = tag
            while parent[root] != root:
                root = parent[root]
            while parent[tag] != root:
                parent[tag], tag = root, parent[tag]
            return root

        for (first, second), authors in sorted(self._edges.items()):
            if len(authors) < self.min_edge_authors:
                continue
            weight = self._weight(authors, now_ts)
            for tag in (first, second):
                if tag not in tag_weight:
                    tag_weight[tag] = self._weight(self._tags.get(tag, {}), now_ts)
            both = tag_weight[first] * tag_weight[second]
            if weight < self.min_edge_cosine * math.sqrt(both):
                continue
            expected = (
                len(self._tags.get(first, ())) * len(self._tags.get(second, ())) / max(1, len(self._authors))
            )
            if poisson_tail(len(authors), expected) > self.max_edge_p_value:
                continue
            for tag in (first, second):
                parent.setdefault(tag, tag)
            a, b = find(first), find(second)
            if a != b:
                parent[max(a, b)] = min(a, b)
        groups: dict[str, list[str]] = {}
        for tag in sorted(parent):
            groups.setdefault(find(tag), []).append(tag)
        return sorted(groups.values())

    # -- output ---------------------------------------------------------------------------------------

    def _figures(self, components: list[list[str]], now_ts: float) -> list[_Figures]:
        index = {tag: i for i, tags in enumerate(components) for tag in tags}
        figures = [_Figures() for _ in components]
        horizon = now_ts - self.window_s
        recent_from = now_ts - self.trend_s
        before_from = recent_from - self.trend_s
        for mention in self._mentions:
            ts = mention.ts
            if ts > now_ts:
                continue
            tags = mention.tags
            if len(tags) == 1:
                i = index.get(tags[0])
                if i is None:
                    continue
                hit: Iterable[int] = (i,)
            else:
                hit = {index[tag] for tag in tags if tag in index}
            for i in hit:
                figure = figures[i]
                if ts < horizon:
                    figure.previous += 1
                    if ts >= before_from:
                        figure.recent_before += 1
                    continue
                figure.mentions += 1
                if ts >= recent_from:
                    figure.recent += 1
                elif ts >= before_from:
                    figure.recent_before += 1
                figure.score_sum += mention.score
                author = figure.authors.get(mention.author)
                if author is None:
                    figure.authors[mention.author] = [mention.followers, 1]
                else:
                    author[0] = mention.followers
                    author[1] += 1
                # Tuples are counted here and spread over their tags at the end: much cheaper.
                figure.tag_sets[tags] = figure.tag_sets.get(tags, 0) + 1
                watchlists = mention.watchlists
                figure.watchlist_sets[watchlists] = figure.watchlist_sets.get(watchlists, 0) + 1
        for i, figure in enumerate(figures):
            for tags, count in figure.tag_sets.items():
                for tag in tags:
                    if index.get(tag) == i:
                        figure.tags[tag] += count
            for watchlists, count in figure.watchlist_sets.items():
                for watchlist_id in watchlists:
                    figure.watchlists[watchlist_id] += count
        return figures

    def _match(self, components: list[frozenset[str]]) -> list[str | None]:
        """The known swarm id each component continues, or None for a new swarm."""
        pairs: list[tuple[float, float, str, int]] = []
        for i, tags in enumerate(components):
            for known in self._known.values():
                common = len(tags & known.tags)
                if not common:
                    continue
                jaccard = common / len(tags | known.tags)
                containment = common / min(len(tags), len(known.tags))
                if jaccard >= self.match_jaccard or (common >= 2 and containment >= self.match_containment):
                    pairs.append((-jaccard, -containment, known.id, i))
        pairs.sort(key=lambda pair: (pair[0], pair[1], -len(components[pair[3]]), pair[2], pair[3]))
        taken: set[str] = set()
        result: list[str | None] = [None] * len(components)
        for _, _, swarm_id, i in pairs:
            if swarm_id in taken or result[i] is not None:
                continue
            taken.add(swarm_id)
            result[i] = swarm_id
        return result

    def _state(self, known: _Known, figure: _Figures, now_ts: float) -> SwarmState:
        trend_min = self.trend_s / 60
        rate, before = figure.recent / trend_min, figure.recent_before / trend_min
        if now_ts - known.first_seen_ts < self.trend_s:
            return "emerging"
        if rate > 1.2 * before and rate >= 0.5 * known.peak_per_min:
            return "growing"
        if rate < 0.8 * before or rate < 0.5 * known.peak_per_min:
            return "fading"
        return "peaking"

    def snapshot(self, now_ts: float | None = None) -> list[Swarm]:
        """The swarms of the window ending at `now_ts` (default: the newest event time seen), largest first.

        Snapshots drive the ids and states: take them regularly (every few seconds) rather than rarely.
        """
        now = self.now_ts if now_ts is None else now_ts
        groups = self._components(now)
        components = [
            (tags, figure)
            for tags, figure in zip(groups, self._figures(groups, now), strict=True)
            if len(figure.authors) >= self.min_authors
        ]
        components.sort(key=lambda item: (-len(item[1].authors), item[0]))
        ids = self._match([frozenset(tags) for tags, _ in components])
        swarms: list[Swarm] = []
        for (tags, figure), swarm_id in zip(components, ids, strict=True):
            tag_set = frozenset(tags)
            if swarm_id is None:
                digest = hashlib.blake2b(f"{','.join(tags)}|{int(now)}".encode(), digest_size=5).hexdigest()
                swarm_id = f"sw-{digest}"
                known = self._known[swarm_id] = _Known(swarm_id, tag_set, now)
            else:
                known = self._known.pop(swarm_id)
                self._known[swarm_id] = known  # most recently seen last
                known.tags = tag_set
            known.last_seen_ts = now
            per_min = figure.mentions / (self.window_s / 60)
            recent_per_min = figure.recent / (self.trend_s / 60)
            state = self._state(known, figure, now)
            known.peak_per_min = max(known.peak_per_min, recent_per_min)
            authors = sorted(figure.authors.items(), key=lambda item: (-item[1][0], item[0]))
            swarms.append(
                Swarm(
                    id=swarm_id,
                    state=state,
                    tags=[tag for tag, _ in sorted(figure.tags.items(), key=lambda t: (-t[1], t[0]))][:20],
                    tag_count=len(tags),
                    authors=len(authors),
                    mentions=figure.mentions,
                    mentions_per_min=round(per_min, 3),
                    growth=round((figure.mentions - figure.previous) / figure.previous, 3)
                    if figure.previous
                    else None,
                    reach=sum(followers for _, (followers, _) in authors),
                    sentiment=round(figure.score_sum / figure.mentions, 4) if figure.mentions else None,
                    top_authors=[
                        TopAuthor(handle, followers, posts) for handle, (followers, posts) in authors[:5]
                    ],
                    watchlists=dict(sorted(figure.watchlists.items(), key=lambda w: (-w[1], w[0]))),
                    first_seen_ts=known.first_seen_ts,
                    peak_per_min=round(known.peak_per_min, 3),
                )
            )
        for swarm_id in [s for s, known in self._known.items() if known.last_seen_ts < now - self.window_s]:
            del self._known[swarm_id]
        while len(self._known) > self.max_swarms:
            del self._known[next(iter(self._known))]
        return swarms

    @property
    def tracked(self) -> dict[str, int]:
        """Sizes of the kept state, to check its bounds."""
        return {
            "tags": len(self._tags),
            "edges": len(self._edges),
            "tag_authors": sum(len(a) for a in self._tags.values()),
            "edge_authors": sum(len(a) for a in self._edges.values()),
            "mentions": len(self._mentions),
            "authors": len(self._authors),
            "swarms": len(self._known),
        }
