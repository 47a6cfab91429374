"""Alerts end to end on the real embedded broker: mentions in, one alert out, acknowledged through the api."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from tests.conftest import create_watchlist, unique, wait_for, wait_total
from tests.conftest import posted_mention as mention
from tests.stack import Stack

#: Long enough for the aggregate stage to republish every watchlist's metrics (its refresh is 5 s).
REFRESHES_S = 6.0


class AlertTopic:
    """Reads every partition of vigie.alerts from the beginning, keeping one watchlist's events."""

    def __init__(self, bootstrap: str, watchlist: str) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self.watchlist = watchlist
        self.events: list[dict[str, Any]] = []

    async def __aenter__(self) -> AlertTopic:
        await self.consumer.start()
        partitions = self.consumer.partitions_for_topic("vigie.alerts") or set()
        assigned = [TopicPartition("vigie.alerts", p) for p in sorted(partitions)]
        self.consumer.assign(assigned)
        await self.consumer.seek_to_beginning(*assigned)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.consumer.stop()

    async def read(self) -> list[dict[str, Any]]:
        for records in (await self.consumer.getmany(timeout_ms=300)).values():
            for record in records:
                event = orjson.loads(record.value or b"{}")
                if event.get("watchlist") == self.watchlist:
                    self.events.append(event)
        return self.events


