"""Real receivers on 127.0.0.1 for delivery tests: HTTP servers (uvicorn + Starlette, in the test's loop)
that check what they get the way the real services do, and an SMTP server (aiosmtpd, in its thread)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import orjson
import uvicorn
from aiosmtpd.controller import Controller
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # leave Ctrl-C to pytest
        yield


Handler = Callable[[Request, bytes], Awaitable[Response]]


class HttpReceiver:
    """An HTTP server answering POST / with `handle`; `fail_next` requests are answered `fail_status`
    first (after being recorded), and the receiver can be stopped and started again on the same port."""

    def __init__(self, handle: Handler, port: int | None = None) -> None:
        self.handle = handle
        self.port = port or free_port()
        self.fail_next = 0
        self.fail_status = 500
        self.fail_headers: dict[str, str] = {}
        self.delay_s = 0.0
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._released = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _endpoint(self, request: Request) -> Response:
        body = await request.body()
        self.requests.append((dict(request.headers), body))
        if self.delay_s:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), self.delay_s)
        if self.fail_next > 0:
            self.fail_next -= 1
            return Response("receiver failing on purpose", self.fail_status, headers=self.fail_headers)
        return await self.handle(request, body)

    async def start(self) -> None:
        app = Starlette(routes=[Route("/hook", self._endpoint, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error", lifespan="off")
        self._server = _QuietServer(config)
        self._released.clear()
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._released.set()
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._server = self._task = None


class WebhookVerifier:
    """A Standard Webhooks consumer: verifies each signature with the `standardwebhooks` library and
    processes each webhook-id once, as a receiver following the specification does."""

    def __init__(self, secret: str) -> None:
        self.webhook = Webhook(secret)
        self.accepted: Counter[str] = Counter()  # 2xx answers given, by webhook-id
        self.processed: list[dict[str, Any]] = []  # events acted upon, duplicates dropped
        self.rejected: list[str] = []

    async def __call__(self, request: Request, body: bytes) -> Response:
        try:
            event = self.webhook.verify(body, dict(request.headers))
        except WebhookVerificationError as error:
            self.rejected.append(str(error))
            return Response(f"bad signature: {error}", 401)
        webhook_id = request.headers["webhook-id"]
        if webhook_id not in self.accepted:
            self.processed.append(event)
        self.accepted[webhook_id] += 1
        return Response(status_code=204)


_PD_ACTIONS = {"trigger", "acknowledge", "resolve"}
_PD_SEVERITIES = {"critical", "error", "warning", "info"}


class PagerDutyReceiver:
    """Checks events against the PagerDuty Events API v2 schema and keeps incidents by dedup_key."""

    def __init__(self, routing_key: str) -> None:
        self.routing_key = routing_key
        self.events: list[dict[str, Any]] = []
        self.incidents: dict[str, str] = {}  # dedup_key -> triggered / acknowledged / resolved
        self.errors: list[str] = []

    def _problems(self, event: dict[str, Any]) -> list[str]:
        problems = []
        if event.get("routing_key") != self.routing_key:
            problems.append(f"routing_key {event.get('routing_key')!r}")
        if event.get("event_action") not in _PD_ACTIONS:
            problems.append(f"event_action {event.get('event_action')!r}")
        if not isinstance(event.get("dedup_key"), str) or not 0 < len(event["dedup_key"]) <= 255:
            problems.append("dedup_key")
        if event.get("event_action") == "trigger":
            payload = event.get("payload") or {}
            for field in ("summary", "source"):
                if not isinstance(payload.get(field), str) or not payload[field]:
                    problems.append(f"payload.{field}")
            if len(payload.get("summary", "")) > 1024:
                problems.append("payload.summary longer than 1024")
            if payload.get("severity") not in _PD_SEVERITIES:
                problems.append(f"payload.severity {payload.get('severity')!r}")
        return problems

    async def __call__(self, request: Request, body: bytes) -> Response:
        event = orjson.loads(body)
        problems = self._problems(event)
        if problems:
            self.errors.append(", ".join(problems))
            return JSONResponse({"status": "invalid event", "errors": problems}, 400)
        self.events.append(event)
        key, action = event["dedup_key"], event["event_action"]
        if action == "trigger":
            self.incidents[key] = "triggered"
        elif key in self.incidents and self.incidents[key] != "resolved":  # PagerDuty drops the others
            self.incidents[key] = "acknowledged" if action == "acknowledge" else "resolved"
        return JSONResponse({"status": "success", "message": "Event processed", "dedup_key": key}, 202)


class SlackReceiver:
    """An incoming-webhook endpoint: `text` is required, `blocks` optional; answers "ok" like Slack."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, request: Request, body: bytes) -> Response:
        message = orjson.loads(body)
        if not isinstance(message.get("text"), str) or not message["text"]:
            return Response("no_text", 400)
        self.messages.append(message)
        return Response("ok", 200)


class _MailHandler:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpReceiver:
    """A real SMTP server (aiosmtpd) on a free loopback port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = _MailHandler()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
