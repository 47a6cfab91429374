import pickle
from datetime import UTC, datetime

import orjson
import pytest

from services.ingest.body import TooManyItems, parse_body
from services.ingest.records import MentionError

GOOD = {"text": "hello", "author": {"handle": "a"}}


def test_an_object_an_array_and_ndjson_are_read() -> None:
    assert len(parse_body(orjson.dumps(GOOD)).mentions) == 1
    assert len(parse_body(orjson.dumps([GOOD, GOOD])).mentions) == 2
    ndjson = b"\n".join(orjson.dumps({**GOOD, "text": f"line {i}"}) for i in range(3))
    assert len(parse_body(ndjson).mentions) == 3


def test_bad_items_are_refused_by_position_and_the_rest_kept() -> None:
    parsed = parse_body(orjson.dumps([GOOD, {"text": "x", "author": {"handle": 3}}, GOOD]))
    assert len(parsed.mentions) == 2
    assert [(r.index, r.field) for r in parsed.refused] == [(1, "author.handle")]


def test_a_bad_ndjson_line_is_named() -> None:
    parsed = parse_body(orjson.dumps(GOOD) + b"\n{broken\n" + orjson.dumps(GOOD))
    assert len(parsed.mentions) == 2
    assert parsed.refused[0].index == 1
    assert "line 2" in parsed.refused[0].error


@pytest.mark.parametrize("body", [b"", b"   ", b"[]", b"{broken"])
def test_an_unusable_body_is_refused_whole(body: bytes) -> None:
    with pytest.raises(MentionError) as error:
        parse_body(body)
    assert error.value.field == "body"


@pytest.mark.parametrize("shape", ["array", "ndjson"])
def test_a_body_of_more_items_than_allowed_is_refused_whole_with_both_counts(shape: str) -> None:
    items = [orjson.dumps(GOOD)] * 4
    body = b"[" + b",".join(items) + b"]" if shape == "array" else b"\n".join(items)
    assert len(parse_body(body, max_items=4).mentions) == 4
    with pytest.raises(TooManyItems) as refused:
        parse_body(body, max_items=3)
    assert refused.value.field == "body"
    assert (
        refused.value.reason
        == "expected at most 3 mentions in one request, got 4; send them in several requests"
    )


def test_a_refusal_crosses_a_process_boundary_intact() -> None:
    error = pickle.loads(pickle.dumps(TooManyItems("body", "too many")))
    assert (type(error), error.field, error.reason) == (TooManyItems, "body", "too many")


def test_a_mention_is_read_the_same_whether_or_not_its_body_holds_a_bad_item() -> None:
    # A body of valid mentions is decoded in one call; one bad item sends it the general way.
    varied = [
        GOOD,
        {**GOOD, "id": "given-1", "created_at": "2026-11-22T10:00:00"},  # no zone: UTC
        {**GOOD, "created_at": "2099-01-01T00:00:00Z", "hashtags": ["#Fail", "#", "OK"]},
        {**GOOD, "text": "Mad at @AeroLis #Delay https://x.example/a).", "source": "bluesky"},
        {**GOOD, "text": "word " * 2_000, "author": {"handle": "b", "followers": 12}},
    ]
    received_at = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    alone = parse_body(orjson.dumps(varied), received_at)
    mixed = parse_body(orjson.dumps([*varied, {"text": "x"}]), received_at)
    assert [(r.index, r.field) for r in mixed.refused] == [(5, "author")]
    assert alone.refused == []
    assert alone.mentions == mixed.mentions
