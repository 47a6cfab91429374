"""Token buckets: at most `rate_per_s` on average, `burst` at once; one bucket per key (an API key's id
for ingest, a client address for failed authentications)."""

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

    def wait_s(self, now_s: float, cost: float = 1.0) -> float:
        """How many seconds until `cost` tokens are there (0: now); takes nothing."""
        if self.updated_at_s is not None:
            self.tokens = min(self.burst, self.tokens + max(0.0, now_s - self.updated_at_s) * self.rate_per_s)
        self.updated_at_s = now_s
        return 0.0 if self.tokens >= cost else (cost - self.tokens) / self.rate_per_s

    def take(self, now_s: float, cost: float = 1.0) -> float:
        """Take `cost` tokens if there are enough and answer 0; otherwise take nothing and answer how many
        seconds to wait until there will be."""
        wait_s = self.wait_s(now_s, cost)
        if wait_s == 0.0:
            self.tokens -= cost
        return wait_s

    def full_at(self, now_s: float) -> bool:
        return self.wait_s(now_s, self.burst) == 0.0


class RateLimiter:
    """One token bucket per key, created full on first use. Beyond `max_keys` buckets, those full again
    are forgotten (a full bucket is what a new one would be), so many callers cannot grow it unbounded."""

    def __init__(self, rate_per_s: float, burst: float, max_keys: int = 100_000) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_keys = max_keys
        self.buckets: dict[str, TokenBucket] = {}

    def _bucket(self, key: str, now_s: float) -> TokenBucket:
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_keys:
                self.buckets = {k: b for k, b in self.buckets.items() if not b.full_at(now_s)}
            bucket = self.buckets[key] = TokenBucket(self.rate_per_s, self.burst)
        return bucket

    def take(self, key: str, now_s: float | None = None) -> float:
        """0 when `key` may go on now, else the seconds to wait (see TokenBucket.take)."""
        now_s = time.monotonic() if now_s is None else now_s
        return self._bucket(key, now_s).take(now_s)

    def wait_s(self, key: str, now_s: float | None = None) -> float:
        """The seconds `key` must wait before its next token (0: none), without taking one."""
        now_s = time.monotonic() if now_s is None else now_s
        bucket = self.buckets.get(key)
        return 0.0 if bucket is None else bucket.wait_s(now_s)
