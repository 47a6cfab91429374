"""A tiny HTTP server for the roles that have no web server of their own (worker, notifier, connectors):
`GET /healthz` (the process and its event loop are alive), `GET /readyz` (200 when `not_ready()` says
nothing, else 503 with its reason) and `GET /metrics` (Prometheus text format). Plain asyncio: it runs on
the role's own event loop, so a stuck loop fails the liveness probe too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import orjson

from services.runtime.observability.metrics import READY, exposition

log = logging.getLogger(__name__)

#: A request line and headers larger than this are refused; a client slower than the timeout is dropped.
MAX_REQUEST_BYTES = 8192
REQUEST_TIMEOUT_S = 5.0
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Service Unavailable",
}


class HealthServer:
    """Serves a role's health on `host:port` until stopped. `not_ready()` returns why the role cannot do
    its work yet ("no partitions assigned"), or None when it can; `refresh()`, when given, updates the
    metrics read at scrape time (consumer lag) before /metrics answers."""

    def __init__(
        self,
        role: str,
        host: str,
        port: int,
        not_ready: Callable[[], str | None],
        refresh: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.role = role
        self.host = host
        self.port = port
        self.not_ready = not_ready
        self.refresh = refresh
        self._server: asyncio.Server | None = None

    async def start(self) -> bool:
        """Listen; False (and a warning in the log) when the port cannot be had: the role runs on."""
        try:
            self._server = await asyncio.start_server(
                self._serve, self.host, self.port, limit=MAX_REQUEST_BYTES
            )
        except OSError as error:
            log.warning(
                "%s: no health endpoints: cannot listen on %s:%d: %s",
                self.role,
                self.host,
                self.port,
                error,
                extra={"role": self.role},
            )
            return False
        log.info(
            "%s: health endpoints on http://%s:%d", self.role, self.host, self.port, extra={"role": self.role}
        )
        return True

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def answer(self, method: str, path: str) -> tuple[int, str, bytes]:
        """Status, content type and body for one request."""
        json_type = "application/json"
        if method not in ("GET", "HEAD"):
            return 405, json_type, orjson.dumps({"error": f"expected GET or HEAD, got {method}"})
        path = path.split("?", 1)[0]
        if path == "/healthz":
            return 200, json_type, orjson.dumps({"status": "ok", "role": self.role})
        if path == "/readyz":
            reason = self.not_ready()
            READY.set(0 if reason else 1)
            if reason:
                return (
                    503,
                    json_type,
                    orjson.dumps({"status": "not ready", "role": self.role, "reason": reason}),
                )
            return 200, json_type, orjson.dumps({"status": "ready", "role": self.role})
        if path == "/metrics":
            READY.set(0 if self.not_ready() else 1)
            if self.refresh is not None:
                await self.refresh()
            text, content_type = exposition()
            return 200, content_type, text
        known = "/healthz, /readyz, /metrics"
        return 404, json_type, orjson.dumps({"error": f"expected one of {known}, got {path}"})

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                head = await reader.readuntil(b"\r\n\r\n")
            parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            if len(parts) != 3:
                status, content_type, body = 400, "text/plain", b"expected an HTTP request line\n"
                method = "GET"
            else:
                method, path = parts[0], parts[1]
                status, content_type, body = await self.answer(method, path)
            headers = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(headers.encode() + (b"" if method == "HEAD" else body))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass  # a client that hung up or sent nonsense: nothing to answer
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def start_health_server(
    role: str,
    host: str,
    port: int,
    not_ready: Callable[[], str | None],
    refresh: Callable[[], Awaitable[None]] | None = None,
) -> HealthServer | None:
    """A started server when `port` is set (not 0), else None."""
    if not port:
        return None
    server = HealthServer(role, host, port, not_ready, refresh)
    return server if await server.start() else None


class Readiness:
    """A role's readiness as one flag: not ready, for the reason given, until `ready` is set."""

    def __init__(self, waiting_for: str) -> None:
        self.waiting_for = waiting_for
        self.ready = False

    def not_ready(self) -> str | None:
        return None if self.ready else self.waiting_for
