"""Error bodies that say which field was wrong and why: `{"detail": [{"field": ..., "error": ...}]}`."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
import orjson
from fastapi import HTTPException

from services.records import problem_of

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
        raise field_error(problem.field, problem.reason) from None
