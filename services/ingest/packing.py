"""Packing encoded items into Kafka record values no larger than what a producer may send.

A producer refuses a record larger than its maximum request size (aiokafka and Faust: 1,000,000 bytes by
default; Vigie's own raw producers `MAX_RAW_RECORD_BYTES` of services/ingest/records.py). A batch that would
be larger is split into several records, each a JSON array (or an envelope around one); an item too large to
fit even alone is handed back by index, for the caller to dead-letter with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

#: Room kept in every record for its key, headers and the record batch framing (aiokafka counts ~100 bytes).
RECORD_OVERHEAD_BYTES = 1024


class Packed(NamedTuple):
    records: list[bytes]
    #: Indices of the items that do not fit in one record even alone.
    too_large: list[int]


def record_budget(max_request_bytes: int) -> int:
    """The largest record value a producer with this maximum request size surely sends."""
    return max_request_bytes - RECORD_OVERHEAD_BYTES


def pack_array(
    parts: Sequence[bytes], max_request_bytes: int, head: bytes = b"[", tail: bytes = b"]"
) -> Packed:
    """`head + part,part,... + tail` records in item order, as few as fit within `max_request_bytes` each."""
    budget = record_budget(max_request_bytes)
    frame = len(head) + len(tail)
    records: list[bytes] = []
    too_large: list[int] = []
    current: list[bytes] = []
    size = frame
    for index, part in enumerate(parts):
        if frame + len(part) > budget:
            too_large.append(index)
            continue
        if current and size + 1 + len(part) > budget:
            records.append(head + b",".join(current) + tail)
            current, size = [], frame
        size += len(part) + (1 if current else 0)
        current.append(part)
    if current:
        records.append(head + b",".join(current) + tail)
    return Packed(records, too_large)
