"""Every record the enrich stage sends fits what its producer may send: split, or dead-lettered saying so."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import orjson
import pytest

from services.ingest.outbox import TICKER_HEAD, TICKER_TAIL, encode_batch, fit_dead_letter
from services.ingest.packing import RECORD_OVERHEAD_BYTES, pack_array, record_budget
from services.ingest.records import (
    MAX_BIO_CHARS,
    MAX_COUNT,
    MAX_ID_CHARS,
    MAX_LANG_CHARS,
    MAX_LINKS,
    MAX_LIST_ITEMS,
    MAX_NAME_CHARS,
    MAX_RAW_RECORD_BYTES,
    MAX_SOURCE_CHARS,
    MAX_TAG_CHARS,
    MAX_TEXT_CHARS,
    MAX_URL_CHARS,
    Mention,
    decode_raw_record,
    encode_envelope,
    parse_mention,
)
from services.settings import Settings
from services.understanding.enrich import (
    BatchResult,
    DeadLetter,
    EnrichedMention,
    EnrichResult,
    ItemAuthor,
    ItemSentiment,
    MentionItem,
    Partial,
)
from services.updates import Mentions, decode_update, encode

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
DEFAULT_MAX = Settings.model_fields["worker_max_request_bytes"].default
RECORD = ("vigie.mentions.raw", 3, 42)


def largest_mention(i: int, char: str = "\x01") -> Mention:
    """A mention with every field at its bound, in a character JSON escapes to six bytes (the worst case)."""

    def filled(length: int, prefix: str = "") -> str:
        return (prefix + char * length)[:length]

    return parse_mention(
        {
            "id": filled(MAX_ID_CHARS, f"{i}:"),
            "source": filled(MAX_SOURCE_CHARS, "s"),
            "text": "t" + char * (2 * MAX_TEXT_CHARS),
            "author": {
                "handle": filled(MAX_ID_CHARS, "h"),
                "id": filled(MAX_ID_CHARS),
                "name": filled(MAX_NAME_CHARS),
                "followers": MAX_COUNT,
                "bio": filled(MAX_BIO_CHARS),
                "domain": filled(MAX_NAME_CHARS),
            },
            "lang": filled(MAX_LANG_CHARS),
            "url": filled(MAX_URL_CHARS),
            "engagement": {"likes": MAX_COUNT, "reposts": MAX_COUNT, "replies": MAX_COUNT},
            "hashtags": [filled(MAX_TAG_CHARS, "g")] * MAX_LIST_ITEMS,
            "mentions": [filled(MAX_TAG_CHARS)] * MAX_LIST_ITEMS,
            "links": [filled(MAX_URL_CHARS)] * MAX_LINKS,
            "reply_to": filled(MAX_ID_CHARS),
        },
        received_at=NOW,
    )


def enriched(mentions: list[Mention]) -> EnrichResult:
    items = [
        EnrichedMention(mention=m, watchlists=["w" * 64] * 20, score=-0.5, label="negative") for m in mentions
    ]
    return EnrichResult(
        partials=[], enriched=items, dead=[], ticker=[], partition=RECORD[1], offset=RECORD[2]
    )


def alone(result: EnrichResult) -> BatchResult:
    """A batch of the one raw record `result` comes from."""
    return BatchResult([result], result.ticker)


def test_packing_splits_in_order_within_the_budget_and_hands_back_what_cannot_fit() -> None:
    parts = [b'"' + b"x" * size + b'"' for size in (10, 500, 20, 2000, 30, 700, 5)]
    packed = pack_array(parts, RECORD_OVERHEAD_BYTES + 1000)
    assert packed.too_large == [3]
    assert all(len(record) <= 1000 for record in packed.records)
    assert [item for record in packed.records for item in orjson.loads(record)] == [
        orjson.loads(part) for i, part in enumerate(parts) if i != 3
    ]
    assert len(packed.records) == 2  # [10, 500, 20, 30], [700, 5]


def test_the_largest_valid_mention_enriched_fits_one_record_of_the_default_size() -> None:
    item = msgspec.json.encode(enriched([largest_mention(0)]).enriched[0])
    assert len(item) < record_budget(DEFAULT_MAX) // 2, len(item)
    raw = encode_envelope([largest_mention(0)])
    assert len(raw) < MAX_RAW_RECORD_BYTES // 10


def test_a_batch_of_the_largest_mentions_is_split_over_records_and_nothing_is_lost() -> None:
    mentions = [largest_mention(i) for i in range(40)]
    outbox = encode_batch(alone(enriched(mentions)), DEFAULT_MAX, RECORD[0])
    assert len(outbox.enriched) > 1
    assert all(len(value) <= record_budget(DEFAULT_MAX) for value in outbox.enriched)
    ids = [item["mention"]["id"] for value in outbox.enriched for item in orjson.loads(value)]
    assert ids == [m.id for m in mentions]
    assert outbox.dead == []


def test_ticker_items_are_split_into_several_mentions_updates() -> None:
    items = [
        MentionItem(
            id=str(i), watchlists=["aerolis"], text="x" * 100_000, source="demo",
            author=ItemAuthor("marie_d", None, 12), created_at=None, lang=None, url=None, hashtags=[],
            sentiment=ItemSentiment(0.0, "neu"),
        )
        for i in range(30)
    ]  # fmt: skip
    result = EnrichResult(partials=[], enriched=[], dead=[], ticker=items)
    outbox = encode_batch(alone(result), DEFAULT_MAX, RECORD[0])
    assert len(outbox.ticker) >= 3
    assert all(value.startswith(TICKER_HEAD) and len(value) <= DEFAULT_MAX for value in outbox.ticker)
    updates = [decode_update(value) for value in outbox.ticker]  # each a `mentions` update of the protocol
    assert [item.id for u in updates if isinstance(u, Mentions) for item in u.items] == [
        str(i) for i in range(30)
    ]


def test_the_ticker_head_is_how_the_protocol_starts_a_mentions_update() -> None:
    assert encode(Mentions(items=[])) == TICKER_HEAD + TICKER_TAIL


def test_a_batch_packs_each_watchlists_partials_in_order_and_dead_letters_name_their_record() -> None:
    def partial(watchlist: str, offset: int) -> Partial:
        return Partial(
            watchlist=watchlist, partition=1, offset=offset, buckets={60: [1, 1, 0, 0, 0.5, 0]}, max_ts=61
        )

    bad = DeadLetter(
        reason="r", field="text", topic=RECORD[0], partition=1, offset=11, index=0, payload="{}", at="now"
    )
    records = [
        EnrichResult(
            partials=[partial("a", 10), partial("b", 10)],
            enriched=[],
            dead=[],
            ticker=[],
            partition=1,
            offset=10,
        ),
        EnrichResult(partials=[], enriched=[], dead=[bad], ticker=[], partition=1, offset=11),
        EnrichResult(partials=[partial("a", 12)], enriched=[], dead=[], ticker=[], partition=1, offset=12),
    ]
    outbox = encode_batch(BatchResult(records, []), DEFAULT_MAX, RECORD[0])
    packed = {
        key.decode(): [(p["partition"], p["offset"]) for p in orjson.loads(value)]
        for key, value in outbox.partials
    }
    assert packed == {"a": [(1, 10), (1, 12)], "b": [(1, 10)]}
    assert [(d["partition"], d["offset"]) for d in map(orjson.loads, outbox.dead)] == [(1, 11)]


def test_a_mention_too_large_for_a_smaller_limit_is_dead_lettered_with_the_sizes() -> None:
    small_max = 65_536
    ordinary = parse_mention({"text": "Aerolis ok", "author": {"handle": "a"}}, received_at=NOW)
    outbox = encode_batch(alone(enriched([ordinary, largest_mention(7)])), small_max, RECORD[0])
    [value] = outbox.enriched
    assert [item["mention"]["text"] for item in orjson.loads(value)] == ["Aerolis ok"]
    [dead_value] = outbox.dead
    assert len(dead_value) <= record_budget(small_max)
    dead = orjson.loads(dead_value)
    assert dead["field"] == "mention"
    assert (dead["topic"], dead["partition"], dead["offset"]) == RECORD
    assert dead["reason"].startswith(
        f"expected an enriched mention of at most {record_budget(small_max)} bytes"
    )
    assert "(the producer sends records up to 65536 bytes), got " in dead["reason"]
    assert dead["payload"].startswith('{"mention":{"v":1,"id":"7:')  # which mention, even shortened


@pytest.mark.parametrize("payload_chars", [10, 300_000])
def test_a_dead_letter_always_fits_by_shortening_its_payload(payload_chars: int) -> None:
    letter = DeadLetter(
        reason="r",
        field="f",
        topic="t",
        partition=0,
        offset=0,
        index=None,
        payload="\x01" * payload_chars,
        at="now",
    )
    value = fit_dead_letter(letter, 65_536)
    assert len(value) <= record_budget(65_536)
    assert orjson.loads(value)["payload"] == "\x01" * min(payload_chars, len(orjson.loads(value)["payload"]))


def test_raw_envelopes_decode_as_before() -> None:
    mentions = [largest_mention(i, "é") for i in range(3)]
    assert [m["id"] for m in decode_raw_record(encode_envelope(mentions))] == [m.id for m in mentions]
