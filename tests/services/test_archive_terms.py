"""What the archive indexes a mention by (`lexemes`) is what it indexed before it read the archived fields
directly and parsed links without urlsplit: the definition below is `lexemes` as it was (commit 08f69f3),
through a `Mention` and `urllib.parse.urlsplit`."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from hypothesis import example, given
from hypothesis import strategies as st

from services.archive.records import (
    MAX_LEXEME_CHARS,
    ArchivedMention,
    archive_key,
    from_enriched,
    indexable,
    lexemes,
    reach_tier,
)
from services.archive.store import FTS_TABLE, Archive
from services.ingest.records import Mention, parse_mention
from services.understanding.enrich import EnrichedMention
from services.understanding.language import normalise_hint
from services.understanding.matching import link_domains, link_host
from services.understanding.query import UNKNOWN_LANG
from services.understanding.text import fold, tokens

WHEN = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def hostname_before(link: str) -> str | None:
    try:
        return urlsplit(link).hostname
    except ValueError:
        return None


def domains_before(mention: Mention) -> set[str]:
    found: set[str] = set()
    for link in chain(mention.links or (), (mention.url,) if mention.url else ()):
        host = hostname_before(link)
        if not host:
            continue
        parts = host.rstrip(".").split(".")
        found.update(".".join(parts[i:]) for i in range(len(parts) - 1))
    return found


def _lower(text: str) -> str:
    return text.lower() if text.isascii() else fold(text)


def hashed_before(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.blake2b(value.lower().encode(), digest_size=6).hexdigest()}"


def lexemes_before(mention: ArchivedMention) -> list[str]:
    """The index terms as the archive computed them before (commit 08f69f3)."""
    record = mention.mention()
    lang = record.lang
    found = [
        *tokens(record.text),
        *(f"#{tag}" for tag in sorted({_lower(t.lstrip("#")) for t in record.hashtags or ()})),
        *(
            f"@{handle}"
            for handle in sorted(
                {h.lstrip("@").lower() for h in (record.author.handle, *(record.mentions or ()))}
            )
        ),
        *(f"site:{domain}" for domain in sorted(domains_before(record))),
        f"lang:{lang.lower() if lang and len(lang) == 2 else normalise_hint(lang) or UNKNOWN_LANG}",
        *(f"wl:{watchlist}" for watchlist in mention.watchlists),
        f"sentiment:{mention.sentiment}",
        hashed_before("source", mention.source),
        hashed_before("by", mention.author_handle.lstrip("@")),
        reach_tier(mention.reach.bit_length()),
    ]
    return [lexeme for lexeme in dict.fromkeys(found) if indexable(lexeme)]


def enriched(text: str, source: str = "api", **extra: object) -> ArchivedMention:
    """A mention as the enrich stage publishes it (hashtags, @mentions and links extracted from the text
    unless given)."""
    mention = parse_mention(
        {
            "text": text,
            "source": source,
            "author": {"handle": "someone", "followers": 120},
            "created_at": WHEN.isoformat(),
            **extra,
        }
    )
    return from_enriched(EnrichedMention(mention=mention, watchlists=["acme"], score=0.0, label="neu"))


TRICKY_LINKS = [
    "https://Example.COM:8443/path?q=1#frag",
    "https://user:secret@Host.Example:99/x",
    "https://user@host.example",
    "http://[::1]:8080/",
    "http://[FE80::1%25Eth0]/a",
    "http://[::1/broken",
    "http://::1]/broken",
    "//no-scheme.example/p",
    "www.example.com/page",
    "https://trailing.example./",
    "HTTPS://SHOUTING.EXAMPLE",
    "https://under_score.example/",
    "https://tab\t.example/x",
    "https://a.example\n",
    " https://leading-space.example/",
    "https://bücher.example/straße",
    "https://example.com\uff03@evil.example/",
    "https://:80/",
    "https:///path",
    "https://a.example:port/",
    "mailto:someone@example.com",
    "ftp+ssh.v2://files.example:21",
    "https://" + "x" * 250 + ".example/",
    "",
]

TRICKY = [
    enriched("Élan CAFÉ straße İstanbul ǅemal ﬁne Ⅻ ①②③ 東京 مرحبا 😀👍🏽 a\u0301b e\u0300"),
    enriched("#Café #ÉLAN #naïve #東京 #x_y_z &#39; #123abc l'Aérolis"),
    enriched("thanks @alice.bsky.social and @Bob-Smith. @carol_99... @Dave@host", source="bluesky"),
    enriched("same handles elsewhere @alice.bsky.social @Bob-Smith.", source="mastodon"),
    enriched("links inline https://Example.COM:8443/a?b=c https://u:p@h.example/ http://[::1]:80/ x"),
    enriched("only supplied ones", url=TRICKY_LINKS[0], links=[link for link in TRICKY_LINKS[1:20] if link]),
    enriched("the other supplied ones", links=[link for link in TRICKY_LINKS[20:] if link]),
    enriched("a word too long to index " + "z" * (MAX_LEXEME_CHARS + 1) + " then short ones"),
    enriched(
        "supplied lists",
        hashtags=["#Spaced Tag", "ÇA", "#", "dup", "DUP"],
        mentions=["@Dotted.Handle", "UPPER", "@"],
        lang="PT_br",
    ),
    enriched("a language tag in capitals", lang="EN"),
    enriched("an unknown language code", lang="zz"),
    enriched("a private language tag", lang="x-klingon"),
    enriched("sources with spaces", source="Twitter X"),
]


@pytest.mark.parametrize("mention", TRICKY, ids=lambda m: m.text[:24])
def test_index_terms_of_tricky_mentions_are_those_indexed_before(mention: ArchivedMention) -> None:
    assert lexemes(mention) == lexemes_before(mention)


@pytest.mark.parametrize("link", TRICKY_LINKS)
def test_a_links_host_is_urlsplits(link: str) -> None:
    assert link_host(link) == hostname_before(link)


def test_link_domains_are_each_host_and_its_parents() -> None:
    mention = parse_mention(
        {
            "text": "see https://News.Example.CO.uk:443/a and https://u@b.example",
            "author": {"handle": "h"},
            "url": "http://[::1]/x",
        }
    )
    assert link_domains(mention) == {"news.example.co.uk", "example.co.uk", "co.uk", "b.example"}


#: Characters links are made of, the ones urlsplit treats specially first.
_URL_PIECES = st.sampled_from(
    [
        *"/?#@:[]%.-_+ \t\n\x00\x1fA9aZé",
        "https://",
        "http://",
        "//",
        "www.",
        "example",
        "EXAMPLE",
        "com",
        ":8080",
        "::1",
        "\uff03",
        "ß",
        "bücher",
    ]
)
links = st.lists(_URL_PIECES, max_size=14).map("".join)


@given(links)
@example("https://a.b:1\n")
def test_any_links_host_is_urlsplits(link: str) -> None:
    assert link_host(link) == hostname_before(link)


_TEXT = st.lists(
    st.sampled_from([*"aZé#@_.-: '\u0301İıſK\u212a东😀\ufe5f", "https://x.example:8/p", "@a.b", "#Tag", "ß"]),
    min_size=1,
    max_size=40,
).map("".join)


@given(
    text=_TEXT,
    source=st.sampled_from(["api", "bluesky", "X Y", "ÉTÉ"]),
    handle=st.text(st.sampled_from([*"aB.@_-é "]), min_size=1, max_size=8),
    lang=st.sampled_from([None, "en", "EN", "fr-FR", "zz", "x", "und"]),
    tags=st.lists(st.text(st.sampled_from([*"#aÉ_ 1\ufe5f"]), max_size=6), max_size=4),
    mentioned=st.lists(st.text(st.sampled_from([*"@a.B-"]), max_size=6), max_size=4),
    supplied=st.lists(links, max_size=3),
    url=st.one_of(st.none(), links),
    reach=st.integers(0, 10**10),
)
def test_index_terms_are_those_indexed_before_for_any_mention(
    text: str,
    source: str,
    handle: str,
    lang: str | None,
    tags: list[str],
    mentioned: list[str],
    supplied: list[str],
    url: str | None,
    reach: int,
) -> None:
    mention = ArchivedMention(
        id="m",
        created_at=WHEN,
        watchlists=["acme", "rival"],
        text=text,
        author_handle=handle,
        reach=reach,
        source=source,
        url=url,
        lang=lang,
        hashtags=tags,
        mentioned=mentioned,
        links=supplied,
    )
    assert lexemes(mention) == lexemes_before(mention)


def test_the_archive_indexes_each_mention_by_those_terms(tmp_path: Path) -> None:
    archive = Archive(f"sqlite:///{tmp_path / 'archive.db'}")
    try:
        assert archive.write(TRICKY) == len(TRICKY)
        with archive.engine.connect() as connection:
            rows = connection.execute(sa.text(f"SELECT rowid, terms FROM {FTS_TABLE}"))
            indexed = {key: terms for key, terms in rows}
    finally:
        archive.close()
    assert indexed == {archive_key(m): " ".join(lexemes_before(m)) for m in TRICKY}
