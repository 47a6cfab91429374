"""Token buckets (services/access/ratelimit.py): a burst at once, then the rate, and how long to wait."""

from __future__ import annotations

import pytest

from services.access.ratelimit import RateLimiter, TokenBucket


def test_a_full_bucket_allows_a_burst_then_says_how_long_to_wait() -> None:
    bucket = TokenBucket(rate_per_s=2.0, burst=3)
    assert [bucket.take(100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(100.0) == pytest.approx(0.5)  # one token comes back every 0.5 s
    assert bucket.take(100.25) == pytest.approx(0.25)
    assert bucket.take(100.5) == 0.0


def test_the_bucket_refills_at_the_rate_up_to_the_burst() -> None:
    bucket = TokenBucket(rate_per_s=10.0, burst=5)
    for _ in range(5):
        bucket.take(0.0)
    allowed = sum(1 for _ in range(100) if bucket.take(1000.0) == 0.0)
    assert allowed == 5  # a long pause refills to the burst, not beyond
    allowed_over_a_second = sum(1 for i in range(1, 101) if bucket.take(1000.0 + i / 100) == 0.0)
    assert allowed_over_a_second == 10


def test_a_refused_request_costs_nothing() -> None:
    bucket = TokenBucket(rate_per_s=1.0, burst=1)
    assert bucket.take(0.0) == 0.0
    for _ in range(50):
        assert bucket.take(0.5) > 0
    assert bucket.take(1.0) == 0.0


def test_each_key_has_its_own_bucket() -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=2)
    assert [limiter.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, pytest.approx(1.0)]
    assert limiter.take("b", 0.0) == 0.0


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="rate_per_s > 0"):
        TokenBucket(rate_per_s=0.0, burst=5)


def test_waiting_is_told_without_taking_and_full_buckets_are_forgotten_past_the_bound() -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=2, max_keys=2)
    assert limiter.wait_s("a", now_s=0.0) == 0.0  # never seen: nothing to wait
    assert limiter.take("a", now_s=0.0) == 0.0 and limiter.take("a", now_s=0.0) == 0.0
    assert limiter.wait_s("a", now_s=0.0) == 1.0 and limiter.wait_s("a", now_s=0.0) == 1.0  # took nothing
    limiter.take("b", now_s=0.0)
    limiter.take("c", now_s=10.0)  # a third key: a and b are full again, forgotten
    assert set(limiter.buckets) == {"c"}
    limiter.take("a", now_s=10.0)
    limiter.take("a", now_s=10.0)
    limiter.take("d", now_s=10.0)  # a is not full: kept
    assert "a" in limiter.buckets and limiter.wait_s("a", now_s=10.0) == 1.0
