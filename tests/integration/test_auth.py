"""Who may see what, on a running `vigie run`: every route of the api, the websocket, and the limits on what
one caller may send (body size, ingest rate, other sites' pages)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import websockets

from tests.conftest import unique, wait_for
from tests.stack import Stack, free_port, start_role, stop_role

SCOPES = ("ingest", "read", "operate", "admin", "display")
#: The scope each route needs, written out here rather than read from the code under test: a route added
#: without an entry fails `test_every_route_is_listed`.
NEEDED = {
    ("POST", "/api/v1/mentions"): "ingest",
    ("GET", "/api/v1/mentions/search"): "read",
    ("GET", "/api/v1/mentions/export"): "read",
    ("POST", "/api/v1/mentions/{mention_id}/sentiment"): "operate",
    ("GET", "/api/v1/mentions/{mention_id}/corrections"): "read",
    ("POST", "/api/v1/hooks/{source}"): "ingest",
    ("GET", "/api/v1/watchlists"): "display",
    ("POST", "/api/v1/watchlists"): "operate",
    ("GET", "/api/v1/watchlists/{watchlist_id}"): "display",
    ("PUT", "/api/v1/watchlists/{watchlist_id}"): "operate",
    ("DELETE", "/api/v1/watchlists/{watchlist_id}"): "operate",
    ("GET", "/api/v1/watchlists/{watchlist_id}/metrics"): "display",
    ("GET", "/api/v1/watchlists/{watchlist_id}/history"): "display",
    ("POST", "/api/v1/queries/validate"): "operate",
    ("GET", "/api/v1/swarms"): "display",
    ("GET", "/api/v1/watchlists/{watchlist_id}/influencers"): "display",
    ("GET", "/api/v1/coordination"): "display",
    ("GET", "/api/v1/alerts"): "display",
    ("GET", "/api/v1/alerts/{alert_id}"): "display",
    ("GET", "/api/v1/alerts/{alert_id}/history"): "display",
    ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): "operate",
    ("POST", "/api/v1/alerts/{alert_id}/resolve"): "operate",
    ("GET", "/api/v1/incidents"): "display",
    ("GET", "/api/v1/incidents/{incident_id}"): "display",
    ("GET", "/api/v1/silences"): "read",
    ("POST", "/api/v1/silences"): "operate",
    ("GET", "/api/v1/silences/{silence_id}"): "read",
    ("PUT", "/api/v1/silences/{silence_id}"): "operate",
    ("DELETE", "/api/v1/silences/{silence_id}"): "operate",
    ("GET", "/api/v1/subscriptions"): "read",
    ("POST", "/api/v1/subscriptions"): "operate",
    ("GET", "/api/v1/subscriptions/{subscription_id}"): "read",
    ("PUT", "/api/v1/subscriptions/{subscription_id}"): "operate",
    ("DELETE", "/api/v1/subscriptions/{subscription_id}"): "operate",
    ("GET", "/api/v1/watchlists/{watchlist_id}/rules"): "read",
    ("PUT", "/api/v1/watchlists/{watchlist_id}/rules"): "operate",
    ("GET", "/api/v1/endpoints"): "read",
    ("POST", "/api/v1/endpoints"): "admin",
    ("GET", "/api/v1/endpoints/{endpoint_id}"): "read",
    ("PUT", "/api/v1/endpoints/{endpoint_id}"): "admin",
    ("DELETE", "/api/v1/endpoints/{endpoint_id}"): "admin",
    ("POST", "/api/v1/endpoints/{endpoint_id}/test"): "admin",
    ("POST", "/api/v1/endpoints/{endpoint_id}/enable"): "admin",
    ("GET", "/api/v1/endpoints/{endpoint_id}/attempts"): "read",
    ("GET", "/api/v1/deliveries"): "read",
    ("POST", "/api/v1/deliveries/{delivery_id}/redeliver"): "admin",
    ("GET", "/api/v1/connectors"): "read",
    ("POST", "/api/v1/connectors"): "admin",
    ("DELETE", "/api/v1/connectors/{name}"): "admin",
    ("GET", "/metrics"): "read",  # unless VIGIE_METRICS_PUBLIC
}
OPEN = {("GET", "/healthz"), ("GET", "/readyz")}
#: Which single scopes satisfy each need (services/access/auth.py): the others must get 403.
SATISFIED_BY = {
    "ingest": {"ingest", "admin"},
    "display": {"display", "read", "operate", "admin"},
    "read": {"read", "operate", "admin"},
    "operate": {"operate", "admin"},
    "admin": {"admin"},
}
WRONG_KEY = "vk_" + "x" * 32


def cli_keys(stack: Stack, *args: str) -> str:
    """`vigie keys ...` against the stack's database; its output."""
    done = subprocess.run(
        [sys.executable, "-m", "services.runtime.cli", "keys", *args],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def keys(stack: Stack) -> dict[str, str]:
    """One key per scope, made the way an admin makes them: `vigie keys create`."""
    made = {}
    for scope in SCOPES:
        output = cli_keys(stack, "create", "--name", f"auth test {scope}", "--scopes", scope)
        made[scope] = output.strip().splitlines()[-1]
        assert re.fullmatch(r"vk_[A-Za-z0-9_-]{24,}", made[scope]), output
    return made


@pytest.fixture
async def anyone(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding no key (the session `client` holds the admin's)."""
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http:
        yield http


def concrete(path: str) -> str:
    """A route's path with its parameters filled in (ids that do not exist: 404 once past the checks)."""
    path = path.replace("{source}", "authtest").replace("{delivery_id}", "999999")
    return re.sub(r"\{[a-z_]+\}", "does-not-exist", path)


async def call(client: httpx.AsyncClient, method: str, path: str, key: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    body = {} if method in ("POST", "PUT") else None
    return await client.request(method, concrete(path), json=body, headers=headers)


async def test_every_route_is_listed(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    routes = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    assert routes - OPEN == set(NEEDED), "a route without an expected scope here, or one that is gone"


@pytest.mark.parametrize(("method", "path"), sorted(NEEDED))
async def test_each_route_refuses_a_missing_or_wrong_key_and_a_key_without_its_scope(
    anyone: httpx.AsyncClient, keys: dict[str, str], method: str, path: str
) -> None:
    client = anyone
    anonymous = await call(client, method, path, None)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["detail"][0]["field"] == "authorization"
    wrong = await call(client, method, path, WRONG_KEY)
    assert wrong.status_code == 401, wrong.text
    needed = NEEDED[(method, path)]
    for scope, key in keys.items():
        answer = await call(client, method, path, key)
        if scope in SATISFIED_BY[needed]:
            assert answer.status_code not in (401, 403), (scope, answer.text)
        else:
            assert answer.status_code == 403, (scope, answer.text)
            assert f"`{needed}` scope" in answer.json()["detail"][0]["error"]


async def test_a_key_is_taken_from_either_header_and_a_token_only_on_get(
    anyone: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    assert (await anyone.get("/api/v1/alerts", headers={"X-API-Key": keys["read"]})).status_code == 200
    assert (await anyone.get(f"/api/v1/alerts?token={keys['display']}")).status_code == 200
    posted = await anyone.post(f"/api/v1/mentions?token={keys['ingest']}", json={"text": "x"})
    assert posted.status_code == 401, posted.text
    # Health checks, the static wall and console, and the API's description stay open.
    for open_path in ("/healthz", "/readyz", "/", "/console.html", "/openapi.json"):
        assert (await anyone.get(open_path)).status_code in (200, 503), open_path


async def test_a_revoked_key_is_refused_at_once(stack: Stack, anyone: httpx.AsyncClient) -> None:
    client = anyone
    name = unique("revoked")
    key = cli_keys(stack, "create", "--name", name, "--scopes", "read").strip().splitlines()[-1]
    assert (await client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {key}"})).status_code == 200
    listed = cli_keys(stack, "list")
    key_id = next(line.split()[0] for line in listed.splitlines() if line.endswith(name))
    assert key not in listed  # the list never shows keys themselves
    assert "revoked" in cli_keys(stack, "revoke", key_id)
    refused = await client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 401 and "unknown or revoked" in refused.text


async def test_the_websocket_wants_a_token_with_the_display_scope(stack: Stack, keys: dict[str, str]) -> None:
    ws_url = stack.base_url.replace("http://", "ws://") + "/ws"
    for query, status in (("", 401), (f"?token={WRONG_KEY}", 401), (f"?token={keys['ingest']}", 403)):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(ws_url + query)
        assert refused.value.response.status_code == status
        assert b"authorization" in refused.value.response.body
    for scope in ("display", "read"):
        async with websockets.connect(f"{ws_url}?token={keys[scope]}") as socket:
            assert orjson.loads(await asyncio.wait_for(socket.recv(), timeout=30))["type"] == "snapshot"


# -- Limits, on a second api of the same stack with small ones -------------------------------------------

ALLOWED_ORIGIN = "http://wall.example"
MAX_BYTES = 4096


@pytest.fixture(scope="module")
def limited_base_url(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = Path(tmp_path_factory.mktemp("limited")) / "api.log"
    env = {
        "VIGIE_PORT": str(port),
        "VIGIE_INGEST_RATE_PER_S": "0.2",
        "VIGIE_INGEST_BURST": "3",
        "VIGIE_MAX_REQUEST_BYTES": str(MAX_BYTES),
        "VIGIE_CORS_ORIGINS": orjson.dumps([ALLOWED_ORIGIN]).decode(),
    }
    api = start_role(stack, "api", log, env)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_role(api)


@pytest.fixture
async def limited(stack: Stack, limited_base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with stack.http(limited_base_url) as http:

        async def ready() -> bool:
            try:
                return (await http.get("/readyz")).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_for(ready, timeout_s=45, interval_s=0.3)
        yield http


async def test_a_body_over_the_limit_is_refused_with_413(limited: httpx.AsyncClient) -> None:
    big = orjson.dumps([{"text": "a" * 100, "author": {"handle": "a"}}] * 60)
    assert len(big) > MAX_BYTES
    declared = await limited.post("/api/v1/mentions", content=big)
    assert declared.status_code == 413, declared.text
    assert declared.json()["detail"][0]["field"] == "body"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it is read
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000]

    streamed = await limited.post("/api/v1/hooks/zapier", content=chunks())
    assert streamed.status_code == 413, streamed.text
    assert streamed.json()["detail"][0]["field"] == "body"


async def test_an_ingest_key_over_its_rate_gets_429_with_retry_after(
    limited: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    name = unique("fast")
    mention = {"text": "rate test", "author": {"handle": "a"}}
    headers = {"Authorization": f"Bearer {keys['ingest']}"}
    answers = [await limited.post("/api/v1/mentions", json=mention, headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429], answers[-1].text
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert "auth test ingest" in answers[-1].json()["detail"][0]["error"]  # the key's name
    # Another key has its own allowance.
    other = await limited.post(f"/api/v1/hooks/{name}", json=mention)
    assert other.status_code == 202, other.text


async def test_cors_answers_only_the_configured_origin(
    limited: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    allowed = await limited.options("/api/v1/alerts", headers={"Origin": ALLOWED_ORIGIN, **preflight})
    assert allowed.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN
    elsewhere = await limited.options("/api/v1/alerts", headers={"Origin": "http://evil.test", **preflight})
    assert "access-control-allow-origin" not in elsewhere.headers
    got = await limited.get("/api/v1/alerts", headers={"Origin": ALLOWED_ORIGIN})
    assert got.status_code == 200 and got.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN
    # By default no other site's page may call the api.
    default = await client.get("/api/v1/alerts", headers={"Origin": ALLOWED_ORIGIN})
    assert default.status_code == 200 and "access-control-allow-origin" not in default.headers
