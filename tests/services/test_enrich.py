from collections.abc import Sequence
from datetime import UTC, datetime

import orjson

from services.aggregation.aggregate import apply_partial
from services.aggregation.windows import EventClock, WindowState
from services.ingest.dedupe import PartitionIds
from services.understanding.enrich import Enricher, EnrichResult, RawRecord, TickerSampler
from services.understanding.matching import CompiledWatchlists
from services.understanding.sentiment import load_scorer
from services.understanding.watchlists import Watchlist

WALL = datetime(2026, 11, 22, 10, 0, tzinfo=UTC).timestamp()
#: When the watchlists were created: every enricher of a test sees the same watchlists.
CREATED = datetime(2026, 11, 1, tzinfo=UTC)


def enricher() -> Enricher:
    matcher = CompiledWatchlists(
        [
            Watchlist(id="aerolis", name="Aerolis", keywords=["aerolis"], created_at=CREATED),
            Watchlist(id="skyvia", name="Skyvia", keywords=["skyvia"], created_at=CREATED),
        ]
    )
    return Enricher(
        matcher, load_scorer("vader"), PartitionIds(1000), TickerSampler(0.5), topic="vigie.mentions.raw"
    )


def m(mention_id: str, text: str, at: str = "2026-11-22T09:59:30Z") -> dict[str, object]:
    return {"id": mention_id, "text": text, "author": {"handle": "h"}, "created_at": at}


def test_one_batch_gives_one_partial_per_watchlist_with_sentiment_counts() -> None:
    batch = [
        m("1", "I love Aerolis, wonderful crew"),
        m("2", "Aerolis lost my bag, awful and useless"),
        m("3", "Aerolis vs Skyvia, which one?"),
        m("4", "nothing to see here"),
    ]
    result = enricher().process(orjson.dumps({"v": 1, "mentions": batch}), partition=2, offset=7, wall=WALL)
    partials = {p.watchlist: p for p in result.partials}
    assert set(partials) == {"aerolis", "skyvia"}
    aerolis = [sum(b[i] for b in partials["aerolis"].buckets.values()) for i in range(4)]
    assert aerolis[0] == 3
    assert aerolis[1] >= 1
    assert aerolis[3] >= 1
    assert (partials["aerolis"].partition, partials["aerolis"].offset) == (2, 7)
    assert result.accepted == 4
    assert result.unmatched == 1
    assert len(result.enriched) == 3


def test_bad_mentions_become_dead_letters_and_the_rest_goes_on() -> None:
    batch = [m("1", "Aerolis fine"), {"id": "2", "text": 42, "author": {"handle": "h"}}]
    result = enricher().process(orjson.dumps(batch), partition=0, offset=1, wall=WALL)
    assert result.accepted == 1
    [dead] = result.dead
    assert dead.field == "text"
    assert dead.index == 1
    assert '"text":42' in dead.payload


def test_an_unreadable_record_is_one_dead_letter() -> None:
    result = enricher().process(b"\xff\xfe garbage", partition=3, offset=9, wall=WALL)
    [dead] = result.dead
    assert (dead.field, dead.partition, dead.offset, dead.index) == ("record", 3, 9, None)
    assert result.partials == []


def test_duplicates_are_dropped_within_and_across_batches() -> None:
    stage = enricher()
    first = stage.process(orjson.dumps([m("1", "Aerolis a"), m("1", "Aerolis a")]), 0, 1, wall=WALL)
    second = stage.process(orjson.dumps([m("1", "Aerolis a"), m("2", "Aerolis b")]), 0, 2, wall=WALL)
    assert (first.accepted, first.duplicates) == (1, 1)
    assert (second.accepted, second.duplicates) == (1, 1)


