"""Searching the archive: a watchlist query (services/understanding/query.py) plus filters, newest or largest
reach
first, a page at a time with a cursor that stays valid while mentions arrive.

The full-text index narrows the candidates (services/archive/prefilter.py: the terms the query and the
filters require), then every candidate is checked with the real matcher and filters, so the answers are
exactly those a watchlist with that query would have matched. One request examines at most `max_scan`
candidates: when they run out before the page is full, the page is shorter and `next_cursor` goes on
from the last one examined. `next_cursor` is None once nothing is left.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from services.archive.prefilter import Requirement, Term, all_of, requirement
from services.archive.records import MAX_KEY, ArchivedMention, hashed, key_at
from services.archive.store import Archive, Position, Sort
from services.understanding.matching import Facts, Predicate, compile_query, language_of
from services.understanding.query import UNKNOWN_LANG, Node, parse
from services.understanding.sentiment import LABELS

SORTS: tuple[Sort, ...] = ("time", "reach")
SENTIMENTS: tuple[str, ...] = LABELS
#: The words also understood for a sentiment label.
SENTIMENT_WORDS = {"negative": "neg", "neutral": "neu", "positive": "pos"}
MAX_PAGE = 500
#: Candidates read from the database at once (at least the page size).
CHUNK_ROWS = 200


class SearchError(ValueError):
    """A search that cannot run: `field` names the parameter, the message says what was expected."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Filters:
    watchlist: str | None = None
    sentiment: str | None = None
    lang: str | None = None
    source: str | None = None
    author: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive

    def requirement(self) -> Requirement | None:
        terms: list[Requirement | None] = [
            Term(f"wl:{self.watchlist}") if self.watchlist else None,
            Term(f"sentiment:{self.sentiment}") if self.sentiment else None,
            Term(f"lang:{self.lang}") if self.lang else None,
            Term(hashed("source", self.source)) if self.source else None,
            Term(hashed("by", self.author.lstrip("@"))) if self.author else None,
        ]
        return all_of(terms)

    def admits(self, mention: ArchivedMention) -> bool:
        """The exact check behind the index's narrowing (its source and author terms are hashes)."""
        return (
            (self.watchlist is None or self.watchlist in mention.watchlists)
            and (self.sentiment is None or mention.sentiment == self.sentiment)
            and (self.lang is None or language_of(mention.mention()) == self.lang)
            and (self.source is None or mention.source.lower() == self.source.lower())
            and (
                self.author is None
                or mention.author_handle.lstrip("@").lower() == self.author.lstrip("@").lower()
            )
        )


@dataclass(frozen=True)
class Search:
    query: Node | None = None
    filters: Filters = field(default_factory=Filters)
    sort: Sort = "time"
    limit: int = 50
    cursor: Position | None = None


@dataclass
class Page:
    items: list[ArchivedMention]
    next_cursor: str | None
    #: Candidates examined (after the index's narrowing), to tell a thin page from an empty archive.
    scanned: int


