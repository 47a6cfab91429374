"""Archived mentions as CSV rows or NDJSON lines, for `GET /api/v1/mentions/export`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import orjson

from services.archive.records import ArchivedMention

FORMATS = ("csv", "ndjson")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}
CSV_COLUMNS = (
    "id",
    "created_at",
    "watchlists",
    "source",
    "author_handle",
    "author_name",
    "author_followers",
    "reach",
    "lang",
    "sentiment",
    "score",
    "model_sentiment",
    "corrected_by",
    "corrected_at",
    "coordinated",
    "hashtags",
    "url",
    "text",
)


def csv_header() -> str:
    return _csv_lines([list(CSV_COLUMNS)])


def _csv_lines(rows: Iterable[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def csv_rows(mentions: Iterable[ArchivedMention]) -> str:
    """CSV lines (RFC 4180); lists are joined with spaces, an unknown coordinated flag is empty."""
    return _csv_lines(
        [
            m.id,
            m.created_at.isoformat(),
            " ".join(m.watchlists),
            m.source,
            m.author_handle,
            m.author_name or "",
            m.author_followers,
            m.reach,
            m.lang or "",
            m.sentiment,
            round(m.score, 3),
            m.correction["model_label"] if m.correction else m.sentiment,
            m.correction["by"] if m.correction else "",
            m.correction["at"] if m.correction else "",
            "" if m.coordinated is None else str(m.coordinated).lower(),
            " ".join(m.hashtags),
            m.url or "",
            m.text,
        ]
        for m in mentions
    )


def ndjson_lines(mentions: Iterable[ArchivedMention]) -> bytes:
    return b"".join(orjson.dumps(m.to_item()) + b"\n" for m in mentions)
