"""No key reaches a log line, and revoking a key closes the websockets it opened.

Two more api processes of the stack log at INFO (where uvicorn writes `WebSocket /ws?token=…` for every
wall), one as text and one as JSON; walls connect to them with good, unknown, under-scoped and revoked
keys, over the websocket and HTTP, then every log file is searched for the keys.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import websockets

from tests.conftest import unique, wait_for
from tests.integration.test_auth import cli_keys
from tests.stack import Stack, free_port, start_role, stop_role

FORMATS = ("text", "json")


def new_key(stack: Stack, scope: str) -> tuple[str, str]:
    """(id, plaintext) of a fresh key made by `vigie keys create`."""
    name = unique(f"secrets {scope}")
    plaintext = cli_keys(stack, "create", "--name", name, "--scopes", scope).strip().splitlines()[-1]
    listed = cli_keys(stack, "list")
    return next(line.split()[0] for line in listed.splitlines() if line.endswith(name)), plaintext


@pytest.fixture(scope="module")
def chatty_apis(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, tuple[str, Path]]]:
    """Per log format, the base URL and log file of an api of the stack logging at INFO."""
    folder = Path(tmp_path_factory.mktemp("chatty"))
    started = {}
    for log_format in FORMATS:
        port, log_path = free_port(), folder / f"api-{log_format}.log"
        env = {"VIGIE_PORT": str(port), "VIGIE_LOG_LEVEL": "INFO", "VIGIE_LOG_FORMAT": log_format}
        started[log_format] = (f"http://127.0.0.1:{port}", log_path, start_role(stack, "api", log_path, env))
    try:
        for base_url, _, _ in started.values():

            async def ready(base_url: str = base_url) -> bool:
                try:
                    async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:
                        return (await http.get("/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            asyncio.run(wait_for(ready, timeout_s=60, interval_s=0.3))
        yield {name: (base_url, log_path) for name, (base_url, log_path, _) in started.items()}
    finally:
        for _, _, process in started.values():
            stop_role(process)


def ws(base_url: str) -> str:
    return base_url.replace("http://", "ws://") + "/ws"


async def refused_status(url: str) -> int:
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url)
    status: int = refused.value.response.status_code
    return status


async def test_a_revoked_key_loses_its_open_websocket_and_its_http_access(
    stack: Stack, chatty_apis: dict[str, tuple[str, Path]]
) -> None:
    base_url, log_path = chatty_apis["text"]
    key_id, key = new_key(stack, "display")
    _, other = new_key(stack, "display")
    async with (
        websockets.connect(f"{ws(base_url)}?token={key}") as revoked_wall,
        websockets.connect(f"{ws(base_url)}?token={other}") as other_wall,
    ):
        for wall in (revoked_wall, other_wall):
            assert orjson.loads(await asyncio.wait_for(wall.recv(), timeout=30))["type"] == "snapshot"
        assert "revoked" in cli_keys(stack, "revoke", key_id)

        async def closed() -> bool:
            # Read what arrives meanwhile: an unread socket stops reading frames, the close frame too.
            try:
                await asyncio.wait_for(revoked_wall.recv(), timeout=0.2)
            except TimeoutError:
                pass
            except websockets.ConnectionClosed:
                return True
            return revoked_wall.close_code is not None

        await wait_for(closed, timeout_s=10, interval_s=0.1)  # VIGIE_KEY_RECHECK_INTERVAL_S is 2 s
        assert revoked_wall.close_code == 1008 and revoked_wall.close_reason == "API key revoked"
        await asyncio.sleep(3)  # the other wall, whose key is live, keeps its socket (heartbeats)
        assert other_wall.close_code is None
        assert orjson.loads(await asyncio.wait_for(other_wall.recv(), timeout=10))["type"]
    assert await refused_status(f"{ws(base_url)}?token={key}") == 401
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        answer = await http.get("/api/v1/watchlists", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 401, answer.text
    log = log_path.read_text(errors="replace")
    assert "closing 1 websocket(s) whose API key was revoked" in log


async def test_no_key_or_secret_reaches_a_log_line(
    stack: Stack, chatty_apis: dict[str, tuple[str, Path]]
) -> None:
    revoked_id, revoked = new_key(stack, "display")
    cli_keys(stack, "revoke", revoked_id)
    _, good = new_key(stack, "display")
    _, ingest = new_key(stack, "ingest")
    _, admin = new_key(stack, "admin")
    unknown = "vk_" + secrets.token_urlsafe(24)
    shown: list[str] = [good, revoked, ingest, admin, unknown]

    for base_url, _ in chatty_apis.values():
        async with websockets.connect(f"{ws(base_url)}?token={good}") as wall:
            assert orjson.loads(await asyncio.wait_for(wall.recv(), timeout=30))["type"] == "snapshot"
        assert await refused_status(f"{ws(base_url)}?token={unknown}") == 401
        assert await refused_status(f"{ws(base_url)}?token={revoked}") == 401
        assert await refused_status(f"{ws(base_url)}?token={ingest}") == 403
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            assert (await http.get(f"/api/v1/watchlists?token={good}")).status_code == 200
            assert (await http.get(f"/api/v1/watchlists?token={unknown}")).status_code == 401
            assert (await http.get("/api/v1/alerts", headers={"X-API-Key": revoked})).status_code == 401
            hook = {"kind": "webhook", "id": unique("logged"), "url": "http://127.0.0.1:9/hook"}
            created = await http.post(
                "/api/v1/endpoints", json=hook, headers={"Authorization": f"Bearer {admin}"}
            )
            assert created.status_code == 201, created.text
            shown.append(created.json()["secret"])

    await asyncio.sleep(0.5)  # let the last lines reach the files
    logs = {path: path.read_text(errors="replace") for _, path in chatty_apis.values()}
    logs[stack.log_path] = stack.log_path.read_text(errors="replace")
    for path, text in logs.items():
        for secret in shown:
            body = secret.removeprefix("vk_").removeprefix("whsec_")
            assert body[:12] not in text, f"{secret[:6]}… is in {path.name}"
    # The lines are there, redacted: the test looked where keys used to be.
    text_log = logs[chatty_apis["text"][1]]
    assert '"WebSocket /ws?token=***" [accepted]' in text_log
    assert '"WebSocket /ws?token=***" 401' in text_log and '"WebSocket /ws?token=***" 403' in text_log
    json_lines = [
        orjson.loads(line) for line in logs[chatty_apis["json"][1]].splitlines() if line.startswith("{")
    ]
    assert any(line["message"].endswith('"WebSocket /ws?token=***" 401') for line in json_lines)


async def test_delivery_credentials_are_masked_for_every_caller_after_creation(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    _, read_key = new_key(stack, "read")
    slack_path, routing_key = f"services/T0/B0/{secrets.token_hex(12)}", secrets.token_hex(16)
    hook_token = secrets.token_hex(12)
    bodies = [
        {"kind": "slack", "url": f"http://127.0.0.1:9/{slack_path}"},
        {"kind": "pagerduty", "routing_key": routing_key, "url": "http://127.0.0.1:9/v2/enqueue"},
        {"kind": "webhook", "url": f"http://127.0.0.1:9/hooks/catch?token={hook_token}"},
        {"kind": "email", "address": "oncall@example.com"},
    ]
    credentials = [slack_path, routing_key, hook_token]
    created = []
    for body in bodies:
        answer = await client.post("/api/v1/endpoints", json={**body, "id": unique("masked")})
        assert answer.status_code == 201, answer.text
        created.append(answer.json())
    assert slack_path in created[0]["url"] and created[1]["routing_key"] == routing_key  # once, whole
    credentials.append(created[2]["secret"].removeprefix("whsec_"))

    subscription = {
        "id": unique("sub-masked"),
        "name": "comms",
        # A name that resolves without the internet (subscriptions check their targets when saved).
        "channel": {"kind": "slack", "target": f"http://127.0.0.1:9/{slack_path}x"},
        "escalation": [
            {
                "after_min": 15,
                "contacts": [{"name": "lead", "channel": {"kind": "pagerduty", "target": routing_key}}],
            }
        ],
    }
    saved = await client.post("/api/v1/subscriptions", json=subscription)
    assert saved.status_code == 201, saved.text

    for key in (read_key, stack.admin_key):
        headers = {"Authorization": f"Bearer {key}"}
        listed = await client.get("/api/v1/endpoints", headers=headers)
        one = await client.get(f"/api/v1/endpoints/{created[0]['id']}", headers=headers)
        subs = await client.get("/api/v1/subscriptions", headers=headers)
        for answer in (listed, one, subs, saved):
            assert answer.status_code in (200, 201), answer.text
            for credential in credentials:
                assert credential[:12] not in answer.text, (credential[:6], answer.request.url)
        shown = {endpoint["id"]: endpoint for endpoint in listed.json()}
        assert shown[created[0]["id"]]["url"] == "http://127.0.0.1:9/…"
        assert shown[created[1]["id"]]["routing_key"] == routing_key[:4] + "…"
        assert shown[created[2]["id"]]["secret"] == created[2]["secret"][:10] + "…"
        assert shown[created[3]["id"]]["address"] == "oncall@example.com"  # not a credential
        mine = next(s for s in subs.json() if s["id"] == subscription["id"])
        assert mine["channel"]["target"] == "http://127.0.0.1:9/…"

    # What GET shows cannot be sent back in place of the credential.
    again = {**subscription, "channel": mine["channel"]}
    refused = await client.put(f"/api/v1/subscriptions/{subscription['id']}", json=again)
    assert refused.status_code == 422 and "masked" in refused.text, refused.text


async def test_an_address_sending_unknown_keys_is_throttled_with_retry_after(
    stack: Stack, tmp_path: Path
) -> None:
    port = free_port()
    env = {"VIGIE_PORT": str(port), "VIGIE_AUTH_FAILURE_BURST": "5", "VIGIE_AUTH_FAILURE_RATE_PER_S": "0.5"}
    api = start_role(stack, "api", tmp_path / "api.log", env)
    _, good = new_key(stack, "read")
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:

            async def ready() -> bool:
                try:
                    return (await http.get("/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await wait_for(ready, timeout_s=60, interval_s=0.3)

            def bearer(key: str) -> dict[str, str]:
                return {"Authorization": f"Bearer {key}"}

            for _ in range(10):  # no key at all: nothing is guessed, nothing counted
                assert (await http.get("/api/v1/alerts")).status_code == 401
            for _ in range(5):
                wrong = await http.get("/api/v1/alerts", headers=bearer("vk_" + secrets.token_urlsafe(24)))
                assert wrong.status_code == 401, wrong.text
            throttled = await http.get("/api/v1/alerts", headers=bearer("vk_" + secrets.token_urlsafe(24)))
            assert throttled.status_code == 429, throttled.text
            assert throttled.json()["detail"][0]["field"] == "authorization"
            retry_after_s = int(throttled.headers["retry-after"])
            assert retry_after_s >= 1
            # While throttled no key is looked at, a good one neither: a guesser cannot tell them apart.
            assert (await http.get("/api/v1/alerts", headers=bearer(good))).status_code == 429
            assert await refused_status(f"{ws(base_url)}?token={good}") == 429
            await asyncio.sleep(retry_after_s)
            assert (await http.get("/api/v1/alerts", headers=bearer(good))).status_code == 200
    finally:
        stop_role(api)