def test_the_brand_name_does_not_move_sentiment() -> None:
    # "Love" is an ordinary positive word in VADER; a brand named like that must not read as praise.
    matcher = CompiledWatchlists([Watchlist(id="love", name="Love", keywords=["love"])])
    stage = Enricher(matcher, load_scorer("vader"), PartitionIds(100), TickerSampler(0.5), topic="raw")
    result = stage.process(orjson.dumps([m("1", "Love opened a new shop on main street")]), 0, 1, wall=WALL)
    assert result.enriched[0].label == "neu"


def test_the_ticker_gets_a_sample_not_the_flood() -> None:
    stage = enricher()
    batch = [m(str(i), f"Aerolis number {i}") for i in range(50)]
    result = stage.process(orjson.dumps(batch), 0, 1, wall=WALL)
    assert len(result.ticker) == 1
    assert result.ticker[0].id == "49" and result.ticker[0].more == 49
    assert result.ticker[0].sentiment.label in {"neg", "neu", "pos"}
    later = stage.process(orjson.dumps([m("x", "Aerolis again")]), 0, 2, wall=WALL + 1)
    assert [(t.id, t.more) for t in later.ticker] == [("x", 0)]


def test_the_ticker_shows_the_most_reached_and_counts_the_rest_until_its_next_line() -> None:
    stage = enricher()
    first = stage.process(orjson.dumps([m("a", "Aerolis hello")]), 0, 1, wall=WALL)
    assert [t.id for t in first.ticker] == ["a"]
    # 20 at once, within the sampling interval: none shown yet, all counted.
    flood = [m(f"f{i}", f"Aerolis delay {i}") for i in range(20)]
    for i, mention in enumerate(flood):
        mention["author"] = {"handle": f"user{i}", "followers": 50_000 if i == 7 else i}
    quiet = stage.process(orjson.dumps(flood), 0, 2, wall=WALL + 0.1)
    assert quiet.ticker == []
    assert stage.held_ticker(wall=WALL + 0.2) == []  # not due yet
    # Once due, the most-reached of all those held back, standing for the others.
    [held] = stage.held_ticker(wall=WALL + 0.6)
    assert (held.id, held.author.followers, held.more) == ("f7", 50_000, 19)
    shown = stage.process(orjson.dumps([m("g", "Aerolis again")]), 0, 3, wall=WALL + 1.2)
    assert [(t.id, t.more) for t in shown.ticker] == [("g", 0)]
    flood2 = [m(f"h{i}", f"Aerolis once more {i}") for i in range(3)]
    flood2[1]["author"] = {"handle": "journalist", "followers": 900_000}
    again = stage.process(orjson.dumps(flood2), 0, 4, wall=WALL + 2)
    assert stage.held_ticker(wall=WALL + 3) == []  # nothing left behind
    assert [(t.id, t.more) for t in again.ticker] == [("h1", 2)]


BRANDS = ["United", "Delta", "Orange", "Apple"]


def test_only_the_words_around_a_watched_name_decide_its_sentiment() -> None:
    # Unmasked, the linear model reads "United" and "Apple" as positive and "Orange" as negative.
    matcher = CompiledWatchlists([Watchlist(id=b.lower(), name=b, query=b) for b in BRANDS])
    stage = Enricher(matcher, load_scorer("linear"), PartitionIds(100), TickerSampler(0.5), topic="raw")
    batch = [
        m(f"{brand}-{tail}", f"{brand} {tail}".strip())
        for brand in BRANDS
        for tail in ("is great", "is awful", "")
    ]
    result = stage.process(orjson.dumps(batch), 0, 1, wall=WALL)
    scored = {item.mention.id: (item.label, item.score) for item in result.enriched}
    for brand in BRANDS:
        assert scored[f"{brand}-is great"][0] == "pos"
        assert scored[f"{brand}-is awful"][0] == "neg"
        assert scored[f"{brand}-"] == ("neu", 0.0)
        assert scored[f"{brand}-is great"] == scored["United-is great"]


