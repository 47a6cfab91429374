from datetime import UTC, datetime, timedelta

import msgspec
import orjson
import pytest

from services.ingest.records import (
    MAX_COUNT,
    MAX_ID_CHARS,
    MAX_LANG_CHARS,
    MAX_LINKS,
    MAX_LIST_ITEMS,
    MAX_NAME_CHARS,
    MAX_RAW_RECORD_MENTIONS,
    MAX_SOURCE_CHARS,
    MAX_TAG_CHARS,
    MAX_TEXT_CHARS,
    MAX_URL_CHARS,
    Mention,
    MentionError,
    decode_raw_mentions,
    decode_raw_record,
    encode_envelope,
    parse_mention,
)
from services.settings import Settings

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def test_entities_are_extracted_when_absent() -> None:
    m = parse_mention(
        {"text": "Grève chez #AirFrance, merci @Marie_D https://ex.ample/a. #été", "author": {"handle": "x"}},
        received_at=NOW,
    )
    assert m.hashtags == ["airfrance", "été"]
    assert m.mentions == ["marie_d"]
    assert m.links == ["https://ex.ample/a"]


def test_given_entities_are_kept_and_normalised() -> None:
    m = parse_mention({"text": "t", "author": {"handle": "x"}, "hashtags": ["#Big"]}, received_at=NOW)
    assert m.hashtags == ["big"]


def test_missing_id_is_derived_from_content_so_a_retry_is_a_duplicate() -> None:
    body = {"text": "same words", "author": {"handle": "x"}, "created_at": "2026-11-22T09:00:00Z"}
    first = parse_mention(dict(body), received_at=NOW)
    again = parse_mention(dict(body), received_at=NOW + timedelta(seconds=5))
    assert first.id == again.id
    assert first.id != parse_mention({**body, "text": "other words"}, received_at=NOW).id


def test_missing_time_is_arrival_time_and_a_naive_time_is_utc() -> None:
    assert parse_mention({"text": "t", "author": {"handle": "x"}}, received_at=NOW).created_at == NOW
    naive = parse_mention(
        {"text": "t", "author": {"handle": "x"}, "created_at": "2026-11-22T08:00:00"}, received_at=NOW
    )
    assert naive.created_at == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_a_time_far_in_the_future_is_clamped_to_arrival() -> None:
    later = (NOW + timedelta(hours=3)).isoformat()
    m = parse_mention({"text": "t", "author": {"handle": "x"}, "created_at": later}, received_at=NOW)
    assert m.created_at == NOW


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"author": {"handle": "x"}}, "text"),
        ({"text": "   ", "author": {"handle": "x"}}, "text"),
        ({"text": "t"}, "author"),
        ({"text": "t", "author": {}}, "author.handle"),
        ({"text": "t", "author": {"handle": "x", "followers": -3}}, "author.followers"),
        ({"text": "t", "author": {"handle": "x"}, "created_at": "yesterday"}, "created_at"),
        ({"text": "t", "author": {"handle": "x"}, "engagement": {"likes": "many"}}, "engagement.likes"),
        ({"text": "t", "author": {"handle": "x"}, "v": 9}, "v"),
        (["not", "an", "object"], "mention"),
    ],
)
def test_errors_name_the_field(body: object, field: str) -> None:
    with pytest.raises(MentionError) as error:
        parse_mention(body)
    assert error.value.field == field


def test_a_raw_record_may_be_one_mention_or_an_envelope() -> None:
    m = parse_mention({"text": "t", "author": {"handle": "x"}}, received_at=NOW)
    assert len(decode_raw_record(encode_envelope([m, m]))) == 2
    assert decode_raw_record(msgspec.json.encode(m))[0]["text"] == "t"
    assert isinstance(parse_mention(decode_raw_record(encode_envelope([m]))[0]), Mention)


