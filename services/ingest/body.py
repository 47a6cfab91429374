"""Reading an ingest request body: a JSON object, a JSON array, or NDJSON (one object per line).

Every item is validated on its own; the good ones go on and each bad one is reported with its position
(0-based index in the array or line order) and the field at fault. A body of more than `max_items` items
is refused whole (`TooManyItems`): the work one request costs is bounded by that, not by its bytes.

A body whose items are all valid mentions, the usual case, is decoded straight into `Mention`s in one call;
any other body takes the general path (decode, then validate each item), which says what is wrong where.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import orjson

from services.ingest.records import Mention, MentionError, parse_mention

#: Items one ingest request may carry at most, by default (Settings.ingest_max_items).
MAX_ITEMS = 10_000


class TooManyItems(MentionError):
    """A body with more items than one request may carry (HTTP 413)."""


class Refusal(msgspec.Struct):
    index: int
    field: str
    error: str


class ParsedBody(msgspec.Struct):
    mentions: list[Mention]
    refused: list[Refusal]


def _too_many(count: int, max_items: int) -> TooManyItems:
    reason = (
        f"expected at most {max_items} mentions in one request, got {count}; send them in several requests"
    )
    return TooManyItems("body", reason)


def _items(body: bytes, max_items: int) -> list[tuple[int, Any] | tuple[int, MentionError]]:
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError as whole_error:
        lines = [line for line in body.splitlines() if line.strip()]
        if len(lines) < 2:
            raise MentionError("body", f"not valid JSON or NDJSON: {whole_error}") from None
        if len(lines) > max_items:
            raise _too_many(len(lines), max_items) from None
        items: list[tuple[int, Any] | tuple[int, MentionError]] = []
        for index, line in enumerate(lines):
            try:
                items.append((index, orjson.loads(line)))
            except orjson.JSONDecodeError as error:
                items.append((index, MentionError("line", f"line {index + 1} is not valid JSON: {error}")))
        return items
    if isinstance(decoded, list):
        if len(decoded) > max_items:
            raise _too_many(len(decoded), max_items)
        return list(enumerate(decoded))
    return [(0, decoded)]


_body_decoder = msgspec.json.Decoder(list[Mention] | Mention)


def _all_valid(body: bytes, received_at: datetime, max_items: int) -> list[Mention] | None:
    """The body's mentions when it is a JSON array (or object) of mentions that are all valid, decoded
    straight into `Mention`s (half the work of decoding then validating each item); None when anything is
    wrong, for the general path to say what."""
    try:
        decoded = _body_decoder.decode(body)
    except (msgspec.DecodeError, RecursionError):  # ValidationError included
        return None
    mentions = decoded if isinstance(decoded, list) else [decoded]
    if not mentions:
        return None
    if len(mentions) > max_items:
        raise _too_many(len(mentions), max_items)
    try:
        return [parse_mention(mention, received_at=received_at) for mention in mentions]
    except MentionError:
        return None


def parse_body(
    body: bytes,
    received_at: datetime | None = None,
    *,
    default_source: str | None = None,
    max_items: int = MAX_ITEMS,
) -> ParsedBody:
    """Raise `MentionError` only when the body as a whole is unreadable or empty, `TooManyItems` when it
    holds more than `max_items` items.

    `default_source` is the `source` of items that give none (an inbound webhook's name)."""
    if not body.strip():
        raise MentionError("body", "expected a mention, an array of mentions or NDJSON; got an empty body")
    received_at = received_at or datetime.now(UTC)
    if default_source is None and (valid := _all_valid(body, received_at, max_items)) is not None:
        return ParsedBody(mentions=valid, refused=[])
    parsed = ParsedBody(mentions=[], refused=[])
    for index, item in _items(body, max_items):
        if isinstance(item, MentionError):
            parsed.refused.append(Refusal(index, item.field, item.reason))
            continue
        if default_source and isinstance(item, dict) and "source" not in item:
            item = {**item, "source": default_source}
        try:
            parsed.mentions.append(parse_mention(item, received_at=received_at))
        except MentionError as error:
            parsed.refused.append(Refusal(index, error.field, error.reason))
    if not parsed.mentions and not parsed.refused:
        raise MentionError("body", "expected at least one mention, got an empty array")
    return parsed