def test_the_language_is_known_before_matching_and_a_source_tag_is_trusted() -> None:
    matcher = CompiledWatchlists([Watchlist(id="fr", name="Aerolis FR", query="Aerolis lang:fr")])
    stage = Enricher(matcher, load_scorer("vader"), PartitionIds(100), TickerSampler(0.5), topic="raw")
    french = "Aerolis a encore perdu mes bagages, c'est vraiment n'importe quoi ce matin"
    batch = [
        m("detected", french),
        {**m("tagged-en", french), "lang": "en-US"},
        {**m("tagged-fr", "Aerolis ok"), "lang": "fr-FR"},
        m("english", "Aerolis lost my luggage again this morning, what a joke"),
    ]
    result = stage.process(orjson.dumps(batch), 0, 1, wall=WALL)
    assert sorted(item.mention.id for item in result.enriched) == ["detected", "tagged-fr"]
    langs = {item.mention.id: item.mention.lang for item in result.enriched}
    assert langs == {"detected": "fr", "tagged-fr": "fr"}


def test_each_partial_names_the_raw_partition_and_offset_it_summarises() -> None:
    # The aggregate's idempotence rule is per raw partition: a partial never mixes records of two.
    stage = enricher()
    on_p0 = stage.process(orjson.dumps([m("1", "Aerolis one"), m("2", "Skyvia two")]), 0, 41, wall=WALL)
    on_p3 = stage.process(orjson.dumps([m("3", "Aerolis three")]), 3, 17, wall=WALL)
    assert sorted((p.watchlist, p.partition, p.offset) for p in on_p0.partials) == [
        ("aerolis", 0, 41),
        ("skyvia", 0, 41),
    ]
    assert [(p.watchlist, p.partition, p.offset) for p in on_p3.partials] == [("aerolis", 3, 17)]


def test_a_raw_record_enriched_again_after_a_kill_is_counted_once() -> None:
    # The killed worker sent its partials but had not committed the raw offset: the next owner (a fresh
    # process, so a fresh dedupe memory) enriches the same record again.
    record = orjson.dumps([m("1", "I love Aerolis"), m("2", "Aerolis and Skyvia"), m("3", "Skyvia")])
    before_kill = enricher().process(record, partition=2, offset=5, wall=WALL)
    after_restart = enricher().process(record, partition=2, offset=5, wall=WALL + 30)
    states, clock = {"aerolis": WindowState(), "skyvia": WindowState()}, EventClock(wall=WALL)
    applied = [apply_partial(states[p.watchlist], p, clock, grace_s=300) for p in before_kill.partials]
    replayed = [apply_partial(states[p.watchlist], p, clock, grace_s=300) for p in after_restart.partials]
    assert applied == [True, True]
    assert replayed == [False, False]
    assert {w: state.total[0] for w, state in states.items()} == {"aerolis": 2, "skyvia": 2}


def test_a_record_enriched_again_after_a_restore_gives_the_same_partials() -> None:
    # A worker killed after enriching records 0-2 of partition 1; the next owner restarts at the committed
    # offset 1 with its memory rebuilt from record 0, and must keep and drop exactly what the first did.
    records = [
        orjson.dumps([m("1", "Aerolis one"), m("2", "Aerolis two")]),
        orjson.dumps([m("2", "Aerolis two"), m("3", "Aerolis three")]),
        orjson.dumps([m("3", "Aerolis three"), m("1", "Aerolis one"), m("4", "Aerolis four")]),
    ]
    first = enricher()
    before = [first.process(value, 1, offset, wall=WALL) for offset, value in enumerate(records)]
    second = enricher()
    start = second.restore_start(1, 1)
    assert start == 0
    second.restore(1, 1, records[start:1])
    after = [
        second.process(value, 1, offset, wall=WALL) for offset, value in enumerate(records) if offset >= 1
    ]
    assert [r.partials for r in after] == [r.partials for r in before[1:]]
    assert [(r.accepted, r.duplicates) for r in after] == [(1, 1), (1, 2)]


