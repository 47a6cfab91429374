"""The deliverer: makes one attempt at each due delivery, records it, and lets the store schedule the next.

The notifier process enqueues each alert event for its endpoints (`DeliveryStore.enqueue`) and calls
`Deliverer.run_due()` in a loop. HTTP goes through one `httpx.AsyncClient` whose connections pass the
target guard at connect time; redirects are not followed (a 3xx is a failed attempt), proxies from the
environment are not used. Mail goes to the SMTP relay of the settings.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from types import TracebackType
from typing import Literal, Self

import aiosmtplib
import httpx
import msgspec

from services.alerts.events import AlertEvent
from services.delivery import formats
from services.delivery.attempts import Attempt, Delivery
from services.delivery.endpoints import Endpoint
from services.delivery.guard import TargetPolicy, TargetRefused, guarded_http_client
from services.delivery.retry import Outcome, RetryPolicy, classify_status, parse_retry_after
from services.delivery.store import DeliveryStore
from services.runtime.observability.logs import redact
from services.runtime.observability.metrics import count_delivery
from services.settings import Settings

log = logging.getLogger(__name__)

#: How much of a receiver's error answer is kept in the attempt log.
_ERROR_BODY_CHARS = 300


class SmtpRelay(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "localhost"
    port: int = 25
    tls: Literal["none", "starttls", "tls"] = "none"
    username: str = ""
    password: str = ""
    sender: str = "vigie@localhost"


class _Result(msgspec.Struct):
    outcome: Outcome
    status_code: int | None = None
    error: str | None = None
    retry_after_s: float | None = None
    #: The start of what the receiver answered (an HTTP body, an SMTP reply).
    answer: str | None = None


class TrialAnswer(msgspec.Struct, kw_only=True):
    """What an endpoint's receiver answered a test event (`Deliverer.send_test`)."""

    outcome: Outcome
    status_code: int | None
    latency_ms: float
    error: str | None
    answer: str | None
    event_id: str


def trial_event(endpoint: Endpoint, now: datetime | None = None) -> AlertEvent:
    """An `info` alert event marked as a test (`details.test`), in the wire format real ones have."""
    now = now or datetime.now(UTC)
    alert_id = f"test-{endpoint.id}-{int(now.timestamp())}"
    return AlertEvent(
        event_id=AlertEvent.make_id(alert_id, now, "firing"),
        alert_id=alert_id,
        rule="volume_spike",
        watchlist="test",
        subject="test",
        severity="info",
        status="firing",
        summary=f"Test from Vigie to endpoint {endpoint.name or endpoint.id}: no action needed",
        details={"test": True},
        started_at=now,
        at=now,
    )


