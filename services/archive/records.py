"""What the archive keeps of one enriched mention, its time-ordered key, and the terms it is indexed by.

The key (the table's integer primary key, and the full-text index's rowid) is the event time in
milliseconds shifted left by `KEY_HASH_BITS`, plus bits of a hash of the mention id: ordering by key is
ordering by event time, so the newest results of a full-text match come first from the index itself, a time
range is a key range, and retention deletes the lowest keys.

Index terms (`lexemes`) are exact strings, never re-tokenised (SQLite FTS5's `ascii` tokenizer keeps non-ASCII
letters and `#@:._-` inside a token; PostgreSQL builds its tsvector with `array_to_tsvector`): the folded
words of the text (services/understanding/text.py `tokens`), `#tag`, `@handle` (author and @mentioned),
`site:domain` (and each parent domain), `lang:xx`, for the filters `wl:<watchlist>`, `sentiment:<label>`,
`source:<hash>` and `by:<hash>`, and `reach:<bit length of reach>` for sorting by reach.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import msgspec

from services.ingest.records import Author, Mention
from services.understanding.enrich import EnrichedMention
from services.understanding.matching import domains_of, folded_hashtags, language_code, lower_handles
from services.understanding.text import tokens

KEY_HASH_BITS = 20
#: Event times at or past this (in ms, year 2248) cannot be keyed.
MAX_KEY_MS = 1 << (63 - KEY_HASH_BITS)
#: Above every key (the largest 64-bit signed integer).
MAX_KEY = (1 << 63) - 1
#: Longer terms are not indexed (PostgreSQL lexemes stop at 2,047 bytes); a query for one is not pre-filtered.
MAX_LEXEME_CHARS = 200
#: ASCII characters an index term may hold besides letters and digits (every non-ASCII character may).
LEXEME_PUNCTUATION = "#@:._-"
#: An ASCII character that is neither a letter, a digit nor one of LEXEME_PUNCTUATION.
_UNSAFE = re.compile(r"[^\x80-\U0010ffffA-Za-z0-9#@:._\-]")


class ArchivedMention(msgspec.Struct, kw_only=True, gc=False):
    """One archived mention, as search answers it (`to_item`) and export writes it. Untracked by the
    garbage collector (it holds no reference back to itself): a fetch of many thousands, alive until its
    transaction ends, does not make the collector walk them again and again."""

    id: str
    created_at: datetime
    watchlists: list[str]
    text: str
    author_handle: str
    author_name: str | None = None
    author_followers: int = 0
    #: The audience of the post: its author's followers.
    reach: int = 0
    source: str = "api"
    url: str | None = None
    lang: str | None = None
    sentiment: str = "neu"  # services.understanding.sentiment.LABELS
    score: float = 0.0
    #: True or False when the producer of the record knew it; None otherwise.
    coordinated: bool | None = None
    hashtags: list[str] = msgspec.field(default_factory=list)
    mentioned: list[str] = msgspec.field(default_factory=list)
    links: list[str] = msgspec.field(default_factory=list)
    #: Who set this label and what it was before (services/understanding/corrections.py `Correction.to_item`),
    # when a
    #: person corrected it; filled for search and export, not stored in the archive's row.
    correction: dict[str, Any] | None = None

    def mention(self) -> Mention:
        """The mention back, with every field a watchlist query looks at."""
        return Mention(
            id=self.id,
            source=self.source,
            text=self.text,
            author=Author(handle=self.author_handle, name=self.author_name, followers=self.author_followers),
            created_at=self.created_at,
            lang=self.lang,
            url=self.url,
            hashtags=self.hashtags,
            mentions=self.mentioned,
            links=self.links,
        )

    def to_item(self) -> dict[str, Any]:
        """The JSON of one search result (the shape of the live ticker's mention items, plus reach)."""
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "watchlists": self.watchlists,
            "text": self.text,
            "source": self.source,
            "url": self.url,
            "lang": self.lang,
            "author": {
                "handle": self.author_handle,
                "name": self.author_name,
                "followers": self.author_followers,
            },
            "reach": self.reach,
            "sentiment": {
                "label": self.sentiment,
                "score": round(self.score, 3),
                **({"correction": self.correction} if self.correction is not None else {}),
            },
            "coordinated": self.coordinated,
            "hashtags": self.hashtags,
        }


class EnrichedRecordItem(EnrichedMention, kw_only=True):
    """One item of a `vigie.mentions.enriched` record (a JSON list of them); `coordinated` when known."""

    coordinated: bool | None = None


_item_decoder = msgspec.json.Decoder(EnrichedRecordItem)
_list_decoder = msgspec.json.Decoder(list[msgspec.Raw])


