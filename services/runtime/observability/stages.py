"""How many mentions a pipeline record carries, read without building the mentions (for stage counts).

Each function is cheap (msgspec validates the JSON but keeps each item as raw bytes) and never raises:
a record that cannot be read counts as one, as the enrich stage dead-letters it as one.
"""

from __future__ import annotations

import msgspec

from services.aggregation.windows import COUNT


class _Envelope(msgspec.Struct):
    """A raw record: a batch envelope (`mentions`, no `text`) or a single mention (`text`)."""

    mentions: msgspec.Raw = msgspec.Raw()  # empty when absent
    text: msgspec.Raw = msgspec.Raw()


class _PartialCounts(msgspec.Struct):
    buckets: dict[int, list[float]] = {}


_raw_items = msgspec.json.Decoder(list[msgspec.Raw])
_envelope = msgspec.json.Decoder(_Envelope)
_partials = msgspec.json.Decoder(_PartialCounts | list[_PartialCounts])


def mentions_in_raw(value: bytes | None) -> int:
    """Mentions in one record of the raw topic.

    services/ingest/records.py `decode_raw_record` says the shapes.
    """
    if not value:
        return 1
    try:
        if value.lstrip()[:1] == b"[":
            return len(_raw_items.decode(value))
        envelope = _envelope.decode(value)
        if not envelope.text and envelope.mentions:
            return len(_raw_items.decode(envelope.mentions))
    except msgspec.DecodeError:
        return 1
    return 1


def mentions_in_list(value: bytes | None) -> int:
    """Items of a record holding a JSON array (the enriched topic); 0 when it is not one."""
    try:
        return len(_raw_items.decode(value or b""))
    except msgspec.DecodeError:
        return 0


def mentions_in_partial(value: bytes | None) -> int:
    """Mentions the partial aggregates of a record (one, or a JSON array of them: services/ingest/outbox.py)
    add to
    their watchlist's windows (services/understanding/enrich.py `Partial`)."""
    try:
        decoded = _partials.decode(value or b"")
    except msgspec.DecodeError:
        return 0
    partials = decoded if isinstance(decoded, list) else [decoded]
    return int(sum(bucket[COUNT] for p in partials for bucket in p.buckets.values() if bucket))
