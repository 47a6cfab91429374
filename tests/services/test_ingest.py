import orjson
import pytest

from services.ingest import parse_body
from services.records import MentionError

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