def test_our_envelopes_decode_straight_into_mentions_and_others_as_before() -> None:
    m = parse_mention({"text": "t #Tag", "author": {"handle": "x"}}, received_at=NOW)
    typed = decode_raw_mentions(encode_envelope([m, m]))
    assert [type(item) for item in typed] == [Mention, Mention]
    assert [parse_mention(item, received_at=NOW) for item in typed] == [m, m]
    blank = orjson.dumps({"v": 1, "mentions": [{"text": "t", "author": {"handle": "x"}}, {"text": " "}]})
    assert decode_raw_mentions(blank) == decode_raw_record(blank)  # the general way names what is wrong
    with pytest.raises(MentionError) as refused:
        parse_mention(decode_raw_mentions(blank)[1])
    assert refused.value.field == "author"


@pytest.mark.parametrize("value", [b"", b"{nope", b'{"v":1,"mentions":"x"}'])
def test_an_unreadable_raw_record_is_an_error(value: bytes) -> None:
    with pytest.raises(MentionError):
        decode_raw_record(value)


def test_a_raw_record_over_the_size_limit_is_refused_unread_with_both_sizes() -> None:
    mention = {"text": "x" * 2000, "author": {"handle": "someone"}}
    value = orjson.dumps(mention)
    assert decode_raw_record(value, max_bytes=len(value)) == [mention]
    with pytest.raises(MentionError) as refused:
        decode_raw_record(value, max_bytes=len(value) - 1)
    assert refused.value.field == "record"
    assert (
        refused.value.reason == f"expected a record of at most {len(value) - 1} bytes, got {len(value)} bytes"
    )


@pytest.mark.parametrize(("shape", "field"), [("envelope", "mentions"), ("array", "record")])
def test_a_raw_record_with_too_many_mentions_is_refused_naming_the_limit(shape: str, field: str) -> None:
    items = [{"text": f"post {i}", "author": {"handle": "someone"}} for i in range(4)]
    wrap = (lambda batch: {"v": 1, "mentions": batch}) if shape == "envelope" else (lambda batch: batch)
    assert len(decode_raw_record(orjson.dumps(wrap(items[:3])), max_mentions=3)) == 3
    with pytest.raises(MentionError) as refused:
        decode_raw_record(orjson.dumps(wrap(items)), max_mentions=3)
    assert refused.value.field == field
    assert refused.value.reason == "expected at most 3 mentions in one record, got 4"


def test_the_default_limits_let_through_what_our_own_producers_write() -> None:
    batch_bounds = Settings.model_fields["ingest_batch_max"].metadata
    assert max(bound.le for bound in batch_bounds if hasattr(bound, "le")) <= MAX_RAW_RECORD_MENTIONS
    mentions = [
        parse_mention({"text": "x" * MAX_TEXT_CHARS, "author": {"handle": f"a{i}"}}, received_at=NOW)
        for i in range(500)
    ]
    value = encode_envelope(mentions)  # the default batch of the longest texts: about 5 MB
    assert len(decode_raw_record(value)) == 500


def test_a_long_text_is_cut_at_a_space_and_marked_and_the_mention_still_counts() -> None:
    long = "Aerolis " + "word " * 3000 + "the end"
    mention = parse_mention({"text": long, "author": {"handle": "x"}}, received_at=NOW)
    assert len(mention.text) <= MAX_TEXT_CHARS
    assert mention.text.endswith("word…")
    assert mention.text.startswith("Aerolis word")
    other = parse_mention({"text": long + " more", "author": {"handle": "x"}}, received_at=NOW)
    assert other.text == mention.text and other.id != mention.id  # ids come from the whole text


def test_lists_extracted_from_a_text_keep_their_first_items_within_the_bounds() -> None:
    text = " ".join(f"#t{i} @h{i} https://x.example/{i}" for i in range(200)) + " #" + "y" * 200
    mention = parse_mention({"text": text, "author": {"handle": "x"}}, received_at=NOW)
    assert mention.hashtags == [f"t{i}" for i in range(MAX_LIST_ITEMS)]
    assert mention.mentions == [f"h{i}" for i in range(MAX_LIST_ITEMS)]
    assert mention.links == [f"https://x.example/{i}" for i in range(MAX_LINKS)]