def test_partials_say_when_their_watchlist_was_created() -> None:
    # The aggregate tells a watchlist deleted and created again under the same id from the earlier one.
    result = enricher().process(orjson.dumps([m("1", "Aerolis and Skyvia")]), 0, 0, wall=WALL)
    assert {p.watchlist: p.created_ts for p in result.partials} == {
        "aerolis": CREATED.timestamp(),
        "skyvia": CREATED.timestamp(),
    }


class CountingScorer:
    """The real VADER scorer, remembering how many texts each call scored."""

    name = "vader"

    def __init__(self) -> None:
        self.scorer = load_scorer("vader")
        self.calls: list[int] = []

    def score_batch(self, texts: Sequence[str], langs: Sequence[str | None]) -> list[tuple[float, str]]:
        self.calls.append(len(texts))
        return self.scorer.score_batch(texts, langs)


RECORDS = [
    RawRecord(orjson.dumps([m("1", "I love Aerolis"), m("2", "Aerolis and Skyvia, awful")]), 0, 10),
    RawRecord(orjson.dumps([m("2", "Aerolis and Skyvia, awful"), m("3", "Skyvia is great")]), 0, 11),
    RawRecord(b"\xff not json", 1, 4),
    RawRecord(orjson.dumps([{"text": "no author"}, m("4", "nothing to see"), m("5", "Aerolis late")]), 1, 5),
    RawRecord(orjson.dumps([m("3", "Skyvia is great"), m("6", "Skyvia rocks")]), 0, 12),
]


def outcome(result: EnrichResult) -> tuple[object, ...]:
    """All a raw record gives downstream but the ticker sample (and the dead letters' clock time)."""
    return (
        (result.partition, result.offset, result.accepted, result.duplicates, result.unmatched),
        result.partials,
        [(e.mention.id, e.watchlists, e.score, e.label) for e in result.enriched],
        [(d.reason, d.field, d.partition, d.offset, d.index) for d in result.dead],
    )


def test_a_batch_of_raw_records_gives_what_each_record_gives_alone_with_one_sentiment_call() -> None:
    scorer = CountingScorer()
    batched = enricher()
    batched.scorer = scorer
    done = batched.process_batch(RECORDS, wall=WALL)
    alone = enricher()
    assert [outcome(r) for r in done.records] == [
        outcome(alone.process(r.value, r.partition, r.offset, wall=WALL)) for r in RECORDS
    ]
    assert scorer.calls == [5]  # the matched mentions of all five records, once each
    assert len(done.records) == 5 and batched.begin().mentions == 0
    assert [(p.partition, p.offset) for r in done.records for p in r.partials if p.watchlist == "skyvia"] == [
        (0, 10),
        (0, 11),
        (0, 12),
    ]
    # One line per watchlist for the whole batch: the most reached, here the latest among equals.
    assert [item.id for item in done.ticker] == ["5", "6"]


def test_a_dedupe_rebuild_in_the_middle_of_a_batch_sees_the_records_before_it_as_when_alone() -> None:
    # Partition 0 is read from offset 10, then sent back to 10 (a rebalance) while records of the batch are
    # still waiting for `finish`: the rebuild reads records 10-11 from the broker as a record-at-a-time worker
    # would, and record 10 read again keeps and drops what it did the first time.
    stage = enricher()
    batch = stage.begin(WALL)
    for record in RECORDS[:2]:
        stage.admit(batch, record.value, record.partition, record.offset)
    assert stage.restore_start(0, 12) is None  # the memory follows the records admitted
    start = stage.restore_start(0, 10)
    assert start == 0
    stage.restore(0, 10, [])
    stage.admit(batch, RECORDS[0].value, 0, 10)
    done = stage.finish(batch)
    assert outcome(done.records[2]) == outcome(done.records[0])
    assert [(r.accepted, r.duplicates) for r in done.records] == [(2, 0), (1, 1), (2, 0)]