class Deliverer:
    """One attempt per due delivery, at most `concurrency` at once, each bounded by `attempt_timeout_s`."""

    def __init__(
        self,
        store: DeliveryStore,
        *,
        allow_private_targets: bool = False,
        attempt_timeout_s: float = 10.0,
        concurrency: int = 16,
        public_url: str = "http://127.0.0.1:8000",
        smtp: SmtpRelay | None = None,
    ) -> None:
        self.store = store
        self.attempt_timeout_s = attempt_timeout_s
        self.concurrency = concurrency
        self.public_url = public_url
        self.smtp = smtp or SmtpRelay()
        self.http = guarded_http_client(
            TargetPolicy(allow_private=allow_private_targets), attempt_timeout_s, concurrency=concurrency
        )
        self._slots = asyncio.Semaphore(concurrency)

    @classmethod
    def from_settings(cls, settings: Settings, store: DeliveryStore | None = None) -> Deliverer:
        from services.storage import create_db_engine

        store = store or DeliveryStore(
            create_db_engine(settings.db_url), RetryPolicy(tuple(settings.delivery_retry_delays_s))
        )
        return cls(
            store,
            allow_private_targets=settings.delivery_allow_private_targets,
            attempt_timeout_s=settings.delivery_attempt_timeout_s,
            concurrency=settings.delivery_concurrency,
            public_url=settings.public_url or f"http://{settings.host}:{settings.port}",
            smtp=SmtpRelay(
                host=settings.smtp_host,
                port=settings.smtp_port,
                tls=settings.smtp_tls,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value(),
                sender=settings.smtp_from,
            ),
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def run_due(self, now: datetime | None = None, limit: int = 1000) -> list[Attempt]:
        """Attempt every due delivery (at most `limit`) concurrently; returns the attempts made."""
        now = now or datetime.now(UTC)
        lease_s = self.attempt_timeout_s * 2 + 30
        due = await asyncio.to_thread(self.store.claim_due, now, lease_s, limit)
        results = await asyncio.gather(*(self._attempt_in_slot(delivery) for delivery in due))
        return [attempt for attempt in results if attempt is not None]

    async def _attempt_in_slot(self, delivery: Delivery) -> Attempt | None:
        async with self._slots:
            return await self.attempt(delivery)

    async def attempt(self, delivery: Delivery) -> Attempt | None:
        """Make and record one attempt; None when the endpoint is gone (the delivery is cancelled instead)."""
        endpoint = await asyncio.to_thread(self.store.get_endpoint, delivery.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            reason = (
                "endpoint deleted" if endpoint is None else f"endpoint disabled: {endpoint.disabled_reason}"
            )
            await asyncio.to_thread(self.store.cancel, delivery.id, reason)
            count_delivery(endpoint.kind if endpoint is not None else "unknown", "cancelled")
            return None
        at = datetime.now(UTC)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.attempt_timeout_s):
                result = await self._send(endpoint, delivery)
        except TimeoutError:
            result = _Result("failed", error=f"timed out after {self.attempt_timeout_s:g} s")
        latency_ms = (time.perf_counter() - started) * 1000
        count_delivery(endpoint.kind, result.outcome)
        attempt = Attempt(
            delivery_id=delivery.id,
            event_id=delivery.event_id,
            endpoint_id=endpoint.id,
            number=delivery.attempts + 1,
            at=at,
            outcome=result.outcome,
            status_code=result.status_code,
            latency_ms=round(latency_ms, 3),
            error=redact(result.error) if result.error else None,  # shown to `read` keys
            retry_after_s=result.retry_after_s,
        )
        if result.outcome != "delivered":
            log.info(
                "delivery %s to %s: attempt %d %s: %s",
                delivery.id,
                endpoint.id,
                attempt.number,
                result.outcome,
                result.error,
                extra={"alert_id": delivery.alert_id, "delivery_id": delivery.id, "endpoint_id": endpoint.id},
            )
        await asyncio.to_thread(self.store.record, attempt)
        return attempt

    async def send_test(self, endpoint: Endpoint) -> TrialAnswer:
        """Send a test event to `endpoint` now (through the same guard, formats and timeout as real
        deliveries; nothing is recorded or retried) and return what its receiver answered."""
        event = trial_event(endpoint)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.attempt_timeout_s):
                result = await self._send_event(endpoint, event)
        except TimeoutError:
            result = _Result("failed", error=f"timed out after {self.attempt_timeout_s:g} s")
        return TrialAnswer(
            outcome=result.outcome,
            status_code=result.status_code,
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
            error=result.error,
            answer=result.answer,
            event_id=event.event_id,
        )

    async def _send(self, endpoint: Endpoint, delivery: Delivery) -> _Result:
        return await self._send_event(endpoint, delivery.event)

    async def _send_event(self, endpoint: Endpoint, event: AlertEvent) -> _Result:
        link = formats.alert_link(self.public_url, event)
        if endpoint.kind == "email":
            assert endpoint.address is not None, "validated by Endpoint"
            mail = formats.email_message(event, endpoint.address, self.smtp.sender, link)
            return await self._send_mail(mail)
        if endpoint.kind == "webhook":
            request = formats.webhook_request(endpoint, event, int(time.time()))
        elif endpoint.kind == "slack":
            request = formats.slack_request(endpoint, event, link)
        else:
            request = formats.pagerduty_request(endpoint, event, link)
        return await self._post(request)

    async def _post(self, request: formats.HttpRequest) -> _Result:
        try:
            response = await self.http.post(request.url, content=request.body, headers=request.headers)
        except TargetRefused as refused:
            return _Result("refused", error=str(refused))
        except httpx.TimeoutException as error:
            limit_s = self.attempt_timeout_s
            return _Result("failed", error=f"timed out ({type(error).__name__}) after {limit_s:g} s")
        except httpx.HTTPError as error:
            return _Result("failed", error=f"{type(error).__name__}: {error or 'no detail'}")
        outcome = classify_status(response.status_code)
        answer = response.text[:_ERROR_BODY_CHARS]
        if outcome == "delivered":
            return _Result(outcome, response.status_code, answer=answer)
        reason = f"HTTP {response.status_code}: {response.text[:_ERROR_BODY_CHARS]}".rstrip(": ")
        if 300 <= response.status_code < 400:
            reason += f" (redirect to {response.headers.get('location')!r} not followed)"
        retry_after_s = parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
        return _Result(outcome, response.status_code, reason, retry_after_s, answer)

    async def _send_mail(self, mail: EmailMessage) -> _Result:
        relay = self.smtp
        try:
            errors, reply = await aiosmtplib.send(
                mail,
                hostname=relay.host,
                port=relay.port,
                username=relay.username or None,
                password=relay.password or None,
                use_tls=relay.tls == "tls",
                start_tls=relay.tls == "starttls",
                timeout=self.attempt_timeout_s,
            )
        except aiosmtplib.SMTPResponseException as error:
            return _Result("failed", error.code, f"SMTP {error.code}: {error.message}")
        except (aiosmtplib.SMTPException, OSError) as error:
            return _Result("failed", error=f"SMTP {relay.host}:{relay.port}: {type(error).__name__}: {error}")
        if errors:
            refused = "; ".join(f"{address}: {code} {text}" for address, (code, text) in errors.items())
            return _Result("failed", None, f"SMTP recipients refused: {refused}")
        return _Result("delivered", 250, None, answer=reply[:_ERROR_BODY_CHARS])