OVER_A_BOUND = [
    ({"id": "i" * (MAX_ID_CHARS + 1)}, "id"),
    ({"source": "s" * (MAX_SOURCE_CHARS + 1)}, "source"),
    ({"lang": "l" * (MAX_LANG_CHARS + 1)}, "lang"),
    ({"url": "https://x.example/" + "u" * MAX_URL_CHARS}, "url"),
    ({"reply_to": "r" * (MAX_ID_CHARS + 1)}, "reply_to"),
    ({"author": {"handle": "h" * (MAX_ID_CHARS + 1)}}, "author.handle"),
    ({"author": {"handle": "h", "name": "n" * (MAX_NAME_CHARS + 1)}}, "author.name"),
    ({"author": {"handle": "h", "followers": 2**63}}, "author.followers"),
    ({"author": {"handle": "h", "followers": MAX_COUNT + 1}}, "author.followers"),
    ({"engagement": {"likes": MAX_COUNT + 1}}, "engagement.likes"),
    ({"hashtags": ["t"] * (MAX_LIST_ITEMS + 1)}, "hashtags"),
    ({"hashtags": ["t" * (MAX_TAG_CHARS + 1)]}, "hashtags[0]"),
    ({"links": ["https://x.example/"] * (MAX_LINKS + 1)}, "links"),
]


@pytest.mark.parametrize(("fields", "field"), OVER_A_BOUND)
def test_a_field_over_its_bound_is_refused_naming_it_and_the_bound(
    fields: dict[str, object], field: str
) -> None:
    with pytest.raises(MentionError) as refused:
        parse_mention({"text": "t", "author": {"handle": "a"}, **fields}, received_at=NOW)
    assert refused.value.field == field
    assert "<=" in refused.value.reason  # e.g. "Expected `str` of length <= 256"


def test_fields_at_their_bounds_are_accepted() -> None:
    mention = parse_mention(
        {
            "id": "i" * MAX_ID_CHARS,
            "source": "s" * MAX_SOURCE_CHARS,
            "text": "t",
            "author": {"handle": "h" * MAX_ID_CHARS, "name": "n" * MAX_NAME_CHARS, "followers": MAX_COUNT},
            "url": "u" * MAX_URL_CHARS,
            "hashtags": ["t" * MAX_TAG_CHARS] * MAX_LIST_ITEMS,
        },
        received_at=NOW,
    )
    assert mention.author.followers == MAX_COUNT


@pytest.mark.parametrize(
    ("source", "text", "handles"),
    [
        ("twitter", "@united...lies again", ["united"]),
        ("twitter", "@AmericanAir.If you cared you'd call back", ["americanair"]),
        ("twitter", "thanks @JetBlue. Still waiting", ["jetblue"]),
        ("twitter", "@Delta-what a mess", ["delta"]),
        ("twitter", "cc @alice.bsky.social", ["alice"]),
        ("twitter", "mail me at bob@example.com", []),
        ("twitter", "@a_b_c and @X", ["a_b_c", "x"]),
        ("api", "@SouthwestAir.thanks for nothing", ["southwestair"]),
        ("demo", "merci @Aerolis_FR...", ["aerolis_fr"]),
        ("mastodon", "@marie@mastodon.social bonjour", ["marie"]),
        ("bluesky", "@alice.bsky.social hello", ["alice.bsky.social"]),
        ("bluesky", "thanks @alice.bsky.social.", ["alice.bsky.social"]),
        ("bluesky", "@united...lies", ["united"]),
        ("bluesky", "@my-shop.example.com- what", ["my-shop.example.com"]),
        ("bluesky", "@bob-.bsky.social", ["bob"]),
    ],
)
def test_handles_are_parsed_as_each_network_writes_them(source: str, text: str, handles: list[str]) -> None:
    m = parse_mention({"text": text, "source": source, "author": {"handle": "x"}}, received_at=NOW)
    assert m.mentions == handles
