"""People are paged once per incident: the notifier over a real SQLite database (no broker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from services.alerts.events import AlertEvent, fingerprint
from services.alerts.store import AlertStore
from services.alerts.subscriptions import Subscription
from services.delivery.endpoints import Endpoint
from services.delivery.retry import RetryPolicy
from services.delivery.store import DeliveryStore
from services.notifier.process import Notifier
from services.settings import Settings
from services.storage import create_db_engine

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def sent(deliveries: DeliveryStore, endpoint: Endpoint) -> list[str]:
    """The events delivered (or queued) to an endpoint."""
    return sorted(d.event_id for d in deliveries.list_deliveries(endpoint_id=endpoint.id))


def event(rule: str, status: str, severity: str, at_s: float, rise: bool = False) -> AlertEvent:
    alert_id = fingerprint(rule, "acme")
    started = T0 if rule == "volume_spike" else T0 + timedelta(seconds=20)
    return AlertEvent(
        event_id=AlertEvent.make_id(alert_id, started, status, severity if rise else None),
        alert_id=alert_id,
        rule=rule,  # type: ignore[arg-type]
        watchlist="acme",
        severity=severity,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        summary=f"acme: {rule}",
        started_at=started,
        at=T0 + timedelta(seconds=at_s),
    )


def test_a_second_alert_of_an_open_incident_reaches_webhooks_only_and_a_rise_pages_as_an_update(
    tmp_path: Path,
) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'vigie.db'}")
    alerts, deliveries = AlertStore(engine), DeliveryStore(engine, RetryPolicy())
    slack = deliveries.save_endpoint(
        Endpoint(id="ep_slack", kind="slack", url="https://hooks.slack.example/x")
    )
    hook = deliveries.save_endpoint(Endpoint(id="ep_hook", kind="webhook", url="https://hooks.example/x"))
    lead = deliveries.save_endpoint(Endpoint(id="ep_lead", kind="slack", url="https://hooks.slack.example/y"))
    escalation = [{"after_min": 5, "contacts": [{"name": "lead", "channel": lead.id}]}]
    for channel in (slack.id, hook.id):
        fields = {
            "name": channel,
            "channel": channel,
            "escalation": escalation if channel == slack.id else [],
        }
        alerts.save_subscription(msgspec.convert(fields, Subscription))
    notifier = Notifier(Settings(_env_file=None), alerts, deliveries)

    spike = event("volume_spike", "firing", "warning", 0)
    notifier.handle([spike], T0)
    assert sent(deliveries, slack) == [spike.event_id], "the incident pages"
    campaign = event("coordination", "firing", "warning", 20)
    notifier.handle([campaign], T0 + timedelta(seconds=20))
    assert sent(deliveries, slack) == [spike.event_id], (
        "the campaign joins the incident: nobody is paged again"
    )
    assert campaign.event_id in sent(deliveries, hook), "a webhook receives every event"
    # Ten minutes on, nobody acknowledged: the lead is told of the incident's first alert only.
    notifier.check_open_alerts(T0 + timedelta(minutes=10))
    assert sent(deliveries, lead) == [spike.event_id]
    rise = event("volume_spike", "firing", "critical", 40, rise=True)
    notifier.handle([rise], T0 + timedelta(seconds=40))
    assert rise.event_id in sent(deliveries, slack), "the incident escalates: an update to the people paged"
    over = event("coordination", "resolved", "warning", 600)
    notifier.handle([over], T0 + timedelta(seconds=600))
    assert over.event_id not in sent(deliveries, slack) and over.event_id in sent(deliveries, hook)
    assert notifier.joined == 2
    engine.dispose()


def test_an_alert_whose_people_were_paged_for_nothing_else_pages_and_escalates(tmp_path: Path) -> None:
    """A subscription to volume spikes alone: a coordination alert that opened the watchlist's incident
    paged nobody it covers, so the spike is not 'joining a paged incident': it pages and escalates."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'vigie.db'}")
    alerts, deliveries = AlertStore(engine), DeliveryStore(engine, RetryPolicy())
    on_call = deliveries.save_endpoint(
        Endpoint(id="ep_on", kind="slack", url="https://hooks.slack.example/o")
    )
    lead = deliveries.save_endpoint(Endpoint(id="ep_lead", kind="slack", url="https://hooks.slack.example/l"))
    fields = {
        "name": "spikes",
        "channel": on_call.id,
        "rules": ["volume_spike"],
        "escalation": [{"after_min": 5, "contacts": [{"name": "lead", "channel": lead.id}]}],
    }
    alerts.save_subscription(msgspec.convert(fields, Subscription))
    notifier = Notifier(Settings(_env_file=None), alerts, deliveries)

    campaign = event("coordination", "firing", "warning", 0)
    notifier.handle([campaign], T0)
    assert sent(deliveries, on_call) == [], "not a rule the on-call subscribed to"
    spike = event("volume_spike", "firing", "warning", 20)
    notifier.handle([spike], T0 + timedelta(seconds=20))
    assert sent(deliveries, on_call) == [spike.event_id], "the spike pages the on-call"
    notifier.check_open_alerts(T0 + timedelta(minutes=10))
    assert sent(deliveries, lead) == [spike.event_id], "and escalates to the lead when nobody acknowledges"
    engine.dispose()
