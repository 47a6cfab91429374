"""Token buckets: at most `rate_per_s` on average, `burst` at once; one bucket per key."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate_per_s: float
    burst: float
    tokens: float = field(default=-1.0)
    updated_at_s: float | None = None

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0 or self.burst < 1:
            got = f"{self.rate_per_s} and {self.burst}"
            raise ValueError(f"expected rate_per_s > 0 and burst >= 1, got {got}")
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self, now_s: float, cost: float = 1.0) -> float:
        """Take `cost` tokens if there are enough and answer 0; otherwise take nothing and answer how many
        seconds to wait until there will be."""
        if self.updated_at_s is not None:
            self.tokens = min(self.burst, self.tokens + max(0.0, now_s - self.updated_at_s) * self.rate_per_s)
        self.updated_at_s = now_s
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.rate_per_s


class RateLimiter:
    """One token bucket per key id, created full on first use."""

    def __init__(self, rate_per_s: float, burst: float) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.buckets: dict[str, TokenBucket] = {}

    def take(self, key: str, now_s: float | None = None) -> float:
        """0 when `key` may go on now, else the seconds to wait (see TokenBucket.take)."""
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = TokenBucket(self.rate_per_s, self.burst)
        return bucket.take(time.monotonic() if now_s is None else now_s)
