from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from services.alerts.silences import Silence, silenced
from tests.services.alerts.events_for_tests import STARTED, event

START, END = STARTED - timedelta(hours=1), STARTED + timedelta(hours=1)


def silence(**matchers: list[str]) -> Silence:
    return Silence(id="s1", starts_at=START, ends_at=END, created_by="ana", **matchers)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("matchers", "alert", "expected"),
    [
        ({}, event(), True),
        ({"watchlists": ["aerolis"]}, event(), True),
        ({"watchlists": ["skyvane"]}, event(), False),
        ({"rules": ["sentiment_drop"]}, event(rule="volume_spike"), False),
        ({"rules": ["volume_spike", "sentiment_drop"]}, event(rule="sentiment_drop"), True),
        ({"severities": ["warning"]}, event(severity="critical"), False),
        ({"watchlists": ["aerolis"], "severities": ["critical"]}, event(severity="critical"), True),
        ({"watchlists": ["aerolis"], "severities": ["info"]}, event(severity="critical"), False),
    ],
)
def test_a_silence_matches_when_every_matcher_does(matchers: dict, alert: object, expected: bool) -> None:
    assert (silenced(alert, [silence(**matchers)], STARTED) is not None) == expected  # type: ignore[arg-type]


def test_a_silence_stops_delivery_only_between_its_start_and_end() -> None:
    rule = silence(watchlists=["aerolis"])
    assert silenced(event(), [rule], START - timedelta(seconds=1)) is None
    assert silenced(event(), [rule], START) is rule
    assert silenced(event(), [rule], END - timedelta(seconds=1)) is rule
    assert silenced(event(), [rule], END) is None
    assert silenced(event(), [], STARTED) is None


def test_a_silence_that_ends_before_it_starts_is_refused_naming_the_fields() -> None:
    with pytest.raises(msgspec.ValidationError, match="`ends_at` must be after `starts_at`"):
        msgspec.convert(
            {"starts_at": "2025-03-10T10:00:00Z", "ends_at": "2025-03-10T09:00:00Z", "created_by": "ana"},
            Silence,
        )
    naive = msgspec.convert({"ends_at": "2099-01-01T00:00:00", "created_by": "ana"}, Silence)
    assert naive.ends_at == datetime(2099, 1, 1, tzinfo=UTC)
    with pytest.raises(msgspec.ValidationError, match="rules"):
        msgspec.convert({"ends_at": "2099-01-01T00:00:00Z", "created_by": "ana", "rules": ["spike"]}, Silence)
