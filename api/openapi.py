"""What /openapi.json says of our routes: request bodies described by their msgspec records, and the
refusals each route may answer (`{"detail": [{"field": ..., "error": ...}]}`, api/errors.py).

msgspec describes a record as `{"$ref": "#/$defs/Name", "$defs": {...}}`; inside an OpenAPI document
`#` is the document itself, so those references would not resolve: `body_doc` inlines them.
"""

from __future__ import annotations

from typing import Any

import msgspec


class FieldProblem(msgspec.Struct):
    """One refused field (a JSON path, `body`, `authorization` or a parameter); some say more."""

    field: str
    error: str


class Problem(msgspec.Struct):
    detail: list[FieldProblem]


def inline_schema(type_: Any) -> dict[str, Any]:
    """The JSON schema of a msgspec type with its `$defs` references replaced by the definitions."""
    schema = msgspec.json.schema(type_)
    definitions: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any, seen: frozenset[str]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                if name in seen:
                    raise ValueError(f"{name} refers to itself; OpenAPI bodies here must not be recursive")
                return resolve(definitions[name], seen | {name})
            return {key: resolve(value, seen) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item, seen) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema, frozenset())
    return resolved


REFUSALS: dict[int, str] = {
    401: "No API key, or an unknown or revoked one (`field`: `authorization`).",
    403: "The key lacks the scope this needs (`field`: `authorization`).",
    404: "Nothing with that id (`field` names the id or the parameter).",
    409: "It exists already, or its state does not allow this (`field`: `id`).",
    413: (
        "The body is larger than VIGIE_MAX_REQUEST_BYTES, or holds more mentions than "
        "VIGIE_INGEST_MAX_ITEMS (`field`: `body`)."
    ),
    415: "The body is not of a type the route reads (`field`: `content-type`); JSON, or NDJSON to ingest.",
    422: "A field is invalid: `field` names it, `error` says what was expected and what arrived.",
    429: "Too many ingest requests for this key, or too many unknown keys from this address; retry after "
    "`Retry-After` seconds.",
    503: "The broker did not acknowledge in time (`field`: `broker`); nothing was lost, retry.",
}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route or router that may refuse with these statuses."""
    schema = inline_schema(Problem)
    return {status: {"description": REFUSALS[status], "content": json_content(schema)} for status in statuses}


#: Every router behind an API key may answer these (the key is checked before anything else).
KEYED = refusals(401, 403, 422, 429)


def body_doc(type_: Any, example: Any, **other_media: dict[str, Any]) -> dict[str, Any]:
    """The `openapi_extra=` of a route that reads a JSON body of `type_` itself (from `request.body()`);
    `other_media` adds media types by name (`**{"application/x-ndjson": {...}}`)."""
    content = {"application/json": {"schema": inline_schema(type_), "example": example}, **other_media}
    return {"requestBody": {"required": True, "content": content}, "responses": {"415": refusals(415)[415]}}
