"""`POST /api/v1/mentions`: ingest one mention, an array, or NDJSON."""

from __future__ import annotations

from typing import Any

import msgspec
from aiokafka.errors import KafkaError
from fastapi import APIRouter, HTTPException, Request

from api.deps import Runtime, RuntimeDep
from api.errors import FieldErrorRoute, field_error
from api.openapi import KEYED, REFUSALS, Problem, body_doc, inline_schema, json_content, refusals
from api.responses import FastJSONResponse
from services.hold import RETRY_AFTER_S, IngestHeld
from services.ingest import Refusal, parse_body
from services.observability.metrics import count_ingest, count_published
from services.records import Mention, MentionError

router = APIRouter(prefix="/api/v1", tags=["mentions"], route_class=FieldErrorRoute, responses=KEYED)

EXAMPLE = {
    "id": "example-1",
    "source": "api",
    "text": "Flight delayed again, thanks @aerolis #fail",
    "author": {"id": "42", "handle": "marie_d", "followers": 1200},
    "created_at": "2026-11-22T10:00:00Z",
    "lang": "en",
    "engagement": {"likes": 3, "reposts": 1, "replies": 0},
}


BODY_DOC = body_doc(Mention, EXAMPLE, **{"application/x-ndjson": {"schema": {"type": "string"}}})


class IngestAnswer(msgspec.Struct):
    """How many mentions were accepted, and each refused item with its index and field."""

    accepted: int
    refused: list[Refusal]


#: What both ingest routes (this one and api/routes/hooks.py) answer.
INGEST_RESPONSES: dict[int | str, dict[str, Any]] = {
    **refusals(413, 429, 503),
    202: {
        "description": "Every mention was accepted.",
        "content": json_content(inline_schema(IngestAnswer)),
    },
    422: {
        "description": (
            "Some items were refused (`refused`: each with its `index` and `field`; the others were "
            f"accepted), or the body as a whole: {REFUSALS[422]}"
        ),
        "content": json_content({"anyOf": [inline_schema(IngestAnswer), inline_schema(Problem)]}),
    },
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
    openapi_extra=BODY_DOC,
    responses=INGEST_RESPONSES,
)
async def ingest_mentions(request: Request, runtime: RuntimeDep) -> Any:
    return await accept_body(await request.body(), runtime)


async def accept_body(body: bytes, runtime: Runtime, default_source: str | None = None) -> FastJSONResponse:
    """Parse an ingest body, publish its valid mentions and answer 202, or 422 listing the refused ones."""
    try:
        parsed = parse_body(body, default_source=default_source)
    except MentionError as error:
        raise field_error(error.field, error.reason) from None
    count_ingest(len(parsed.mentions) + len(parsed.refused), len(parsed.refused))
    try:
        accepted = await runtime.publisher.publish(parsed.mentions, wait_if_held=False)
    except IngestHeld as held:
        count_published("ingest", 0, failed=len(parsed.mentions))
        raise HTTPException(
            503,
            detail=[{"field": "broker", "error": f"{held}; nothing was accepted, send it again"}],
            headers={"Retry-After": str(RETRY_AFTER_S)},
        ) from None
    except KafkaError as error:
        count_published("ingest", 0, failed=len(parsed.mentions))
        raise field_error("broker", f"the broker did not acknowledge the mentions: {error}", 503) from None
    count_published("ingest", accepted)
    answer = IngestAnswer(accepted=accepted, refused=parsed.refused)
    return FastJSONResponse(msgspec.to_builtins(answer), status_code=422 if parsed.refused else 202)
