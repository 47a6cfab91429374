"""Alert tables on both engines Vigie supports (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from services.alerts.rules import RuleSet
from services.alerts.silences import Silence
from services.alerts.store import AlertStore
from services.alerts.subscriptions import Subscription
from services.storage import Store
from tests.services.alerts.events_for_tests import STARTED, event


def test_events_are_kept_once_and_the_current_state_only_moves_forward(database_url: str) -> None:
    store = Store(database_url)
    try:
        alerts = AlertStore(store.engine)
        fired, acked = event("firing"), event("acknowledged", by="ana")
        raised = event("firing", severity="critical", raised_to="critical")
        assert alerts.record(fired) and alerts.record(acked)
        assert not alerts.record(fired), "a redelivery is not a new change"
        assert alerts.record(raised), "late, but new: kept in the history"
        current = alerts.get_alert(fired.alert_id)
        assert current is not None and current.status == "acknowledged" and current.by == "ana"
        assert [e.event_id for e in alerts.history(fired.alert_id)] == [
            fired.event_id,
            raised.event_id,
            acked.event_id,
        ]

        later = STARTED + timedelta(hours=2)
        next_episode = event("firing", severity="critical", started_at=later)
        alerts.record(next_episode)
        assert alerts.get_alert(fired.alert_id) == next_episode
        alerts.record(event("resolved"))  # the old episode's end arrives late: history only
        assert alerts.get_alert(fired.alert_id) == next_episode
        assert len(alerts.history(fired.alert_id)) == 5

        alerts.record(event("firing", rule="sentiment_drop", watchlist="skyvane"))
        assert [a.watchlist for a in alerts.list_alerts(status="firing")] == ["aerolis", "skyvane"]
        assert [a.rule for a in alerts.list_alerts(watchlist="skyvane")] == ["sentiment_drop"]
        assert [a.watchlist for a in alerts.list_alerts(severity="critical", rule="volume_spike")] == [
            "aerolis"
        ]
        assert alerts.list_alerts(status="acknowledged") == []
        assert alerts.get_alert("al_nope") is None and alerts.history("al_nope") == []
    finally:
        store.close()


def test_silences_subscriptions_and_rules_round_trip(database_url: str) -> None:
    store = Store(database_url)
    try:
        alerts = AlertStore(store.engine)
        past = Silence(
            id="old",
            starts_at=STARTED - timedelta(days=2),
            ends_at=STARTED - timedelta(days=1),
            created_by="a",
        )
        now_on = Silence(
            id="now",
            starts_at=STARTED - timedelta(hours=1),
            ends_at=STARTED + timedelta(hours=1),
            created_by="a",
        )
        later = Silence(
            id="later",
            starts_at=STARTED + timedelta(days=1),
            ends_at=STARTED + timedelta(days=2),
            created_by="a",
        )
        for silence in (past, now_on, later):
            alerts.save_silence(silence)
        assert [s.id for s in alerts.list_silences(active_at=STARTED)] == ["now"]
        assert {s.id for s in alerts.list_silences()} == {"old", "now", "later"}
        assert alerts.delete_silence("old") and not alerts.delete_silence("old")

        sub = msgspec.convert(
            {
                "id": "ana",
                "name": "Ana",
                "channel": {"kind": "email", "target": "ana@example.com"},
                "schedule": {"timezone": "Europe/Paris", "quiet_hours": [{"start": "22:00", "end": "07:00"}]},
            },
            Subscription,
        )
        alerts.save_subscription(sub)
        assert alerts.get_subscription("ana") == sub
        alerts.save_subscription(msgspec.structs.replace(sub, min_severity="critical"))
        assert [s.min_severity for s in alerts.list_subscriptions()] == ["critical"]
        assert alerts.delete_subscription("ana") and alerts.get_subscription("ana") is None

        assert alerts.get_rules("aerolis") is None
        high = msgspec.convert({"volume_spike": {"sensitivity": "high"}}, RuleSet)
        alerts.save_rules("aerolis", high)
        alerts.save_rules("aerolis", high)
        assert alerts.get_rules("aerolis") == high and alerts.all_rules() == {"aerolis": high}
    finally:
        store.close()