def decode_enriched(value: bytes | None) -> tuple[list[ArchivedMention], list[str]]:
    """The mentions of one enriched record, and a reason for each item that could not be read (the others
    are kept: one bad item never stops the archive)."""
    if not value:
        return [], ["empty record value"]
    try:
        raws = _list_decoder.decode(value)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        return [], [f"expected a JSON list of enriched mentions: {error}"]
    archived, problems = [], []
    for index, raw in enumerate(raws):
        try:
            item = _item_decoder.decode(raw)
            archived.append(from_enriched(item, item.coordinated))
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            problems.append(f"item {index}: {error}")
    return archived, problems


def from_enriched(item: EnrichedMention, coordinated: bool | None = None) -> ArchivedMention:
    mention = item.mention
    assert mention.created_at is not None  # set by parse_mention for every enriched mention
    created = mention.created_at if mention.created_at.tzinfo else mention.created_at.replace(tzinfo=UTC)
    return ArchivedMention(
        id=mention.id,
        created_at=created,
        watchlists=item.watchlists,
        text=mention.text,
        author_handle=mention.author.handle,
        author_name=mention.author.name,
        author_followers=mention.author.followers,
        reach=mention.author.followers,
        source=mention.source,
        url=mention.url,
        lang=mention.lang,
        sentiment=item.label,
        score=item.score,
        coordinated=coordinated,
        hashtags=mention.hashtags or [],
        mentioned=mention.mentions or [],
        links=mention.links or [],
    )


def key_at(when: datetime) -> int:
    """The lowest key of a mention at `when` (or later): time ranges are key ranges."""
    ms = min(max(int(when.timestamp() * 1000), 0), MAX_KEY_MS - 1)
    return ms << KEY_HASH_BITS


def archive_key(mention: ArchivedMention) -> int:
    digest = hashlib.blake2b(mention.id.encode(), digest_size=4).digest()
    return key_at(mention.created_at) | (int.from_bytes(digest) & ((1 << KEY_HASH_BITS) - 1))


def hashed(kind: str, value: str) -> str:
    """A filter term for a free-form value (a source or author handle may hold any character)."""
    return f"{kind}:{hashlib.blake2b(value.lower().encode(), digest_size=6).hexdigest()}"


#: Sources whose `source:` term `lexemes` keeps (a stream has a handful of sources).
SOURCES_KEPT = 256


@lru_cache(maxsize=SOURCES_KEPT)
def _source_term(source: str) -> str:
    return hashed("source", source)


def indexable(lexeme: str) -> bool:
    """Whether a term is kept whole by the index (length, and only letters, digits, `#@:._-` in ASCII)."""
    return 0 < len(lexeme) <= MAX_LEXEME_CHARS and _UNSAFE.search(lexeme) is None


#: Reach tiers are bit lengths: tier t holds reaches from 2^(t-1) to 2^t - 1 (tier 0: no audience).
MAX_REACH_TIER = 63


def reach_tier(tier: int) -> str:
    """The index term of a reach tier: sorting a wide match by reach reads it tier by tier from the top."""
    return f"reach:{tier}"


def lexemes(mention: ArchivedMention) -> list[str]:
    """The index terms of a mention, distinct, in a stable order: what the watchlist matcher finds in the
    mention (services/understanding/matching.py `Facts`: words, hashtags, handles, link domains, language)
    read straight from the archived fields."""
    # Words are letters and digits only (always indexable) and never look like the other terms, which all
    # hold one of '#@:': each kind is made distinct on its own.
    words = [word for word in dict.fromkeys(tokens(mention.text)) if len(word) <= MAX_LEXEME_CHARS]
    others: list[str] = []
    if mention.hashtags:
        others += ["#" + tag for tag in sorted(folded_hashtags(mention.hashtags))]
    others += ["@" + handle for handle in sorted(lower_handles(mention.author_handle, mention.mentioned))]
    links = [*mention.links, mention.url] if mention.url else mention.links
    if links:
        others += ["site:" + domain for domain in sorted(domains_of(links))]
    others.append("lang:" + language_code(mention.lang))
    others += ["wl:" + watchlist for watchlist in mention.watchlists]
    others += [
        "sentiment:" + mention.sentiment,
        _source_term(mention.source),
        hashed("by", mention.author_handle.lstrip("@")),
        reach_tier(mention.reach.bit_length()),
    ]
    distinct = dict.fromkeys(others)
    if _UNSAFE.search("".join(distinct)) is None:  # one scan instead of one per term, as almost always
        words += [lexeme for lexeme in distinct if 0 < len(lexeme) <= MAX_LEXEME_CHARS]
    else:
        words += [lexeme for lexeme in distinct if indexable(lexeme)]
    return words
