"""`POST /api/v1/hooks/{source}`: other tools push mentions here (Zapier, n8n, a scraper, a CRM).

The body is what `POST /api/v1/mentions` takes (our mention format: an object, an array or NDJSON; same
answers, same dedupe by id); the path names the tool, and becomes the `source` of mentions that give none.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from api.deps import RuntimeDep
from api.errors import FieldErrorRoute
from api.openapi import KEYED
from api.routes.mentions import BODY_DOC, INGEST_RESPONSES, accept_body

router = APIRouter(prefix="/api/v1", tags=["mentions"], route_class=FieldErrorRoute, responses=KEYED)

SourceName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$", examples=["zapier"])]


@router.post(
    "/hooks/{source}",
    status_code=202,
    summary="Inbound webhook for mentions",
    description=(
        "Same body and answers as `POST /api/v1/mentions`; mentions without a `source` get the one in the "
        "path (lower-case letters, digits, `_ . -`)."
    ),
    openapi_extra=BODY_DOC,
    responses=INGEST_RESPONSES,
)
async def inbound_hook(source: SourceName, request: Request, runtime: RuntimeDep) -> Any:
    return await accept_body(await request.body(), runtime, default_source=source)
