from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from services.alerts.subscriptions import (
    Recipient,
    Schedule,
    Subscription,
    due_escalations,
    due_repeat,
    due_repeats,
    recipients,
)
from tests.services.alerts.events_for_tests import STARTED, event

PARIS_QUIET = {"timezone": "Europe/Paris", "quiet_hours": [{"start": "22:00", "end": "07:00"}]}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "quiet"),
    [
        ("2025-01-15T20:59:00", False),  # 21:59 in Paris (UTC+1)
        ("2025-01-15T21:00:00", True),  # 22:00
        ("2025-01-16T05:59:00", True),  # 06:59 the next morning
        ("2025-01-16T06:00:00", False),  # 07:00
        # Spring forward (30 March 2025, 02:00 -> 03:00): 05:30 UTC is 07:30 local (UTC+2), awake.
        ("2025-03-30T05:30:00", False),
        ("2025-03-30T04:30:00", True),  # 06:30 local
        ("2025-03-29T20:30:00", False),  # 21:30 local the evening before (still UTC+1)
        ("2025-03-30T20:30:00", True),  # 22:30 local (UTC+2): a fixed offset would say 21:30
        # Fall back (26 October 2025, 03:00 -> 02:00): 05:30 UTC is 06:30 local (UTC+1), still quiet.
        ("2025-10-26T05:30:00", True),
        ("2025-10-26T06:00:00", False),  # 07:00 local
        ("2025-10-25T19:59:00", False),  # 21:59 local (UTC+2)
        ("2025-10-26T00:30:00", True),  # 01:30 local, first pass
        ("2025-10-26T01:30:00", True),  # 02:30 local, the repeated hour
    ],
)
def test_quiet_hours_follow_local_time_across_daylight_saving_changes(now: str, quiet: bool) -> None:
    schedule = msgspec.convert(PARIS_QUIET, Schedule)
    assert schedule.quiet_at(utc(now)) == quiet
    assert schedule.accepts("critical", utc(now)), "critical alerts get through quiet hours"
    assert schedule.accepts("warning", utc(now)) == (not quiet)


def test_on_call_windows_by_weekday_including_one_past_midnight() -> None:
    schedule = msgspec.convert(
        {
            "timezone": "America/New_York",
            "on_call": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"},
                {"days": ["sat"], "start": "20:00", "end": "02:00"},
            ],
        },
        Schedule,
    )
    assert schedule.on_call_at(utc("2025-03-10T13:00:00"))  # Monday 09:00 EDT
    assert not schedule.on_call_at(utc("2025-03-10T12:59:00"))  # Monday 08:59
    assert not schedule.on_call_at(utc("2025-03-10T21:00:00"))  # Monday 17:00
    assert schedule.on_call_at(utc("2025-03-16T00:30:00"))  # Saturday 20:30
    assert schedule.on_call_at(utc("2025-03-16T05:59:00"))  # Sunday 01:59, the Saturday window
    assert not schedule.on_call_at(utc("2025-03-16T06:00:00"))  # Sunday 02:00
    assert not schedule.on_call_at(utc("2025-03-17T01:00:00"))  # Sunday 21:00
    assert msgspec.convert({}, Schedule).on_call_at(utc("2025-03-16T06:00:00")), "no windows: always"


def test_a_bad_time_zone_or_clock_time_is_refused_naming_it() -> None:
    with pytest.raises(msgspec.ValidationError, match="IANA time zone"):
        msgspec.convert({"timezone": "Mars/Olympus"}, Schedule)
    with pytest.raises(msgspec.ValidationError, match=r"quiet_hours\[0\].start"):
        msgspec.convert({"quiet_hours": [{"start": "25:00", "end": "07:00"}]}, Schedule)


def subscription(**fields: object) -> Subscription:
    return msgspec.convert({"id": "ana", "name": "Ana", "channel": "ep_ana", **fields}, Subscription)


def test_recipients_are_the_subscriptions_that_want_the_alert_and_are_on_call() -> None:
    subs = [
        subscription(id="all"),
        subscription(id="critical-only", min_severity="critical"),
        subscription(id="other-brand", watchlists=["skyvane"]),
        subscription(id="sentiment", rules=["sentiment_drop"]),
        subscription(id="paused", enabled=False),
        subscription(id="asleep", schedule=PARIS_QUIET),
        subscription(id="in-place", channel={"kind": "email", "target": "ana@example.com"}),
    ]
    night = utc("2025-03-10T23:00:00")  # midnight in Paris
    warning = recipients(event(severity="warning"), subs, night)
    assert warning == [Recipient("all", 0), Recipient("in-place", 0)]
    critical = recipients(event(severity="critical"), subs, night)
    assert [r.subscription for r in critical] == ["all", "critical-only", "asleep", "in-place"]


def test_escalation_goes_up_a_level_at_a_time_until_someone_acknowledges() -> None:
    sub = subscription(
        escalation=[
            {"after_min": 10, "contacts": [{"name": "Lead", "channel": "ep_lead"}]},
            {
                "after_min": 30,
                "contacts": [{"name": "Director", "channel": {"kind": "pagerduty", "target": "k"}}],
            },
        ]
    )
    firing = event(status="firing")
    assert due_escalations(firing, sub, [0], STARTED + timedelta(minutes=9)) == []
    assert due_escalations(firing, sub, [0], STARTED + timedelta(minutes=10)) == [1]
    assert due_escalations(firing, sub, [0, 1], STARTED + timedelta(minutes=20)) == []
    assert due_escalations(firing, sub, [0, 1], STARTED + timedelta(minutes=31)) == [2]
    assert due_escalations(firing, sub, [0], STARTED + timedelta(minutes=45)) == [1, 2]
    assert [c.name for c in sub.contacts_at(2)] == ["Director"]
    acknowledged = event(status="acknowledged")
    assert due_escalations(acknowledged, sub, [0], STARTED + timedelta(minutes=45)) == []
    assert due_escalations(event(status="resolved"), sub, [0], STARTED + timedelta(minutes=45)) == []
    with pytest.raises(msgspec.ValidationError, match="increasing"):
        subscription(escalation=list(reversed(msgspec.to_builtins(sub.escalation))))


def test_a_firing_unacknowledged_alert_repeats_on_its_interval() -> None:
    sub = subscription(repeat_every_min=30)
    sent = STARTED
    assert not due_repeat(event(), sub, sent, STARTED + timedelta(minutes=29))
    assert due_repeat(event(), sub, sent, STARTED + timedelta(minutes=30))
    assert not due_repeat(event(status="acknowledged"), sub, sent, STARTED + timedelta(hours=2))
    assert not due_repeat(event(), subscription(repeat_every_min=None), sent, STARTED + timedelta(hours=2))
    night = subscription(repeat_every_min=30, schedule=PARIS_QUIET)
    assert not due_repeat(event(), night, sent, utc("2025-03-10T23:00:00")), "quiet hours hold a warning"
    assert due_repeats(
        [(event(), sub, sent), (event(status="acknowledged"), sub, sent)], STARTED + timedelta(hours=1)
    ) == [(event(), sub)]
