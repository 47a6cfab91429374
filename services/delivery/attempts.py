"""The delivery log: a delivery is one event for one endpoint; an attempt is one try at it.

A delivery is `pending` (next_attempt_at says when), `delivered`, `failed` (its retries are exhausted or its
target was refused; kept, and can be redelivered) or `cancelled` (its endpoint was disabled or deleted).
Every attempt is recorded, whatever happened, with the receiver's status code (HTTP, or the SMTP reply
code for e-mail), the latency and the error in words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from services.alerts.events import AlertEvent
from services.delivery.retry import Outcome

DeliveryState = Literal["pending", "delivered", "failed", "cancelled"]


class Delivery(msgspec.Struct, kw_only=True):
    """One event to deliver to one endpoint. `attempts` counts all attempts made; `round_attempts` those
    since it was enqueued or last redelivered (the position in the retry schedule)."""

    id: int
    event_id: str
    alert_id: str
    endpoint_id: str
    event: AlertEvent
    state: DeliveryState
    attempts: int = 0
    round_attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime
    updated_at: datetime


class Attempt(msgspec.Struct, kw_only=True):
    """One try: `number` is 1 for the first attempt of a delivery and keeps counting across redeliveries."""

    delivery_id: int
    event_id: str
    endpoint_id: str
    number: int
    at: datetime
    outcome: Outcome
    status_code: int | None = None
    latency_ms: float
    error: str | None = None
    retry_after_s: float | None = None
