"""Influence: per watchlist, who matters in the conversation, on three pillars shown apart and one rank.

Each pillar is in [0, 1]:
- reach: the audience, on a log scale: log10(1 + followers) / 7, capped at 1 (10 million followers);
- resonance: the engagement (likes + reposts + replies) their posts about the watchlist get, per post and
  relative to their audience: rate = engagement per post / (followers + 10), then rate / (rate + 1 %), so
  a 1 % engagement rate scores 0.5 whatever the audience;
- relevance: the share of their recent posts (about any watched subject: only matched mentions arrive here)
  that are about this watchlist, with one post of prior, n / (all + 1): one post in one gives 0.5, ten in
  ten 0.91.
"Recent" is an exponential decay: posts and engagement halve every `half_life_s`. The combined score is
0.5 reach + 0.25 resonance + 0.25 relevance (`weights`), so large audiences (journalists, media) lead
unless they are off topic or ignored; `rank` orders the board by it.

Bounds: at most `max_authors` authors per watchlist (the lowest scores dropped when 50 % over) and
`max_known_authors` in all; authors silent for `expiry_s` are forgotten.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable

import msgspec

from services.insights.media import NOT_PRESS, MediaClassifier, MediaFlags
from services.settings import Settings
from services.understanding.enrich import EnrichedMention

REACH_FULL_FOLLOWERS_LOG10 = 7.0
RESONANCE_HALF_RATE = 0.01
RELEVANCE_PRIOR_POSTS = 1.0


class InfluenceRow(msgspec.Struct, kw_only=True):
    rank: int
    handle: str
    name: str | None
    followers: int
    reach: float
    resonance: float
    relevance: float
    score: float
    journalist: bool
    media: bool
    #: Decayed post counts: about this watchlist, and about anything watched.
    posts: float
    posts_all: float
    engagement_per_post: float
    last_seen_ts: float


class _Decayed(msgspec.Struct, gc=False):
    """A sum whose terms halve every half-life of event time. This and the records below are untracked by
    the garbage collector: a board holds tens of thousands, none holds a container that could point back,
    and a full collection walking them stood the insights loop still."""

    value: float = 0.0
    at: float = -math.inf

    def add(self, amount: float, ts: float, half_life_s: float) -> None:
        if ts >= self.at:
            self.value = self.value * (0.5 ** ((ts - self.at) / half_life_s) if self.value else 0.0) + amount
            self.at = ts
        else:
            self.value += amount * 0.5 ** ((self.at - ts) / half_life_s)

    def at_time(self, ts: float, half_life_s: float) -> float:
        return self.value * 0.5 ** (max(0.0, ts - self.at) / half_life_s) if self.value else 0.0


class _Author(msgspec.Struct, gc=False):
    followers: int = 0
    name: str | None = None
    flags: MediaFlags = NOT_PRESS
    posts: _Decayed = msgspec.field(default_factory=_Decayed)
    last_ts: float = -math.inf


class _Stat(msgspec.Struct, gc=False):
    posts: _Decayed = msgspec.field(default_factory=_Decayed)
    engagement: _Decayed = msgspec.field(default_factory=_Decayed)
    last_ts: float = -math.inf


def reach_of(followers: int) -> float:
    return min(1.0, math.log10(1 + max(0, followers)) / REACH_FULL_FOLLOWERS_LOG10)


def resonance_of(engagement_per_post: float, followers: int) -> float:
    rate = engagement_per_post / (max(0, followers) + 10)
    return rate / (rate + RESONANCE_HALF_RATE)


def relevance_of(posts_about: float, posts_all: float) -> float:
    return min(1.0, posts_about / (posts_all + RELEVANCE_PRIOR_POSTS))


class InfluenceBoard:
    def __init__(
        self,
        classifier: MediaClassifier | None = None,
        *,
        half_life_s: float = 1800.0,
        expiry_s: float | None = None,
        max_authors: int = 2000,
        max_known_authors: int = 100_000,
        weights: tuple[float, float, float] = (0.5, 0.25, 0.25),
    ) -> None:
        self.classifier = classifier or MediaClassifier()
        self.half_life_s = half_life_s
        self.expiry_s = expiry_s if expiry_s is not None else 4 * half_life_s
        self.max_authors = max_authors
        self.max_known_authors = max_known_authors
        self.weights = weights
        self.now_ts = 0.0
        #: All authors seen, least recently active first.
        self._authors: OrderedDict[str, _Author] = OrderedDict()
        self._boards: dict[str, dict[str, _Stat]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> InfluenceBoard:
        return cls(
            MediaClassifier.from_settings(settings),
            half_life_s=settings.influence_half_life_s,
            max_authors=settings.influence_max_authors,
        )

    def observe(self, batch: Iterable[EnrichedMention]) -> None:
        half_life = self.half_life_s
        for item in batch:
            mention = item.mention
            ts = mention.created_ts
            if ts > self.now_ts:
                self.now_ts = ts
            author = mention.author
            known = self._authors.pop(author.handle, None) or _Author()
            self._authors[author.handle] = known
            known.followers = author.followers
            known.name = author.name
            known.flags = self.classifier.classify(author.handle, author.bio, author.domain)
            known.posts.add(1.0, ts, half_life)
            known.last_ts = max(known.last_ts, ts)
            engagement = mention.engagement.total
            for watchlist_id in item.watchlists:
                board = self._boards.setdefault(watchlist_id, {})
                stat = board.get(author.handle)
                if stat is None:
                    stat = board[author.handle] = _Stat()
                stat.posts.add(1.0, ts, half_life)
                stat.engagement.add(float(engagement), ts, half_life)
                stat.last_ts = max(stat.last_ts, ts)
                if len(board) > 1.5 * self.max_authors:
                    self._prune(watchlist_id, self.now_ts)
        while len(self._authors) > self.max_known_authors:
            handle = next(iter(self._authors))
            del self._authors[handle]
            for board in self._boards.values():
                board.pop(handle, None)
        self._expire(self.now_ts)

    def _expire(self, now_ts: float) -> None:
        horizon = now_ts - self.expiry_s
        while self._authors:
            handle, author = next(iter(self._authors.items()))
            if author.last_ts >= horizon:
                break
            del self._authors[handle]
            for board in self._boards.values():
                board.pop(handle, None)

    def _prune(self, watchlist_id: str, now_ts: float) -> None:
        """Keep the `max_authors` best scores of a board."""
        board = self._boards[watchlist_id]
        scored = []
        for handle, stat in board.items():
            author = self._authors.get(handle)
            scored.append((self._pillars(stat, author, now_ts)[-1] if author else -1.0, handle))
        scored.sort(reverse=True)
        for _, handle in scored[self.max_authors :]:
            del board[handle]

    def _pillars(
        self, stat: _Stat, author: _Author, now_ts: float
    ) -> tuple[float, float, float, float, float, float, float]:
        """posts, posts about anything, engagement per post, reach, resonance, relevance, combined score."""
        half_life = self.half_life_s
        posts = stat.posts.at_time(now_ts, half_life)
        posts_all = max(posts, author.posts.at_time(now_ts, half_life))
        per_post = stat.engagement.at_time(now_ts, half_life) / posts if posts > 0 else 0.0
        reach = reach_of(author.followers)
        resonance = resonance_of(per_post, author.followers)
        relevance = relevance_of(posts, posts_all)
        w_reach, w_resonance, w_relevance = self.weights
        return (
            posts,
            posts_all,
            per_post,
            reach,
            resonance,
            relevance,
            (w_reach * reach + w_resonance * resonance + w_relevance * relevance),
        )

    def _rows(self, watchlist_id: str, now_ts: float, limit: int, press_only: bool) -> list[InfluenceRow]:
        """The board's best rows: pillars for everyone (they set the ranks), rows only for those shown."""
        scored = []
        for handle, stat in self._boards.get(watchlist_id, {}).items():
            author = self._authors.get(handle)
            if author is not None:
                pillars = self._pillars(stat, author, now_ts)
                scored.append((-round(pillars[-1], 4), handle, pillars, stat, author))
        scored.sort(key=lambda item: (item[0], item[1]))
        rows: list[InfluenceRow] = []
        for rank, (_, handle, pillars, stat, author) in enumerate(scored, 1):
            if len(rows) >= limit:
                break
            if press_only and not author.flags.press:
                continue
            posts, posts_all, per_post, reach, resonance, relevance, score = pillars
            rows.append(
                InfluenceRow(
                    rank=rank,
                    handle=handle,
                    name=author.name,
                    followers=author.followers,
                    reach=round(reach, 4),
                    resonance=round(resonance, 4),
                    relevance=round(relevance, 4),
                    score=round(score, 4),
                    journalist=author.flags.journalist,
                    media=author.flags.media,
                    posts=round(posts, 3),
                    posts_all=round(posts_all, 3),
                    engagement_per_post=round(per_post, 2),
                    last_seen_ts=stat.last_ts,
                )
            )
        return rows

    def board(
        self, watchlist_id: str, now_ts: float | None = None, limit: int = 20, journalists_only: bool = False
    ) -> list[InfluenceRow]:
        """The watchlist's authors by combined score; `journalists_only` keeps journalists and media (their
        `rank` stays their rank among everyone)."""
        now = self.now_ts if now_ts is None else now_ts
        self._expire(now)
        return self._rows(watchlist_id, now, limit, journalists_only)

    @property
    def tracked(self) -> dict[str, int]:
        """Sizes of the kept state, to check its bounds."""
        return {
            "authors": len(self._authors),
            **{f"board:{watchlist_id}": len(board) for watchlist_id, board in self._boards.items()},
        }
