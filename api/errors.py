"""Error bodies that say which field was wrong and why: `{"detail": [{"field": ..., "error": ...}]}`."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import msgspec
import orjson
from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from services.ingest.records import problem_of

T = TypeVar("T")


def field_error(field: str, reason: str, status: int = 422) -> HTTPException:
    return HTTPException(status, detail=[{"field": field, "error": reason}])


def decode_json_body(body: bytes) -> Any:
    if not body.strip():
        raise field_error("body", "expected a JSON body, got nothing")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise field_error("body", f"not valid JSON: {error}") from None


def object_body(body: bytes, path_id: str | None = None) -> dict[str, Any]:
    """A request body that must be one JSON object; with `path_id`, its `id` defaults to the path's and
    must not differ from it."""
    decoded = decode_json_body(body)
    if not isinstance(decoded, dict):
        raise field_error("body", f"expected a JSON object, got {type(decoded).__name__}")
    if path_id is not None and decoded.setdefault("id", path_id) != path_id:
        raise field_error("id", f"the body's id {decoded['id']!r} differs from the path's {path_id!r}")
    return decoded


def convert_or_422(body: Any, type_: type[T]) -> T:
    """Validate a decoded JSON body into a record, or raise 422 naming the field."""
    try:
        return msgspec.convert(body, type_)
    except msgspec.ValidationError as error:
        problem = problem_of(error)
        field = problem.field
        if field == "mention" and " - at `" not in str(error):
            # Raised by the record's own check (`__post_init__`), at no path: its message starts by
            # naming the field ("`url` must start with http://..."); else the body as a whole.
            named = re.match(r"`(\w+)`", problem.reason)
            field = named.group(1) if named else "body"
        raise field_error(field, problem.reason) from None


def parameter_problems(error: RequestValidationError) -> list[dict[str, str]]:
    """FastAPI's own refusals of a path or query parameter (`loc`, `msg`) as `{"field", "error"}` items."""
    problems = []
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ())]
        field = ".".join(location[1:] if location[:1] in (["query"], ["path"], ["header"]) else location)
        got = f"; got {item['input']!r}" if "input" in item else ""
        problems.append({"field": field or "request", "error": f"{item.get('msg', 'invalid')}{got}"})
    return problems


class FieldErrorRoute(APIRoute):
    """A route whose parameter refusals have the same shape as every other refusal: 422 naming the field
    (FastAPI's default answers `{"loc", "msg", "type"}`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                raise HTTPException(422, detail=parameter_problems(error)) from None

        return handle
