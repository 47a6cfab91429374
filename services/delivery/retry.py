"""When to try again: the outcome of one attempt and the schedule of the next.

Policy (Standard Webhooks' recommendation): an answer in 2xx is delivered; HTTP 410 Gone means the receiver
asks us to stop, so the endpoint is disabled; every other answer (3xx — redirects are not followed, 4xx
including 400/401/403 — a receiver's bug or a secret being rotated is often fixed within hours, 408, 429,
5xx), a timeout or a connection error is retried on the schedule. A target the guard refuses is not
retried (nothing will change until the operator does). A `Retry-After` answer is honoured as "not before",
capped at the longest delay of the schedule so a receiver cannot stall a delivery for ever.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal

import msgspec

#: Close to immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 27.6 hours.
DEFAULT_DELAYS_S: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)

#: delivered: the receiver took it; failed: try again (or give up when the schedule is over);
#: gone: HTTP 410, the endpoint is disabled; refused: the guard refused the target.
Outcome = Literal["delivered", "failed", "gone", "refused"]


def classify_status(status_code: int) -> Outcome:
    """The outcome of an HTTP answer."""
    if 200 <= status_code < 300:
        return "delivered"
    if status_code == 410:
        return "gone"
    return "failed"


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait per a `Retry-After` header (seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class RetryPolicy(msgspec.Struct, frozen=True):
    """`delays_s[i]` is the wait before attempt i+1 of a round (the first from enqueue or redelivery)."""

    delays_s: tuple[float, ...] = DEFAULT_DELAYS_S

    def __post_init__(self) -> None:
        if not self.delays_s or any(delay < 0 for delay in self.delays_s):
            raise ValueError(f"retry delays must be a non-empty list of seconds >= 0, got {self.delays_s!r}")

    @property
    def max_attempts(self) -> int:
        return len(self.delays_s)

    def first_attempt_at(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.delays_s[0])

    def next_attempt_at(
        self, attempts_made: int, now: datetime, retry_after_s: float | None = None
    ) -> datetime | None:
        """When to make the next attempt after `attempts_made` failed ones in this round; None: give up."""
        if attempts_made >= len(self.delays_s):
            return None
        delay_s = self.delays_s[attempts_made]
        if retry_after_s is not None:
            delay_s = max(delay_s, min(retry_after_s, max(self.delays_s)))
        return now + timedelta(seconds=delay_s)
