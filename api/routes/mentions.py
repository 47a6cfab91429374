"""`POST /api/v1/mentions`: ingest one mention, an array, or NDJSON."""

from __future__ import annotations

from typing import Any

import msgspec
from aiokafka.errors import KafkaError
from fastapi import APIRouter, Request

from api.deps import Runtime, RuntimeDep
from api.errors import field_error
from api.responses import FastJSONResponse
from services.ingest import parse_body
from services.records import Mention, MentionError

router = APIRouter(prefix="/api/v1", tags=["mentions"])

EXAMPLE = {
    "id": "example-1",
    "source": "api",
    "text": "Flight delayed again, thanks @aerolis #fail",
    "author": {"id": "42", "handle": "marie_d", "followers": 1200},
    "created_at": "2026-11-22T10:00:00Z",
    "lang": "en",
    "engagement": {"likes": 3, "reposts": 1, "replies": 0},
}


@router.post(
    "/mentions",
    status_code=202,
    summary="Ingest mentions",
    description=(
        "A JSON object, a JSON array or NDJSON. Answers 202 with the count accepted once the broker has "
        "acknowledged them. When some items are invalid the answer is 422, listing each refused item with "
        "its index and field; the valid items of the same request are still accepted (and counted in "
        "`accepted`). Resending a request is safe: mentions are deduplicated by id (an id is derived from "
        "the content when absent)."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": msgspec.json.schema(Mention), "example": EXAMPLE},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
    responses={
        202: {"content": {"application/json": {"example": {"accepted": 1, "refused": []}}}},
        422: {
            "content": {
                "application/json": {
                    "example": {
                        "accepted": 1,
                        "refused": [{"index": 1, "field": "author.handle", "error": "Expected `str`"}],
                    }
                }
            }
        },
    },
)
async def ingest_mentions(request: Request, runtime: RuntimeDep) -> Any:
    return await accept_body(await request.body(), runtime)


async def accept_body(body: bytes, runtime: Runtime, default_source: str | None = None) -> FastJSONResponse:
    """Parse an ingest body, publish its valid mentions and answer 202, or 422 listing the refused ones."""
    try:
        parsed = parse_body(body, default_source=default_source)
    except MentionError as error:
        raise field_error(error.field, error.reason) from None
    try:
        accepted = await runtime.publisher.publish(parsed.mentions)
    except KafkaError as error:
        raise field_error("broker", f"the broker did not acknowledge the mentions: {error}", 503) from None
    status = 422 if parsed.refused else 202
    return FastJSONResponse(
        {"accepted": accepted, "refused": msgspec.to_builtins(parsed.refused)}, status_code=status
    )
