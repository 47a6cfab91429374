"""What the enrich stage sends for a batch of raw records, encoded into records the worker's producer accepts.

Every record stays within the producer's maximum request size (`Settings.worker_max_request_bytes`, 1,000,000
bytes like aiokafka's and Faust's default): enriched mentions and ticker items are split over as many
records as needed; an enriched mention or a partial aggregate too large even alone becomes a dead letter
saying so (its payload shortened until the dead letter itself fits). With the bounds of
services/ingest/records.py
no valid mention comes near the default limit; the dead letter is what keeps a smaller limit (a cluster's
`message.max.bytes`) from crash-looping the worker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

import msgspec

from services.ingest.packing import pack_array, record_budget
from services.understanding.enrich import BatchResult, DeadLetter

_encode = msgspec.json.encode
#: A `mentions` update (services/updates.py) around items packed by hand (tests/services/test_outbox.py).
TICKER_HEAD = b'{"type":"mentions","v":1,"items":['
TICKER_TAIL = b"]}"


class Outbox(NamedTuple):
    partials: list[tuple[bytes, bytes]]  # (key: watchlist id, value: a JSON array of partials)
    enriched: list[bytes]
    ticker: list[bytes]  # `mentions` updates for the live ticker
    dead: list[bytes]


def fit_dead_letter(dead: DeadLetter, max_request_bytes: int) -> bytes:
    """The dead letter encoded, its payload halved until the record fits."""
    budget = record_budget(max_request_bytes)
    value = _encode(dead)
    while len(value) > budget and dead.payload:
        dead.payload = dead.payload[: len(dead.payload) // 2]
        value = _encode(dead)
    return value


def too_large(
    field: str, what: str, max_request_bytes: int, record: tuple[str, int, int], payload: bytes
) -> DeadLetter:
    """A dead letter for an item whose encoding (`payload`) does not fit in one record."""
    topic, partition, offset = record
    return DeadLetter(
        reason=(
            f"expected {what} of at most {record_budget(max_request_bytes)} bytes encoded (the producer "
            f"sends records up to {max_request_bytes} bytes), got {len(payload)} bytes"
        ),
        field=field,
        topic=topic,
        partition=partition,
        offset=offset,
        index=None,
        payload=payload.decode("utf-8", "replace"),
        at=datetime.now(UTC).isoformat(),
    )


def encode_batch(done: BatchResult, max_request_bytes: int, topic: str) -> Outbox:
    """What the raw records of `done` (read from `topic`) gave, as records of at most `max_request_bytes`
    each: the partials of each watchlist packed into JSON arrays keyed by the watchlist (each partial keeps
    its raw record's partition and offset: the aggregate applies each once), the enriched mentions packed in
    order, the ticker sample, and the dead letters (each naming its raw record)."""
    budget = record_budget(max_request_bytes)
    dead: list[DeadLetter] = []
    partials: dict[str, list[bytes]] = {}
    parts: list[bytes] = []
    origins: list[tuple[str, int, int]] = []  # the raw record of each enriched part
    for result in done.records:
        record = (topic, result.partition, result.offset)
        dead.extend(result.dead)
        for partial in result.partials:
            value = _encode(partial)
            if len(value) + 2 > budget:
                dead.append(too_large("partial", "a partial aggregate", max_request_bytes, record, value))
            else:
                partials.setdefault(partial.watchlist, []).append(value)
        for item in result.enriched:
            parts.append(_encode(item))
            origins.append(record)
    keyed = [
        (watchlist.encode(), value)
        for watchlist, values in partials.items()
        for value in pack_array(values, max_request_bytes).records
    ]
    enriched = pack_array(parts, max_request_bytes)
    for index in enriched.too_large:
        dead.append(
            too_large("mention", "an enriched mention", max_request_bytes, origins[index], parts[index])
        )
    # A ticker item is part of an enriched mention: one too large was dead-lettered above.
    ticker = pack_array([_encode(item) for item in done.ticker], max_request_bytes, TICKER_HEAD, TICKER_TAIL)
    return Outbox(
        partials=keyed,
        enriched=enriched.records,
        ticker=ticker.records,
        dead=[fit_dead_letter(letter, max_request_bytes) for letter in dead],
    )
