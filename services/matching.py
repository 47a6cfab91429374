"""Which watchlists a mention is about, for every watchlist at once.

All watchlists are compiled into one inverted index (token -> watchlists, first token -> phrases,
hashtag -> watchlists, handle -> watchlists), so matching costs one pass over a mention's tokens however
many watchlists there are. Matching is case- and accent-insensitive on word boundaries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from services.records import Mention
from services.text import fold, tokens
from services.watchlists import Watchlist


def _phrase(term: str) -> tuple[str, ...]:
    return tuple(tokens(term))


def _mask_pattern(watchlist: Watchlist) -> re.Pattern[str] | None:
    terms = {t for term in watchlist.keywords for t in (term, fold(term))}
    terms |= {f"#{tag}" for tag in watchlist.hashtags} | {f"@{handle}" for handle in watchlist.handles}
    terms = {term for term in terms if term.strip()}
    if not terms:
        return None
    alternatives = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


class CompiledWatchlists:
    """An immutable matcher over a set of watchlists; rebuild it when the set changes."""

    def __init__(self, watchlists: Iterable[Watchlist]) -> None:
        self.watchlists = {w.id: w for w in watchlists}
        self._by_token: dict[str, set[str]] = defaultdict(set)
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        self._by_hashtag: dict[str, set[str]] = defaultdict(set)
        self._by_handle: dict[str, set[str]] = defaultdict(set)
        self._excludes: dict[str, set[str]] = {}
        self._masks: dict[str, re.Pattern[str] | None] = {}
        for watchlist in self.watchlists.values():
            for keyword in watchlist.keywords:
                phrase = _phrase(keyword)
                if len(phrase) == 1:
                    self._by_token[phrase[0]].add(watchlist.id)
                elif phrase:
                    self._phrases[phrase[0]].append((phrase, watchlist.id))
            for tag in watchlist.hashtags:
                self._by_hashtag[fold(tag.lstrip("#"))].add(watchlist.id)
            for handle in watchlist.handles:
                self._by_handle[fold(handle.lstrip("@"))].add(watchlist.id)
            if watchlist.exclude:
                self._excludes[watchlist.id] = {t for term in watchlist.exclude for t in _phrase(term)}
            self._masks[watchlist.id] = _mask_pattern(watchlist)

    def __len__(self) -> int:
        return len(self.watchlists)

    def match(self, mention: Mention, words: list[str] | None = None) -> list[str]:
        """Ids of the watchlists the mention is about, sorted."""
        words = tokens(mention.text) if words is None else words
        found: set[str] = set()
        by_token, phrases = self._by_token, self._phrases
        for index, word in enumerate(words):
            hit = by_token.get(word)
            if hit:
                found |= hit
            candidates = phrases.get(word)
            if candidates:
                for phrase, watchlist_id in candidates:
                    if tuple(words[index : index + len(phrase)]) == phrase:
                        found.add(watchlist_id)
        for tag in mention.hashtags or ():
            hit = self._by_hashtag.get(fold(tag))
            if hit:
                found |= hit
        for handle in (mention.author.handle, *(mention.mentions or ())):
            hit = self._by_handle.get(fold(handle.lstrip("@")))
            if hit:
                found |= hit
        if found and self._excludes:
            present = set(words)
            found = {w for w in found if not (self._excludes.get(w, set()) & present)}
        return sorted(found)

    def mask(self, text: str, watchlist_ids: Iterable[str]) -> str:
        """The text with the terms of these watchlists removed, so a brand name cannot move sentiment."""
        for watchlist_id in watchlist_ids:
            pattern = self._masks.get(watchlist_id)
            if pattern is not None:
                text = pattern.sub(" ", text)
        return text
