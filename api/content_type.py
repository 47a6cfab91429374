"""Refuse a request body that is not what the route reads: 415 naming `content-type`.

Every route with a body reads JSON (`application/json`, or a `+json` type such as
`application/merge-patch+json`); the ingest routes also read NDJSON (`application/x-ndjson`). A body sent
without a Content-Type is read as JSON, as before. Refusing the rest also keeps a web form on another
site (`application/x-www-form-urlencoded`, `multipart/form-data`, `text/plain`) from posting to the api.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from api.responses import FastJSONResponse

JSON = "application/json"
NDJSON = "application/x-ndjson"
#: Paths whose route also reads NDJSON (api/routes/mentions.py, hooks.py).
NDJSON_PATHS = ("/api/v1/mentions", "/api/v1/hooks/")
_WITH_BODY = ("POST", "PUT", "PATCH")


def accepted_media(path: str) -> tuple[str, ...]:
    return (JSON, NDJSON) if path.startswith(NDJSON_PATHS) else (JSON,)


def media_type(content_type: str) -> str:
    """`application/json; charset=utf-8` -> `application/json`."""
    return content_type.split(";", 1)[0].strip().lower()


def refusal(path: str, content_type: str) -> str | None:
    """Why a body of this Content-Type is refused on this path, or None when it is read."""
    media = media_type(content_type)
    accepted = accepted_media(path)
    if media in accepted or media.endswith("+json"):
        return None
    return f"expected a body of type {' or '.join(accepted)}, got {media or 'an empty type'!r}"


class ContentTypeCheck:
    """ASGI middleware: 415 for a body whose Content-Type the api's routes do not read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _WITH_BODY and scope["path"].startswith("/api/"):
            headers = dict(scope["headers"])
            content_type = headers.get(b"content-type")
            has_body = headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers
            if content_type is not None and has_body:
                reason = refusal(scope["path"], content_type.decode("latin-1"))
                if reason is not None:
                    body = {"detail": [{"field": "content-type", "error": reason}]}
                    await FastJSONResponse(body, status_code=415)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