def encode_cursor(sort: Sort, position: Position) -> str:
    raw = orjson.dumps({"s": sort, "k": position.key, "r": position.reach})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, sort: Sort) -> Position:
    """The position a cursor stands for; `SearchError` on `cursor` when it is not one of ours for `sort`."""
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        key, reach, made_for = int(decoded["k"]), int(decoded["r"]), decoded["s"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise SearchError(
            "cursor", "expected a next_cursor from an earlier page, got something else"
        ) from None
    if not (0 <= key <= MAX_KEY and 0 <= reach <= MAX_KEY):
        raise SearchError("cursor", "expected a next_cursor from an earlier page, got one out of range")
    if made_for != sort:
        raise SearchError("cursor", f"this cursor is for sort={made_for}, not sort={sort}")
    return Position(key, reach)


class Searcher:
    def __init__(self, archive: Archive, max_scan: int) -> None:
        self.archive = archive
        self.max_scan = max_scan

    def search(self, search: Search) -> Page:
        formula = all_of(
            [requirement(search.query) if search.query is not None else None, search.filters.requirement()]
        )
        matches: Predicate | None = compile_query(search.query) if search.query is not None else None
        filters = search.filters
        low = key_at(filters.since) if filters.since else 0
        high = key_at(filters.until) if filters.until else MAX_KEY
        position = search.cursor
        items: list[ArchivedMention] = []
        scanned = 0
        exhausted = False
        while len(items) < search.limit and scanned < self.max_scan:
            chunk = min(max(CHUNK_ROWS, search.limit), self.max_scan - scanned)
            rows = self.archive.candidates(formula, search.sort, low, high, position, chunk)
            for key, mention in rows:
                scanned += 1
                position = Position(key, mention.reach)
                if filters.admits(mention) and (matches is None or matches(Facts.of(mention.mention()))):
                    items.append(mention)
                    if len(items) == search.limit:
                        break
            else:
                if len(rows) < chunk:  # every candidate left was examined
                    exhausted = True
                    break
        if exhausted or position is None:
            return Page(items, None, scanned)
        return Page(items, encode_cursor(search.sort, position), scanned)

    def iterate(self, search: Search, max_rows: int) -> Iterator[list[ArchivedMention]]:
        """Every match, a page at a time, up to `max_rows` (for exports)."""
        sent = 0
        while sent < max_rows:
            limit = min(MAX_PAGE, max_rows - sent)
            page = self.search(Search(search.query, search.filters, search.sort, limit, search.cursor))
            if page.items:
                yield page.items
                sent += len(page.items)
            if page.next_cursor is None:
                return
            search = Search(
                search.query, search.filters, search.sort, limit, decode_cursor(page.next_cursor, search.sort)
            )


_WATCHLIST = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_LANG = re.compile(r"[a-z]{2}|unknown|und")


def build_search(
    query: str | None = None,
    *,
    watchlist: str | None = None,
    sentiment: str | None = None,
    lang: str | None = None,
    source: str | None = None,
    author: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    sort: str = "time",
    limit: int = 50,
    cursor: str | None = None,
) -> Search:
    """A search from request parameters (blank ones are absent); `QuerySyntaxError` for a bad query,
    `SearchError` naming any other bad parameter as the routes call it (`since` and `until` are `from`
    and `to` there)."""
    query, watchlist, sentiment, lang, source, author, cursor = (
        value.strip() if value and value.strip() else None
        for value in (query, watchlist, sentiment, lang, source, author, cursor)
    )
    if sort not in SORTS:
        raise SearchError("sort", f"expected one of {', '.join(SORTS)}, got {sort!r}")
    if not 1 <= limit <= MAX_PAGE:
        raise SearchError("limit", f"expected 1 to {MAX_PAGE}, got {limit}")
    if watchlist is not None and not _WATCHLIST.fullmatch(watchlist):
        raise SearchError("watchlist", f"expected a watchlist id (a-z, 0-9, _ and -), got {watchlist!r}")
    if sentiment is not None:
        sentiment = SENTIMENT_WORDS.get(sentiment.lower(), sentiment.lower())
        if sentiment not in SENTIMENTS:
            expected = ", ".join((*SENTIMENTS, *SENTIMENT_WORDS))
            raise SearchError("sentiment", f"expected one of {expected}, got {sentiment!r}")
    if lang is not None:
        lang = lang.lower()
        if not _LANG.fullmatch(lang):
            raise SearchError("lang", f"expected a two-letter language code (or unknown), got {lang!r}")
        lang = UNKNOWN_LANG if lang == "und" else lang
    since, until = (_utc(moment) for moment in (since, until))
    if since is not None and until is not None and since >= until:
        raise SearchError("to", f"expected a time after from ({since.isoformat()}), got {until.isoformat()}")
    filters = Filters(watchlist, sentiment, lang, source, author, since, until)
    position = decode_cursor(cursor, sort) if cursor is not None else None  # type: ignore[arg-type]
    node = parse(query) if query is not None else None
    return Search(node, filters, sort, limit, position)  # type: ignore[arg-type]


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
