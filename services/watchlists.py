"""Watchlists: what the room watches (a brand, a competitor, a topic) and how a mention is matched to it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec

WatchlistId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Term = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Kind = Literal["brand", "competitor", "topic"]


def _now() -> datetime:
    return datetime.now(UTC)


class Watchlist(msgspec.Struct, kw_only=True):
    """A watched name. `keywords` are words or phrases (matched case- and accent-insensitively on word
    boundaries), `hashtags` without '#', `handles` without '@' (the author or an @mention), `exclude`
    words that disqualify a mention. Share of voice is computed among the watchlists of one `group`."""

    id: WatchlistId
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    kind: Kind = "brand"
    group: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "default"
    keywords: list[Term] = msgspec.field(default_factory=list)
    hashtags: list[Term] = msgspec.field(default_factory=list)
    handles: list[Term] = msgspec.field(default_factory=list)
    exclude: list[Term] = msgspec.field(default_factory=list)
    color: str | None = None
    created_at: datetime = msgspec.field(default_factory=_now)
    updated_at: datetime = msgspec.field(default_factory=_now)