async def test_a_negative_spike_fires_one_alert_and_acknowledging_it_is_published_and_kept(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    brand = unique("spike")
    watchlist = (await create_watchlist(client, name=brand, keywords=[brand]))["id"]
    baseline = [mention(f"Flying {brand} today", minutes_ago=50 - i) for i in range(30)]
    assert (await client.post("/api/v1/mentions", json=baseline)).status_code == 202
    await wait_total(client, watchlist, 30)
    assert (await client.get("/api/v1/alerts", params={"watchlist": watchlist})).json() == []

    surge = [mention(f"{brand} lost my luggage, awful, terrible service") for _ in range(200)]
    assert (await client.post("/api/v1/mentions", json=surge)).status_code == 202

    async def spike_alerts() -> list[dict[str, Any]]:
        response = await client.get("/api/v1/alerts", params={"watchlist": watchlist, "rule": "volume_spike"})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    [alert] = await wait_for(spike_alerts)
    assert alert["status"] == "firing" and alert["severity"] == "critical" and alert["silenced_by"] is None
    await asyncio.sleep(REFRESHES_S)  # metrics keep coming while the spike lasts: still one alert
    assert len(await spike_alerts()) == 1
    by_rule = {
        a["rule"] for a in (await client.get("/api/v1/alerts", params={"watchlist": watchlist})).json()
    }
    assert by_rule == {"volume_spike", "sentiment_drop"}

    async with AlertTopic(stack.bootstrap, watchlist) as topic:
        await wait_for(lambda: _with(topic, alert["alert_id"], 1))
        [fired] = [e for e in topic.events if e["alert_id"] == alert["alert_id"]]
        assert fired["status"] == "firing" and fired["event_id"] == alert["event_id"]

        response = await client.post(
            f"/api/v1/alerts/{alert['alert_id']}/acknowledge", json={"by": "ana", "comment": "on it"}
        )
        assert response.status_code == 200, response.text
        acked = response.json()
        assert acked["status"] == "acknowledged" and acked["comment"] == "on it"
        # Who acted is the key's name, whatever the body says; the name given is kept as a note.
        assert acked["by"] == "tests admin" and acked["note"] == "ana"
        assert acked["started_at"] == alert["started_at"]

        events = await wait_for(lambda: _with(topic, alert["alert_id"], 2))
        assert [(e["status"], e["alert_id"]) for e in events] == [
            ("firing", alert["alert_id"]),
            ("acknowledged", alert["alert_id"]),
        ]
        assert events[1]["event_id"] == acked["event_id"]

    history = (await client.get(f"/api/v1/alerts/{alert['alert_id']}/history")).json()
    assert [(e["status"], e["by"]) for e in history] == [("firing", None), ("acknowledged", "tests admin")]
    again = await client.post(f"/api/v1/alerts/{alert['alert_id']}/acknowledge", json={"by": "bo"})
    assert again.status_code == 200 and again.json()["note"] == "ana", "acknowledging twice changes nothing"

    silence = {
        "watchlists": [watchlist],
        "rules": ["volume_spike"],
        "created_by": "ana",
        "ends_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    }
    created = await client.post("/api/v1/silences", json=silence)
    assert created.status_code == 201, created.text
    assert created.json()["created_by"] == "tests admin" and created.json()["note"] == "ana"
    assert (await spike_alerts())[0]["silenced_by"] == created.json()["id"]

    resolved = await client.post(f"/api/v1/alerts/{alert['alert_id']}/resolve", json={"by": "ana"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    late = await client.post(f"/api/v1/alerts/{alert['alert_id']}/acknowledge", json={"by": "bo"})
    assert late.status_code == 409 and late.json()["detail"][0]["field"] == "id"


async def _with(topic: AlertTopic, alert_id: str, count: int) -> list[dict[str, Any]] | None:
    events = [e for e in await topic.read() if e["alert_id"] == alert_id]
    return events if len(events) >= count else None


async def test_alert_requests_are_checked_and_errors_name_the_field(client: httpx.AsyncClient) -> None:
    missing = await client.post("/api/v1/alerts/al_nope/acknowledge", json={"by": "ana"})
    assert missing.status_code == 404 and missing.json()["detail"][0]["field"] == "id"
    long_note = await client.post("/api/v1/alerts/al_nope/acknowledge", json={"note": "x" * 201})
    assert long_note.status_code == 422 and long_note.json()["detail"][0]["field"] == "note"
    bad_filter = await client.get("/api/v1/alerts", params={"status": "burning"})
    assert bad_filter.status_code == 422 and bad_filter.json()["detail"][0]["field"] == "status"
    backwards = await client.post(
        "/api/v1/silences",
        json={"created_by": "a", "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"},
    )
    assert backwards.status_code == 422 and backwards.json()["detail"][0]["field"] == "ends_at"


async def test_rules_have_defaults_and_a_change_is_validated_and_kept(client: httpx.AsyncClient) -> None:
    watchlist = (await create_watchlist(client, name=unique("rules"), keywords=["zzzrules"]))["id"]
    defaults = (await client.get(f"/api/v1/watchlists/{watchlist}/rules")).json()
    assert defaults["default"] is True and defaults["volume_spike"]["sensitivity"] == "medium"
    bad = await client.put(
        f"/api/v1/watchlists/{watchlist}/rules", json={"volume_spike": {"sensitivity": "max"}}
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "volume_spike.sensitivity"
    put = await client.put(
        f"/api/v1/watchlists/{watchlist}/rules", json={"volume_spike": {"sensitivity": "high"}}
    )
    assert put.status_code == 200, put.text
    saved = (await client.get(f"/api/v1/watchlists/{watchlist}/rules")).json()
    assert saved["default"] is False and saved["volume_spike"]["sensitivity"] == "high"
    assert (await client.get("/api/v1/watchlists/nope-none/rules")).status_code == 404


async def test_subscriptions_can_be_created_read_replaced_and_deleted(client: httpx.AsyncClient) -> None:
    body = {
        "name": "Ana",
        "channel": {"kind": "email", "target": "ana@example.com"},
        "schedule": {"timezone": "Europe/Paris", "quiet_hours": [{"start": "22:00", "end": "07:00"}]},
        "escalation": [{"after_min": 15, "contacts": [{"name": "Lead", "channel": "ep_lead"}]}],
    }
    missing = await client.post("/api/v1/subscriptions", json=body)
    assert (
        missing.status_code == 422
        and missing.json()["detail"][0]["field"] == "escalation[0].contacts[0].channel"
    )
    lead = {"id": "ep_lead", "kind": "email", "address": "lead@example.com"}
    assert (await client.post("/api/v1/endpoints", json=lead)).status_code in (201, 409)
    created = await client.post("/api/v1/subscriptions", json=body)
    assert created.status_code == 201, created.text
    sub_id = created.json()["id"]
    assert (await client.get(f"/api/v1/subscriptions/{sub_id}")).json()["schedule"][
        "timezone"
    ] == "Europe/Paris"
    replaced = await client.put(f"/api/v1/subscriptions/{sub_id}", json={**body, "min_severity": "critical"})
    assert replaced.status_code == 200 and replaced.json()["min_severity"] == "critical"
    assert sub_id in {s["id"] for s in (await client.get("/api/v1/subscriptions")).json()}
    bad_zone = await client.post(
        "/api/v1/subscriptions", json={**body, "schedule": {"timezone": "Mars/Base"}}
    )
    assert bad_zone.status_code == 422 and bad_zone.json()["detail"][0]["field"] == "schedule"
    assert (await client.delete(f"/api/v1/subscriptions/{sub_id}")).status_code == 204
    assert (await client.get(f"/api/v1/subscriptions/{sub_id}")).status_code == 404
