"""The archive on both engines Vigie supports: SQLite + FTS5 (default) and PostgreSQL full-text (by URL).

Search answers exactly what the watchlist matcher would (the index only narrows), filters and sorts,
pages with a cursor that new arrivals do not disturb, exports, and retention deletes what is too old.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import itertools
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import orjson
import pytest

from services.archive.export import CSV_COLUMNS, csv_header, csv_rows, ndjson_lines
from services.archive.prefilter import Term
from services.archive.process import TRANSACTION_MAX_MENTIONS, Archiver
from services.archive.records import (
    KEY_HASH_BITS,
    MAX_KEY,
    ArchivedMention,
    decode_enriched,
    from_enriched,
    lexemes,
)
from services.archive.search import Searcher, SearchError, build_search, decode_cursor
from services.archive.store import Archive
from services.demo import DemoGenerator, demo_watchlists
from services.ingest.dedupe import PartitionIds
from services.ingest.outbox import encode_batch
from services.ingest.records import encode_envelope, parse_mention
from services.settings import Settings
from services.understanding.enrich import EnrichedMention, Enricher, RawRecord, TickerSampler
from services.understanding.matching import CompiledWatchlists
from services.understanding.query import QuerySyntaxError
from services.understanding.sentiment import load_scorer

NOW = datetime.now(UTC).replace(microsecond=0)
_ids = itertools.count()


def archived(
    text: str,
    *,
    minutes_ago: float = 1.0,
    watchlists: tuple[str, ...] = ("aerolis",),
    label: str = "neu",
    followers: int = 100,
    handle: str | None = None,
    source: str = "api",
    lang: str | None = "en",
    **extra: Any,
) -> ArchivedMention:
    """A mention as the enrich stage would publish it (hashtags, @mentions and links extracted)."""
    mention = parse_mention(
        {
            "id": f"m{next(_ids)}",
            "text": text,
            "source": source,
            "lang": lang,
            "author": {"handle": handle or f"user{next(_ids)}", "followers": followers},
            "created_at": (NOW - timedelta(minutes=minutes_ago)).isoformat(),
            **extra,
        }
    )
    score = {"pos": 0.6, "neg": -0.6}.get(label, 0.0)
    return from_enriched(
        EnrichedMention(mention=mention, watchlists=list(watchlists), score=score, label=label)
    )


@pytest.fixture
def archive(database_url: str) -> Iterator[Archive]:
    store = Archive(database_url)
    try:
        yield store
    finally:
        store.close()


def found(archive: Archive, query: str | None = None, **params: Any) -> list[str]:
    page = Searcher(archive, max_scan=10_000).search(build_search(query, **params))
    return [m.text for m in page.items]


def test_search_answers_exactly_what_the_watchlist_query_matches(archive: Archive) -> None:
    archive.write(
        [
            archived("Lost luggage again at Aerolis", minutes_ago=1),
            archived("My luggage was lost, Aerolis", minutes_ago=2),  # both words, not the phrase
            archived("Aerolis flight retardé #fail", minutes_ago=3, lang="fr"),
            archived("Thanks @aerolis for the upgrade", minutes_ago=4),
            archived("Read https://news.lemonde.fr/article about Aerolis", minutes_ago=5),
            archived("Aerolis spam spam spam", minutes_ago=6),
            archived("Delayed two hours, Aerolis gate B", minutes_ago=7),
        ]
    )
    assert found(archive, '"lost luggage"') == ["Lost luggage again at Aerolis"]
    assert found(archive, "luggage lost") == ["Lost luggage again at Aerolis", "My luggage was lost, Aerolis"]
    assert found(archive, "retard*") == ["Aerolis flight retardé #fail"]
    assert found(archive, "RETARDE") == ["Aerolis flight retardé #fail"]  # case and accents folded
    assert found(archive, "#fail OR @aerolis") == [
        "Aerolis flight retardé #fail",
        "Thanks @aerolis for the upgrade",
    ]
    assert found(archive, "site:lemonde.fr") == ["Read https://news.lemonde.fr/article about Aerolis"]
    assert found(archive, "lang:fr") == ["Aerolis flight retardé #fail"]
    assert found(archive, "delayed NEAR/2 aerolis") == ["Delayed two hours, Aerolis gate B"]
    assert found(archive, "delayed NEAR/1 aerolis") == []
    # No term the index can use: every mention is checked by the matcher.
    assert len(found(archive, "NOT spam")) == 6
    assert found(archive, "aerolis NOT (luggage OR spam OR @aerolis OR delayed OR site:lemonde.fr)") == [
        "Aerolis flight retardé #fail"
    ]


def test_filters_narrow_by_watchlist_sentiment_language_source_author_and_time(archive: Archive) -> None:
    archive.write(
        [
            archived("one", minutes_ago=1, watchlists=("aerolis", "skyvane"), label="neg"),
            archived("two", minutes_ago=20, watchlists=("skyvane",), label="pos", lang="fr"),
            archived("three", minutes_ago=40, source="rss:lemonde.fr/feed", handle="Marie D"),
            archived("four", minutes_ago=60 * 30, handle="@bob_9"),
        ]
    )
    assert found(archive, watchlist="skyvane") == ["one", "two"]
    assert found(archive, watchlist="nobody") == []
    assert found(archive, sentiment="neg") == ["one"]
    assert found(archive, lang="fr") == ["two"]
    assert found(archive, source="RSS:lemonde.fr/feed") == ["three"]
    assert found(archive, author="marie d") == ["three"]
    assert found(archive, author="@bob_9") == ["four"]
    since = NOW - timedelta(minutes=30)
    assert found(archive, since=since) == ["one", "two"]
    assert found(archive, since=NOW - timedelta(hours=2), until=since) == ["three"]
    assert found(archive, "one OR two OR three", watchlist="skyvane", sentiment="positive") == [
        "two"
    ]  # the word works too


def test_sorted_by_reach_and_paged_with_a_cursor_new_arrivals_do_not_disturb(archive: Archive) -> None:
    # Audiences from 0 to 3,000 (reach tiers 0 to 12), with ties.
    followers = [(i * 37) % 11 * (1 + (i % 4) * 97) for i in range(23)]
    archive.write([archived(f"post {i}", minutes_ago=i + 1, followers=followers[i]) for i in range(23)])
    searcher = Searcher(archive, max_scan=10_000)
    for sort in ("time", "reach"):
        seen: list[ArchivedMention] = []
        cursor = None
        while True:
            page = searcher.search(build_search("post", sort=sort, limit=5, cursor=cursor))
            seen.extend(page.items)
            # Mentions arriving between pages: newer ones land before a time cursor, never in the pages
            # left; by reach they may appear later on, but nothing already there is skipped or repeated.
            archive.write([archived("post arriving now", minutes_ago=0, followers=5)])
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        texts = [m.text for m in seen if m.text != "post arriving now"]
        assert sorted(texts) == sorted(f"post {i}" for i in range(23)), sort
        if sort == "time":
            assert [m.text for m in seen] == [f"post {i}" for i in range(23)]
        else:
            reaches = [m.reach for m in seen]
            assert reaches == sorted(reaches, reverse=True)


def test_writing_a_batch_again_archives_nothing_twice(archive: Archive) -> None:
    batch = [archived(f"mention {i}") for i in range(30)]
    assert archive.write(batch) == 30
    assert archive.write([*batch, archived("one more")]) == 1
    assert archive.count() == 31
    assert len(found(archive, "mention", limit=100)) == 30


def test_a_term_the_index_cannot_hold_leaves_the_mention_findable_by_its_others(archive: Archive) -> None:
    """A hashtag with a character the full-text index would split is not indexed; the mention's words and
    other tags still find it, next to mentions whose terms are all indexable."""
    odd = archived("Aerolis lands early", hashtags=["on+time", "smooth"])  # as a producer may send them
    plain = archived("Aerolis lands late", hashtags=["smooth"])
    assert archive.write([odd, plain]) == 2
    assert sorted(found(archive, "Aerolis AND early")) == [odd.text]
    assert sorted(found(archive, "#smooth")) == sorted([odd.text, plain.text])


def test_mentions_sharing_a_key_are_both_kept(archive: Archive) -> None:
    """Two ids whose hash bits agree, posted in the same millisecond, get distinct keys."""
    buckets: dict[int, str] = {}
    for n in itertools.count():
        candidate = f"collide-{n}"
        bits = int.from_bytes(hashlib.blake2b(candidate.encode(), digest_size=4).digest())
        bits &= (1 << KEY_HASH_BITS) - 1
        if bits in buckets:
            pair = (buckets[bits], candidate)
            break
        buckets[bits] = candidate
    first = archived("twin post", minutes_ago=3)
    twins = [msgspec.structs.replace(first, id=mention_id) for mention_id in pair]
    assert archive.write(twins) == 2
    assert archive.write(twins) == 0
    assert found(archive, "twin") == ["twin post", "twin post"]


def test_retention_deletes_what_is_too_old_in_bounded_batches(archive: Archive) -> None:
    archive.write([archived(f"old luggage {i}", minutes_ago=60 * 24 * 40 + i) for i in range(25)])
    archive.write([archived(f"recent luggage {i}", minutes_ago=i + 1) for i in range(5)])
    assert archive.delete_before(NOW - timedelta(days=30), batch=10) == 10
    assert archive.apply_retention(NOW, days=30, batch=10) == 15
    assert archive.count() == 5
    assert found(archive, "luggage") == [f"recent luggage {i}" for i in range(5)]
    # What retention would delete at once is not written.
    assert archive.write([archived("too old", minutes_ago=60 * 24 * 31)], NOW - timedelta(days=30)) == 0


def test_a_short_scan_budget_gives_a_thin_page_and_a_cursor_to_go_on(archive: Archive) -> None:
    archive.write([archived(f"noise {i}", minutes_ago=i + 1) for i in range(30)])
    archive.write([archived("the needle", minutes_ago=60)])
    searcher = Searcher(archive, max_scan=10)
    page = searcher.search(build_search("NOT noise"))  # nothing for the index to narrow with
    assert page.items == [] and page.scanned == 10 and page.next_cursor is not None
    pages = 1
    while page.next_cursor is not None and not page.items:
        page = searcher.search(build_search("NOT noise", cursor=page.next_cursor))
        pages += 1
    assert [m.text for m in page.items] == ["the needle"] and pages == 4


def test_bad_parameters_name_their_field() -> None:
    with pytest.raises(QuerySyntaxError) as query_error:
        build_search("aerolis AND")
    assert query_error.value.position == 11
    cases = [
        ({"sentiment": "angry"}, "sentiment"),
        ({"lang": "french"}, "lang"),
        ({"watchlist": "Not An Id"}, "watchlist"),
        ({"sort": "random"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"cursor": "%%%"}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b'{"s":"time","k":%d,"r":0}' % 2**70).decode()}, "cursor"),
        ({"since": NOW, "until": NOW - timedelta(hours=1)}, "to"),
    ]
    for params, field in cases:
        with pytest.raises(SearchError) as error:
            build_search("aerolis", **params)
        assert error.value.field == field, params
    page_cursor = build_search("x", sort="time").cursor
    assert page_cursor is None
    with pytest.raises(SearchError, match="sort=time"):
        decode_cursor("eyJzIjoidGltZSIsImsiOjEsInIiOjB9", "reach")


def test_export_writes_csv_and_ndjson_a_spreadsheet_and_jq_can_read() -> None:
    mention = archived('Quote "this", then a comma, and\na new line #fail', label="neg", followers=42)
    table = list(csv.DictReader(io.StringIO(csv_header() + csv_rows([mention]))))
    assert list(table[0]) == list(CSV_COLUMNS)
    assert table[0]["text"] == mention.text and table[0]["reach"] == "42"
    assert table[0]["sentiment"] == "neg" and table[0]["hashtags"] == "fail"
    assert table[0]["coordinated"] == ""
    line = orjson.loads(ndjson_lines([mention]))
    assert line["id"] == mention.id and line["sentiment"] == {"label": "neg", "score": -0.6}


def test_enriched_records_are_read_item_by_item() -> None:
    good = archived("fine #ok")
    record = orjson.dumps(
        [
            {
                "mention": msgspec.to_builtins(good.mention()),
                "watchlists": ["aerolis"],
                "score": 0.1,
                "label": "neu",
                "coordinated": True,
            },
            {"mention": {"text": "no author"}, "watchlists": [], "score": 0, "label": "neu"},
        ]
    )
    mentions, problems = decode_enriched(record)
    assert [m.id for m in mentions] == [good.id] and mentions[0].coordinated is True
    assert mentions[0].hashtags == ["ok"]
    assert len(problems) == 1 and "item 1" in problems[0] and "author" in problems[0]
    nothing, unreadable = decode_enriched(b"not json")
    assert nothing == [] and "expected a JSON list" in unreadable[0]


async def test_a_large_backlog_is_archived_in_short_transactions(tmp_path: Path) -> None:
    """An archiver catching up a backlog never holds SQLite's one write lock for long: an operator's
    acknowledgement or a watchlist edit waiting behind it would fail after 5 s."""

    class CountingArchive(Archive):
        def __init__(self, url: str) -> None:
            super().__init__(url)
            self.transactions: list[int] = []

        def write(self, mentions: Sequence[ArchivedMention], keep_since: datetime | None = None) -> int:
            self.transactions.append(len(mentions))
            return super().write(mentions, keep_since)

    store = CountingArchive(f"sqlite:///{tmp_path / 'vigie.db'}")
    backlog = [archived(f"backlog mention {i}") for i in range(2 * TRANSACTION_MAX_MENTIONS + 1)]
    try:
        archiver = Archiver(Settings(data_dir=tmp_path), store)
        assert await archiver.write(backlog) == len(backlog)
        assert max(store.transactions) <= TRANSACTION_MAX_MENTIONS
        assert sum(store.transactions) == len(backlog)
        assert len(found(store, "backlog mention", limit=10)) == 10
    finally:
        store.close()


def demo_enriched_records(count: int) -> list[bytes]:
    """Demo mentions (six languages, links, hashtags, handles) through the enrich stage, as the values of
    the enriched records the archiver reads."""
    start = NOW - timedelta(minutes=10)
    generator = DemoGenerator(seed=3, rate_per_s=count / 60, start=start)
    mentions = generator.batch(start + timedelta(seconds=60), 60.0)[:count]
    enricher = Enricher(
        CompiledWatchlists(demo_watchlists()),
        load_scorer("linear"),
        PartitionIds(10 * count),
        TickerSampler(0.5),
        topic="raw",
    )
    values: list[bytes] = []
    for offset in range(0, len(mentions), 50):
        done = enricher.process_batch([RawRecord(encode_envelope(mentions[offset : offset + 50]), 0, offset)])
        values.extend(encode_batch(done, 1_000_000, "raw").enriched)
    return values


def test_an_archived_mention_comes_back_with_every_field_and_is_indexed_by_its_terms(
    archive: Archive,
) -> None:
    written = [m for value in demo_enriched_records(600) for m in decode_enriched(value)[0]]
    assert len(written) > 300 and any(m.links or m.url for m in written) and any(m.hashtags for m in written)
    assert archive.write(written) == len(written)
    read = {m.id: m for _, m in archive.candidates(None, "time", 0, MAX_KEY, None, len(written) + 1)}
    assert read == {m.id: m for m in written}
    for mention in written[:: max(1, len(written) // 40)]:
        # Every one of its terms finds it (the index holds exactly what `lexemes` gives).
        for term in lexemes(mention):
            assert mention.id in {
                m.id for _, m in archive.candidates(Term(term), "time", 0, MAX_KEY, None, 10_000)
            }
