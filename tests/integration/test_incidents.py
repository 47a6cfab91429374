"""Incidents over the real api: the alerts of one watchlist that come together are one incident, listed
open first with its alerts by rule, its timeline and what drives it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec

from services.alerts.events import AlertEvent, fingerprint
from tests.conftest import unique, wait_for
from tests.stack import Stack, publish_alert_events


def fired(
    rule: str, watchlist: str, severity: str, at: datetime, why: dict[str, Any] | None = None
) -> AlertEvent:
    alert_id = fingerprint(rule, watchlist)
    return AlertEvent(
        event_id=AlertEvent.make_id(alert_id, at, "firing"),
        alert_id=alert_id,
        rule=rule,  # type: ignore[arg-type]
        watchlist=watchlist,
        severity=severity,  # type: ignore[arg-type]
        status="firing",
        summary=f"{watchlist}: {rule}",
        details={"why": why} if why else {},
        started_at=at,
        at=at,
    )


async def test_a_spike_a_campaign_and_a_swarm_on_one_watchlist_are_one_incident(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    watchlist, other = unique("incident"), unique("calm")
    now = datetime.now(UTC).replace(microsecond=0)
    why = {"text": "new #acmedown (40)", "new_hashtags": [{"tag": "acmedown", "uses": 40}]}
    spike = fired("volume_spike", watchlist, "warning", now - timedelta(seconds=60), why)
    campaign = fired("coordination", watchlist, "warning", now - timedelta(seconds=40))
    swarm = fired("swarm", watchlist, "info", now - timedelta(seconds=30))
    rise = msgspec.structs.replace(
        spike,
        event_id=AlertEvent.make_id(spike.alert_id, spike.started_at, "firing", "critical"),
        severity="critical",
        at=now - timedelta(seconds=20),
    )
    lonely_info = fired("swarm", other, "info", now - timedelta(seconds=10))
    await publish_alert_events(stack, [spike, campaign, swarm, rise, lonely_info])

    async def incident() -> dict[str, Any] | None:
        response = await client.get("/api/v1/incidents", params={"watchlist": watchlist})
        assert response.status_code == 200, response.text
        found = response.json()
        # Until the last of its four events (the rise to critical) is in: the events arrive one by one.
        return found[0] if found and len(found[0]["timeline"]) >= 4 else None

    found = await wait_for(incident)
    assert found["status"] == "open" and found["severity"] == "critical"
    assert found["counts"] == {"volume_spike": 1, "coordination": 1, "swarm": 1}
    assert [entry["rule"] for entry in found["timeline"]] == [
        "volume_spike",
        "coordination",
        "swarm",
        "volume_spike",
    ]
    assert found["why"]["text"] == "new #acmedown (40)"
    one = (await client.get(f"/api/v1/incidents/{found['incident_id']}")).json()
    assert one["incident_id"] == found["incident_id"] and len(one["alerts"]) == 3
    # An info alert alone is listed as an alert, not an incident: it pages nobody.
    assert (await client.get("/api/v1/incidents", params={"watchlist": other})).json() == []
    assert (await client.get("/api/v1/incidents/in_none")).status_code == 404
