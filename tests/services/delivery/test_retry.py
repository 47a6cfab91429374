from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.delivery.retry import DEFAULT_DELAYS_S, RetryPolicy, classify_status, parse_retry_after
from services.settings import Settings

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_default_schedule_is_the_documented_one_and_the_settings_default() -> None:
    assert DEFAULT_DELAYS_S == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    assert Settings.model_fields["delivery_retry_delays_s"].default == DEFAULT_DELAYS_S


def test_the_schedule_grows_then_gives_up_after_its_last_attempt() -> None:
    policy = RetryPolicy()
    assert policy.first_attempt_at(NOW) == NOW
    waits = [policy.next_attempt_at(made, NOW) for made in range(1, 9)]
    assert [(w - NOW).total_seconds() for w in waits[:7] if w] == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert waits[7] is None


def test_retry_after_delays_an_attempt_but_is_capped() -> None:
    policy = RetryPolicy()
    assert policy.next_attempt_at(1, NOW, retry_after_s=120) == NOW + timedelta(seconds=120)
    assert policy.next_attempt_at(3, NOW, retry_after_s=1) == NOW + timedelta(seconds=1800)
    assert policy.next_attempt_at(1, NOW, retry_after_s=10**9) == NOW + timedelta(seconds=36000)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "delivered"),
        (202, "delivered"),
        (204, "delivered"),
        (410, "gone"),
        (500, "failed"),
        (503, "failed"),
        (429, "failed"),
        (408, "failed"),
        (400, "failed"),
        (401, "failed"),
        (301, "failed"),
    ],
)
def test_only_2xx_is_delivered_and_410_means_gone(status: int, outcome: str) -> None:
    assert classify_status(status) == outcome


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    assert parse_retry_after("30", NOW) == 30
    assert parse_retry_after("Sun, 01 Mar 2026 12:02:00 GMT", NOW) == 120
    assert parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", NOW) == 0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_a_bad_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        RetryPolicy(())
    with pytest.raises(ValueError, match=">= 0"):
        RetryPolicy((0, -5))
