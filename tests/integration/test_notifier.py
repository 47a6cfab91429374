"""The notifier end to end: a spike in mentions wakes the right person once, escalates until someone
acknowledges, and a silence keeps quiet. Receivers are real HTTP servers verifying Standard Webhooks
signatures with the `standardwebhooks` library."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import create_watchlist, unique, wait_for, wait_total
from tests.conftest import posted_mention as mention
from tests.services.delivery.receivers import HttpReceiver, WebhookVerifier


async def webhook_endpoint(client: httpx.AsyncClient, name: str) -> tuple[HttpReceiver, WebhookVerifier, str]:
    """A running receiver and the Vigie endpoint pointing at it (the secret comes from Vigie's answer)."""
    receiver = HttpReceiver(handle=None)  # type: ignore[arg-type]
    await receiver.start()
    response = await client.post(
        "/api/v1/endpoints", json={"kind": "webhook", "name": name, "url": receiver.url}
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_")
    listed = (await client.get(f"/api/v1/endpoints/{created['id']}")).json()
    assert listed["secret"] != created["secret"], "the secret is shown whole once, at creation"
    verifier = WebhookVerifier(created["secret"])
    receiver.handle = verifier
    return receiver, verifier, created["id"]


async def spike(client: httpx.AsyncClient, watchlist: str, brand: str) -> float:
    """An hour of quiet baseline, then a negative surge; returns when the surge was posted (monotonic)."""
    baseline = [mention(f"Flying {brand} today", minutes_ago=50 - i) for i in range(30)]
    assert (await client.post("/api/v1/mentions", json=baseline)).status_code == 202
    await wait_total(client, watchlist, 30)
    surge = [mention(f"{brand} lost my luggage, awful, terrible service") for _ in range(200)]
    posted_at = time.monotonic()
    assert (await client.post("/api/v1/mentions", json=surge)).status_code == 202
    return posted_at


def events_of(verifier: WebhookVerifier, watchlist: str) -> list[tuple[str, str]]:
    return [(e["rule"], e["status"]) for e in verifier.processed if e["watchlist"] == watchlist]


async def test_a_spike_wakes_the_on_call_once_escalates_and_stops_when_acknowledged(
    client: httpx.AsyncClient,
) -> None:
    on_call, on_call_hook, on_call_id = await webhook_endpoint(client, "on-call")
    lead, lead_hook, lead_id = await webhook_endpoint(client, "team lead")
    try:
        brand = unique("notify")
        watchlist = (await create_watchlist(client, name=brand, keywords=[brand]))["id"]
        subscription = {
            "name": "On call",
            "channel": on_call_id,
            "watchlists": [watchlist],
            "rules": ["volume_spike"],
            "min_severity": "warning",
            "repeat_every_min": None,
            "escalation": [{"after_min": 0.05, "contacts": [{"name": "Lead", "channel": lead_id}]}],
        }
        assert (await client.post("/api/v1/subscriptions", json=subscription)).status_code == 201

        posted_at = await spike(client, watchlist, brand)

        async def woken() -> bool:
            return ("volume_spike", "firing") in events_of(on_call_hook, watchlist)

        await wait_for(woken, timeout_s=60)
        print(f"\nfirst mention of the spike to the on-call webhook: {time.monotonic() - posted_at:.2f} s")
        params = {"watchlist": watchlist, "rule": "volume_spike"}
        [alert] = (await client.get("/api/v1/alerts", params=params)).json()

        async def escalated() -> bool:
            return ("volume_spike", "firing") in events_of(lead_hook, watchlist)

        await wait_for(escalated, timeout_s=30)
        acknowledged = await client.post(
            f"/api/v1/alerts/{alert['alert_id']}/acknowledge", json={"by": "ana"}
        )
        assert acknowledged.status_code == 200, acknowledged.text

        async def both_told() -> bool:
            told = ("volume_spike", "acknowledged")
            return told in events_of(on_call_hook, watchlist) and told in events_of(lead_hook, watchlist)

        await wait_for(both_told, timeout_s=30)
        await asyncio.sleep(4)  # escalation checks and metrics refreshes go on: nothing more is sent
        expected = [("volume_spike", "firing"), ("volume_spike", "acknowledged")]
        assert events_of(on_call_hook, watchlist) == expected
        assert events_of(lead_hook, watchlist) == expected
        assert on_call_hook.rejected == [] and lead_hook.rejected == []
        assert all(count == 1 for count in on_call_hook.accepted.values()), "no event delivered twice"

        attempts = (await client.get(f"/api/v1/endpoints/{on_call_id}/attempts")).json()
        assert {a["status_code"] for a in attempts} == {204}
        assert {a["outcome"] for a in attempts} == {"delivered"}
    finally:
        await on_call.stop()
        await lead.stop()


async def test_a_silence_stops_delivery_but_the_alert_is_still_listed(client: httpx.AsyncClient) -> None:
    receiver, hook, endpoint_id = await webhook_endpoint(client, "silenced room")
    try:
        brand = unique("hush")
        watchlist = (await create_watchlist(client, name=brand, keywords=[brand]))["id"]
        subscription = {
            "name": "Room",
            "channel": endpoint_id,
            "watchlists": [watchlist],
            "min_severity": "info",
        }
        assert (await client.post("/api/v1/subscriptions", json=subscription)).status_code == 201
        silence = {
            "watchlists": [watchlist],
            "created_by": "ana",
            "comment": "press day, we know",
            "ends_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        }
        assert (await client.post("/api/v1/silences", json=silence)).status_code == 201

        await spike(client, watchlist, brand)

        async def listed() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = (
                await client.get("/api/v1/alerts", params={"watchlist": watchlist})
            ).json()
            return found

        alerts = await wait_for(listed, timeout_s=60)
        assert all(alert["silenced_by"] for alert in alerts)
        await asyncio.sleep(5)
        assert events_of(hook, watchlist) == []
        assert receiver.requests == []
    finally:
        await receiver.stop()
