"""Watchlists: what the room watches (a brand, a competitor, a topic) and how a mention is matched to it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec

from services.understanding.query import (
    MAX_QUERY_CHARS,
    And,
    Author,
    Handle,
    Hashtag,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    parse,
    words_term,
)
from services.understanding.text import fold, tokens

WatchlistId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Term = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Kind = Literal["brand", "competitor", "topic"]


def _now() -> datetime:
    return datetime.now(UTC)


class Watchlist(msgspec.Struct, kw_only=True):
    """A watched name. `query` is a boolean query (services/understanding/query.py); when it is absent, the
    simple form
    is used: `keywords` are words or phrases (matched case- and accent-insensitively on word boundaries),
    `hashtags` without '#', `handles` without '@' (the author or an @mention), `exclude` words or phrases
    that disqualify a mention. Share of voice is computed among the watchlists of one `group`."""

    id: WatchlistId
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    kind: Kind = "brand"
    group: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "default"
    query: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_QUERY_CHARS)] | None = None
    keywords: list[Term] = msgspec.field(default_factory=list)
    hashtags: list[Term] = msgspec.field(default_factory=list)
    handles: list[Term] = msgspec.field(default_factory=list)
    exclude: list[Term] = msgspec.field(default_factory=list)
    color: str | None = None
    created_at: datetime = msgspec.field(default_factory=_now)
    updated_at: datetime = msgspec.field(default_factory=_now)


def _any_of(nodes: list[Node]) -> Node:
    return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))


def _phrases(terms: list[str]) -> list[Node]:
    nodes: list[Node] = []
    for term in terms:
        words = tokens(term)
        if words:
            nodes.append(words_term(words))
    return nodes


def lists_query(watchlist: Watchlist) -> Node | None:
    """The simple form as a query: (keywords as phrases OR #hashtags OR @handles) AND NOT (excludes);
    None when it names nothing to look for."""
    wanted = _phrases(watchlist.keywords)
    wanted += [Hashtag(fold(tag.lstrip("#"))) for tag in watchlist.hashtags if tag.strip("#")]
    wanted += [Handle(handle.lstrip("@").lower()) for handle in watchlist.handles if handle.strip("@")]
    if not wanted:
        return None
    excluded = _phrases(watchlist.exclude)
    if not excluded:
        return _any_of(wanted)
    return And((_any_of(wanted), Not(_any_of(excluded))))


def own_handles(watchlist: Watchlist) -> list[str]:
    """The watchlist's own accounts: the @handles and author: names its query (or `handles` list) asks
    for, outside any NOT, lower-case without '@'. The wall shows them apart from the people who talk
    about it. Empty when the query does not parse (the save refuses it anyway)."""
    try:
        query = effective_query(watchlist)
    except QuerySyntaxError:
        return []
    found: list[str] = []

    def walk(node: Node) -> None:
        if isinstance(node, Handle | Author) and node.handle not in found:
            found.append(node.handle)
        elif isinstance(node, And | Or):
            for operand in node.operands:
                walk(operand)

    if query is not None:
        walk(query)
    return found


def effective_query(watchlist: Watchlist) -> Node | None:
    """The one query matching uses: the watchlist's `query` when given (raises `QuerySyntaxError` if it
    is invalid), else its simple form; None when the watchlist names nothing to look for."""
    if watchlist.query is not None:
        return parse(watchlist.query)
    return lists_query(watchlist)
