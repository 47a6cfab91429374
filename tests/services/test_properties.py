"""Hostile input, generated: every parser either accepts or refuses with its own error naming the problem;
none crashes with anything else, whatever arrives (mentions, request bodies, raw Kafka records, watchlist
queries, connector payloads)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.connectors.bluesky import jetstream_event_to_mention
from services.connectors.html_text import html_to_text
from services.connectors.mastodon import status_from_ws_message, status_to_mention
from services.connectors.rss import SourceError, parse_feed
from services.ingest.body import parse_body
from services.ingest.records import (
    ENVELOPE_HEAD,
    Mention,
    MentionError,
    decode_raw_mentions,
    decode_raw_record,
    parse_mention,
)
from services.understanding.query import QuerySyntaxError, parse

T = TypeVar("T")


def attempt(call: Callable[[], T], refusal: type[Exception]) -> tuple[T | None, Exception | None]:
    """Run a parser: its result, or the refusal it raised (any other exception fails the test)."""
    try:
        return call(), None
    except refusal as error:
        return None, error


EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=25,
)

#: Objects shaped like mentions, with every field sometimes wrong, missing or strange.
mention_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_scalars,
        "source": json_scalars,
        "text": st.text(max_size=200) | json_scalars,
        "author": st.fixed_dictionaries(
            {}, optional={"handle": json_scalars, "followers": json_scalars, "id": json_scalars}
        )
        | json_values,
        "created_at": st.datetimes().map(lambda d: d.isoformat()) | json_scalars,
        "lang": json_scalars,
        "engagement": st.dictionaries(st.sampled_from(["likes", "reposts", "replies"]), json_scalars)
        | json_values,
        "hashtags": st.lists(st.text(max_size=20), max_size=4) | json_values,
        "v": st.integers(-2, 3),
    },
)


@EXAMPLES
@given(mention_like | json_values)
def test_a_mention_is_accepted_whole_or_refused_naming_a_field(obj: Any) -> None:
    mention, error = attempt(lambda: parse_mention(obj), MentionError)
    if isinstance(error, MentionError):
        assert error.field and error.reason
        return
    assert isinstance(mention, Mention) and mention.id and mention.text.strip()
    assert mention.created_at is not None and mention.created_at.tzinfo is not None


@EXAMPLES
@given(st.binary(max_size=400) | st.lists(mention_like, max_size=4).map(orjson.dumps))
def test_a_request_body_is_parsed_item_by_item_or_refused_whole(body: bytes) -> None:
    parsed, error = attempt(lambda: parse_body(body), MentionError)
    if isinstance(error, MentionError):
        assert error.field == "body" and error.reason
        return
    assert parsed is not None
    assert len(parsed.mentions) + len(parsed.refused) >= 1
    for refusal in parsed.refused:
        assert refusal.index >= 0 and refusal.field and refusal.error


@EXAMPLES
@given(st.binary(max_size=300) | json_values.map(orjson.dumps))
def test_a_raw_kafka_record_is_decoded_or_dead_lettered_with_a_reason(value: bytes) -> None:
    items, error = attempt(lambda: decode_raw_record(value), MentionError)
    assert isinstance(items, list) or (isinstance(error, MentionError) and error.reason)


query_words = st.sampled_from(
    ["aerolis", "été", "AND", "OR", "NOT", "(", ")", '"', "NEAR/3", "NEAR/", "#tag", "@who", "lang:fr",
     "site:a.fr", "author:x", "boyc*", "a*", "*", ":", "🍮", "l'été"]
)  # fmt: skip


@EXAMPLES
@given(st.lists(query_words, max_size=14).map(" ".join) | st.text(max_size=60))
def test_a_query_compiles_or_says_where_and_what_was_expected(query: str) -> None:
    _, error = attempt(lambda: parse(query), QuerySyntaxError)
    if isinstance(error, QuerySyntaxError):
        assert 0 <= error.position <= len(query)
        assert error.expected and str(error)


@EXAMPLES
@given(
    json_values
    | st.fixed_dictionaries({"kind": st.just("commit"), "commit": json_values, "did": json_scalars})
)
def test_a_jetstream_event_becomes_a_mention_nothing_or_a_named_error(event: Any) -> None:
    if not isinstance(event, dict):
        return
    _, error = attempt(lambda: jetstream_event_to_mention(event), MentionError)
    assert error is None or str(error)


@EXAMPLES
@given(
    st.dictionaries(
        st.sampled_from(["id", "account", "content", "reblog", "tags", "created_at"]), json_values
    )
)
def test_a_mastodon_status_becomes_a_mention_nothing_or_a_named_error(status: dict[str, Any]) -> None:
    _, error = attempt(lambda: status_to_mention(status, "example.social"), MentionError)
    assert error is None or str(error)


@EXAMPLES
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_a_mastodon_websocket_message_is_read_ignored_or_refused(message: str | bytes) -> None:
    status, error = attempt(lambda: status_from_ws_message(message), MentionError)
    assert status is None or isinstance(status, dict)
    assert error is None or str(error)


@EXAMPLES
@given(st.text(max_size=300))
def test_html_content_becomes_plain_text(html: str) -> None:
    text, links = html_to_text(html)
    assert isinstance(text, str) and all(isinstance(link, str) for link in links)


@EXAMPLES
@given(
    st.binary(max_size=300)
    | st.text(max_size=300).map(lambda t: f"<rss><channel>{t}</channel></rss>".encode())
)
def test_a_feed_is_parsed_or_refused_saying_what_arrived(body: bytes) -> None:
    _, error = attempt(lambda: parse_feed(body), SourceError)
    assert error is None or str(error)


def _outcomes(items: list[Any]) -> list[Any]:
    """What the enrich stage makes of each item of a raw record: the mention as JSON, or its refusal."""
    outcomes: list[Any] = []
    for item in items:
        mention, error = attempt(lambda item=item: parse_mention(item, received_at=RECEIVED), MentionError)
        outcomes.append(msgspec.json.encode(mention) if mention is not None else (repr(error), item))
    return outcomes


RECEIVED = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


#: Mostly valid mentions: the shapes our producers write, with the corners of each rule.
valid_like = st.fixed_dictionaries(
    {
        "text": st.text(min_size=1, max_size=80)
        | st.sampled_from(["  ", "Aerolis #Vol @Aerolis https://a.fr"]),
        "author": st.fixed_dictionaries(
            {"handle": st.text(min_size=1, max_size=12)},
            optional={"followers": st.integers(-1, 10**11), "id": st.text(max_size=5), "name": st.none()},
        ),
    },
    optional={
        "v": st.integers(0, 2),
        "id": st.text(max_size=8),
        "source": st.sampled_from(["api", "bluesky", ""]),
        "created_at": st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat())
        | st.none(),
        "lang": st.none() | st.sampled_from(["fr", "en-US", "x" * 40]),
        "hashtags": st.none() | st.lists(st.text(max_size=6), max_size=3),
        "mentions": st.none() | st.lists(st.text(max_size=6), max_size=3),
        "engagement": st.fixed_dictionaries({}, optional={"likes": st.integers(-1, 5)}),
        "extra": json_values,
    },
)


@EXAMPLES
@given(
    st.lists(valid_like | mention_like | json_values, max_size=4).map(
        lambda items: ENVELOPE_HEAD[:-1] + orjson.dumps(items) + b"}"
    )
    | st.lists(valid_like, max_size=4).map(lambda items: ENVELOPE_HEAD[:-1] + orjson.dumps(items) + b"}")
)
def test_an_envelope_decoded_straight_into_mentions_is_read_as_the_general_way_reads_it(value: bytes) -> None:
    general, general_error = attempt(lambda: decode_raw_record(value), MentionError)
    fast, fast_error = attempt(lambda: decode_raw_mentions(value), MentionError)
    assert repr(fast_error) == repr(general_error)
    if general is not None and fast is not None:
        assert _outcomes(fast) == _outcomes(general)
