"""Watchlist queries: check one as it is typed, before a watchlist that uses it is saved."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, HTTPException, Request

from api.errors import FieldErrorRoute, convert_or_422, decode_json_body
from api.openapi import KEYED, body_doc, refusals
from services.understanding.query import QuerySyntaxError, operator_warnings, parse, render, terms

router = APIRouter(prefix="/api/v1/queries", tags=["queries"], route_class=FieldErrorRoute, responses=KEYED)


class QueryBody(msgspec.Struct):
    query: str


BODY_DOC = body_doc(
    QueryBody, {"query": '(Aerolis OR #FlyAerolis) AND (retard* OR "lost luggage") NOT lang:de'}
)


def query_error(error: QuerySyntaxError, field: str = "query") -> HTTPException:
    """422 naming the field, with where the query went wrong and what was expected there."""
    detail = {
        "field": field,
        "error": str(error),
        "position": error.position,
        "expected": error.expected,
        "found": error.found,
    }
    return HTTPException(422, detail=[detail])


@router.post("/validate", summary="Check a watchlist query", openapi_extra=BODY_DOC, responses=refusals(413))
async def validate_query(request: Request) -> dict[str, Any]:
    """200 `{"valid": true, "terms": [...], "normalized": "...", "warnings": [...]}` (`normalized` shows the
    implicit ANDs and the grouping as understood; `warnings` names lower-case words that look like operators
    but are searched for: `Aerolis and delay`), or 422 with the `position` (0-based character), `expected`
    and `found`."""
    body = convert_or_422(decode_json_body(await request.body()), QueryBody)
    try:
        node = parse(body.query)
    except QuerySyntaxError as error:
        raise query_error(error) from None
    return {
        "valid": True,
        "terms": terms(node),
        "normalized": render(node),
        "warnings": operator_warnings(body.query),
    }
