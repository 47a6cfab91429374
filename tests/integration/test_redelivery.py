"""A delivery whose retries are exhausted is kept, listed, and delivered again on request from the API."""

from __future__ import annotations

from typing import Any

import httpx

from services.alerts.events import fingerprint
from tests.conftest import create_watchlist, unique, wait_for
from tests.services.delivery.receivers import HttpReceiver, WebhookVerifier, free_port
from tests.stack import Stack, publish_alert_events, spike_fired


async def test_a_failed_delivery_is_kept_and_redelivered_from_the_api(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    port = free_port()  # nothing listens there yet: every attempt is refused
    url = f"http://127.0.0.1:{port}/hook"
    created = await client.post("/api/v1/endpoints", json={"kind": "webhook", "name": "later", "url": url})
    assert created.status_code == 201, created.text
    endpoint = created.json()
    watchlist = (await create_watchlist(client, name=unique("redeliver"), keywords=["zzzredeliver"]))["id"]
    subscription = {
        "name": "Room",
        "channel": endpoint["id"],
        "watchlists": [watchlist],
        "min_severity": "info",
    }
    assert (await client.post("/api/v1/subscriptions", json=subscription)).status_code == 201

    # The rule engine's side of the contract: one firing event on vigie.alerts.
    event = spike_fired(watchlist, fingerprint("volume_spike", watchlist))
    await publish_alert_events(stack, [event])

    async def failed() -> list[dict[str, Any]]:
        params = {"state": "failed", "endpoint": endpoint["id"]}
        return list((await client.get("/api/v1/deliveries", params=params)).json())

    [delivery] = await wait_for(failed, timeout_s=60)  # the test stack retries after 0, 1, 2 and 5 s
    assert delivery["event_id"] == event.event_id and delivery["attempts"] == 4
    attempts = (await client.get(f"/api/v1/endpoints/{endpoint['id']}/attempts")).json()
    assert len(attempts) == 4 and all(a["error"] for a in attempts)

    verifier = WebhookVerifier(endpoint["secret"])
    receiver = HttpReceiver(verifier, port=port)
    await receiver.start()
    try:
        again = await client.post(f"/api/v1/deliveries/{delivery['id']}/redeliver")
        assert again.status_code == 200, again.text

        async def delivered() -> bool:
            return [e["event_id"] for e in verifier.processed] == [event.event_id]

        await wait_for(delivered, timeout_s=30)
        params = {"state": "delivered", "endpoint": endpoint["id"]}
        assert [d["id"] for d in (await client.get("/api/v1/deliveries", params=params)).json()] == [
            delivery["id"]
        ]
    finally:
        await receiver.stop()
    missing = await client.post("/api/v1/deliveries/999999999/redeliver")
    assert missing.status_code == 404 and missing.json()["detail"][0]["field"] == "id"
