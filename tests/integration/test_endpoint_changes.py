"""Changing a delivery endpoint and sending it a test through the api (the console's Delivery panel uses
both): refusals name their field, a webhook keeps its secret, and a test reports the receiver's answer."""

from __future__ import annotations

import httpx

from tests.conftest import unique
from tests.services.delivery.receivers import HttpReceiver, WebhookVerifier


async def test_an_endpoint_is_changed_and_tested_and_refusals_name_their_field(
    client: httpx.AsyncClient,
) -> None:
    receiver = HttpReceiver(handle=None)  # type: ignore[arg-type]
    await receiver.start()
    try:
        created = await client.post(
            "/api/v1/endpoints", json={"kind": "webhook", "name": unique("hook"), "url": receiver.url}
        )
        assert created.status_code == 201, created.text
        endpoint = created.json()
        receiver.handle = WebhookVerifier(endpoint["secret"])
        path = f"/api/v1/endpoints/{endpoint['id']}"

        changed = await client.put(path, json={"kind": "webhook", "name": "renamed", "url": receiver.url})
        assert changed.status_code == 200 and changed.json()["name"] == "renamed", changed.text
        answer = (await client.post(f"{path}/test")).json()
        assert (answer["outcome"], answer["status_code"]) == ("delivered", 204), answer  # same secret
        assert (await client.get(f"{path}/attempts")).json() == []  # a test is not a delivery

        bad = await client.put(path, json={"kind": "webhook", "name": "x", "url": "ftp://example.com"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "url", bad.text
        other = await client.put(path, json={"id": "someone-else", "kind": "webhook", "url": receiver.url})
        assert other.status_code == 422 and other.json()["detail"][0]["field"] == "id", other.text
        missing = unique("nothing")
        assert (await client.put(f"/api/v1/endpoints/{missing}", json={"kind": "webhook"})).status_code == 404
        assert (await client.post(f"/api/v1/endpoints/{missing}/test")).status_code == 404
    finally:
        await receiver.stop()
