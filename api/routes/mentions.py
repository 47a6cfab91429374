"""`POST /api/v1/mentions`: ingest one mention, an array, or NDJSON."""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from typing import Any

import msgspec
from aiokafka.errors import KafkaError
from fastapi import APIRouter, HTTPException, Request

from api.deps import Runtime, RuntimeDep
from api.errors import FieldErrorRoute, field_error
from api.openapi import KEYED, REFUSALS, Problem, body_doc, inline_schema, json_content, refusals
from api.responses import FastJSONResponse
from services.ingest.body import Refusal, TooManyItems
from services.ingest.records import Mention, MentionError
from services.runtime.hold import RETRY_AFTER_S, IngestHeld
from services.runtime.observability.metrics import count_ingest, count_published

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


#: An answer lists at most this many refused items (the first ones); `refused_total` counts them all.
MAX_LISTED_REFUSALS = 100


class IngestAnswer(msgspec.Struct, omit_defaults=True):
    """How many mentions were accepted, and the refused items with their index and field: the first 100,
    with `refused_total` counting them all when there are more."""

    accepted: int
    refused: list[Refusal]
    refused_total: int | None = None


#: What both ingest routes (this one and api/routes/hooks.py) answer.
INGEST_RESPONSES: dict[int | str, dict[str, Any]] = {
    **refusals(413, 415, 429, 503),
    202: {
        "description": "Every mention was accepted.",
        "content": json_content(inline_schema(IngestAnswer)),
    },
    422: {
        "description": (
            "Some items were refused (`refused`: the first 100, each with its `index` and `field`; "
            "`refused_total` counts them all when there are more; the others were accepted), or the body "
            f"as a whole: {REFUSALS[422]}"
        ),
        "content": json_content({"anyOf": [inline_schema(IngestAnswer), inline_schema(Problem)]}),
    },
}


@router.post(
    "/mentions",
    status_code=202,
    summary="Ingest mentions",
    description=(
        "A JSON object, a JSON array or NDJSON, of at most VIGIE_INGEST_MAX_ITEMS (10,000) mentions "
        "(413 beyond). Answers 202 with the count accepted once the broker has "
        "acknowledged them (a small request may first wait VIGIE_INGEST_LINGER_MS, 5 ms, for others to "
        "share its publish). When some items are invalid the answer is 422, listing each refused item with "
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
        parsed = await runtime.parser.parse(body, default_source)
    except TooManyItems as error:
        raise field_error(error.field, error.reason, 413) from None
    except MentionError as error:
        raise field_error(error.field, error.reason) from None
    except BrokenProcessPool:
        raise field_error("body", "the body could not be parsed (its parser stopped); retry", 503) from None
    count_ingest(len(parsed.mentions) + len(parsed.refused), len(parsed.refused))
    try:
        accepted = await runtime.ingest.submit(parsed.mentions)
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
    listed = parsed.refused[:MAX_LISTED_REFUSALS]
    total = len(parsed.refused) if len(parsed.refused) > len(listed) else None
    answer = IngestAnswer(accepted=accepted, refused=listed, refused_total=total)
    return FastJSONResponse(msgspec.to_builtins(answer), status_code=422 if parsed.refused else 202)
