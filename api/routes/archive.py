"""The archive: `GET /api/v1/mentions/search` (a page) and `GET /api/v1/mentions/export` (all, streamed).

Both take the same parameters: `q` (a watchlist query, services/understanding/query.py), the filters
`watchlist`, `sentiment`, `lang`, `source`, `author`, `from` and `to` (ISO 8601; `from` inclusive, `to`
exclusive), and `sort` (`time`: newest first, or `reach`: largest audience first). Search pages with `limit`
and `cursor` (the `next_cursor` of the page before); export writes CSV or NDJSON, up to `limit` rows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from api.errors import FieldErrorRoute, field_error
from api.openapi import KEYED
from api.routes.corrections import corrections_of
from api.routes.queries import query_error
from services.archive.export import FORMATS, MEDIA_TYPES, csv_header, csv_rows, ndjson_lines
from services.archive.progress import freshness
from services.archive.search import MAX_PAGE, Search, Searcher, SearchError, build_search
from services.understanding.query import QuerySyntaxError

router = APIRouter(prefix="/api/v1/mentions", tags=["archive"], route_class=FieldErrorRoute, responses=KEYED)

MAX_EXPORT_ROWS = 1_000_000

Q = Annotated[
    str | None,
    Query(description='A watchlist query: `(Aerolis OR #FlyAerolis) AND (retard* OR "lost luggage")`'),
]
WatchlistParam = Annotated[str | None, Query(description="Only mentions matched to this watchlist id")]
SentimentParam = Annotated[str | None, Query(description="pos, neu or neg (or positive, neutral, negative)")]
LangParam = Annotated[str | None, Query(description="Two-letter language code, or unknown")]
SourceParam = Annotated[str | None, Query(description="The mention's source, e.g. demo, api, rss:…")]
AuthorParam = Annotated[str | None, Query(description="The author's handle (with or without @)")]
FromParam = Annotated[datetime | None, Query(alias="from", description="Event time from (inclusive)")]
ToParam = Annotated[datetime | None, Query(alias="to", description="Event time before (exclusive)")]
SortParam = Annotated[str, Query(description="time (newest first) or reach (largest audience first)")]


@dataclass(frozen=True)
class Filters:
    """The parameters search and export share (the query, the filters and the order)."""

    query: str | None
    watchlist: str | None
    sentiment: str | None
    lang: str | None
    source: str | None
    author: str | None
    since: datetime | None
    until: datetime | None
    sort: str


def filters(
    q: Q = None,
    watchlist: WatchlistParam = None,
    sentiment: SentimentParam = None,
    lang: LangParam = None,
    source: SourceParam = None,
    author: AuthorParam = None,
    since: FromParam = None,
    until: ToParam = None,
    sort: SortParam = "time",
) -> Filters:
    return Filters(q, watchlist, sentiment, lang, source, author, since, until, sort)


FiltersDep = Annotated[Filters, Depends(filters)]


def searcher(request: Request) -> Searcher:
    found: Searcher = request.app.state.archive_searcher
    return found


def _search(chosen: Filters, **page: Any) -> Search:
    try:
        return build_search(**asdict(chosen), **page)
    except QuerySyntaxError as error:
        raise query_error(error, field="q") from None
    except SearchError as error:
        raise field_error(error.field, error.reason) from None


@router.get("/search", summary="Search the archive of mentions")
async def search_mentions(
    request: Request,
    chosen: FiltersDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> dict[str, Any]:
    """`{"items": [...], "next_cursor": "..." | null, "scanned": n, "archive": {...} | null}`: the matches
    in order. A page may be shorter than `limit` when one request's scan budget ran out
    (VIGIE_ARCHIVE_SEARCH_MAX_SCAN); follow `next_cursor` until it is null. Mentions archived meanwhile
    never shift the pages left. `archive` says how current the archive is (null: the archiver never
    reported): `complete_until` (every mention produced by then is archived), `behind_s` (now minus that: in
    a spike the archive can run behind the wall), `reported_at` and `stale` (no report for 30 s: the
    archiver is not running)."""
    search = _search(chosen, limit=limit, cursor=cursor)
    found = searcher(request)
    page = await asyncio.to_thread(found.search, search)
    await asyncio.to_thread(corrections_of(request).annotate, page.items)
    progress = await asyncio.to_thread(found.archive.progress)
    return {
        "items": [mention.to_item() for mention in page.items],
        "next_cursor": page.next_cursor,
        "scanned": page.scanned,
        "archive": freshness(progress, time.time()),
    }


@router.get(
    "/export",
    summary="Export archived mentions as CSV or NDJSON",
    response_class=StreamingResponse,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
async def export_mentions(
    request: Request,
    chosen: FiltersDep,
    format: Annotated[str, Query(description="csv or ndjson")] = "csv",
    limit: Annotated[int, Query(ge=1, le=MAX_EXPORT_ROWS)] = 100_000,
) -> StreamingResponse:
    """Every match (up to `limit`), streamed as it is read: CSV with a header row, or one JSON object per
    line (the items of search)."""
    if format not in FORMATS:
        raise field_error("format", f"expected one of {', '.join(FORMATS)}, got {format!r}")
    search = _search(chosen)
    pages = searcher(request).iterate(search, limit)
    store = corrections_of(request)

    def body() -> Iterator[bytes]:  # a plain generator: Starlette runs it in a thread, page by page
        if format == "csv":
            yield csv_header().encode()
        for items in pages:
            store.annotate(items)  # who corrected a label
            yield csv_rows(items).encode() if format == "csv" else ndjson_lines(items)

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    headers = {"Content-Disposition": f'attachment; filename="mentions-{stamp}.{format}"'}
    return StreamingResponse(body(), media_type=MEDIA_TYPES[format], headers=headers)
