"""Limits on what one caller may send: request body size (413) and the ingest rate per key (429)."""

from __future__ import annotations

import math

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import field_error
from api.responses import FastJSONResponse
from services.access.ratelimit import RateLimiter


def _too_large(max_bytes: int, got: str) -> str:
    return f"expected a body of at most {max_bytes} bytes, got {got}"


class BodySizeLimit:
    """ASGI middleware: 413 naming the field `body` when a request's Content-Length exceeds `max_bytes`, or
    when a body sent without one (chunked) grows past it while it is read."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            reason = _too_large(self.max_bytes, f"{int(declared)} bytes")
            body = {"detail": [{"field": "body", "error": reason}]}
            await FastJSONResponse(body, status_code=413)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise field_error("body", _too_large(self.max_bytes, "more"), 413)
            return message

        await self.app(scope, counting_receive, send)


def limit_ingest(request: Request) -> None:
    """A dependency after `require(...)`: 429 with Retry-After (whole seconds) when the request's key has
    sent more ingest requests than its bucket allows (services/access/ratelimit.py)."""
    limiter: RateLimiter = request.app.state.ingest_limiter
    key = getattr(request.state, "api_key", None)
    wait_s = limiter.take(key.id if key is not None else "anonymous")
    if wait_s > 0:
        name = key.name if key is not None else "anonymous"
        error = field_error(
            "authorization",
            f"key {name!r} sent more than {limiter.burst:g} ingest requests at once or "
            f"{limiter.rate_per_s:g} a second on average; retry in {wait_s:.1f} s",
            429,
        )
        error.headers = {"Retry-After": str(max(1, math.ceil(wait_s)))}
        raise error
