"""Connectors configured through the API: POST starts one in `vigie connectors`, DELETE stops it.

A local Jetstream (tests/integration/test_connectors.py) stands in for Bluesky; the mentions it sends are
counted in a watchlist, and once the connector is deleted the Jetstream sees its connection close and
nothing more is counted. Loopback only.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.server import serve

from services.access.auth import KeyStore
from services.settings import Settings
from services.storage import Store
from tests.conftest import create_watchlist, unique, wait_for, wait_total
from tests.integration.test_connectors import (
    FAST_STATUS_ENV,
    Jetstream,
    connector_status,
    start_connector,
    until,
)
from tests.services.connectors.test_guard import CountingServer, http_answer, listening
from tests.stack import Stack, free_port, start_role, stop_role


def runs_connector_host(pid: int) -> bool:
    """Whether the process `pid` (`vigie run`) has a `vigie connectors` child (Linux /proc)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            argv = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        if parent == pid and b"services.runtime.cli" in argv and b"connectors" in argv:
            return True
    return False


@pytest.fixture(scope="module")
def connector_host(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | None]:
    """The stack's `vigie connectors`: the one `vigie run` starts, or one started here when it does not.
    Yields the log of the one started here (None for `vigie run`'s, whose output is the stack's log)."""
    if runs_connector_host(stack.process.pid):
        yield None
        return
    log_path = Path(tmp_path_factory.mktemp("connector-host")) / "connectors.log"
    host: subprocess.Popen[bytes] = start_role(stack, "connectors", log_path, FAST_STATUS_ENV)
    try:
        yield log_path
    finally:
        stop_role(host)


@pytest.fixture(scope="module")
def scoped_keys(stack: Stack) -> dict[str, str]:
    """Keys with a single scope, made in the stack's database as `vigie keys create` makes them."""
    database_url = stack.env.get("VIGIE_DATABASE_URL", "")
    store = Store(Settings(_env_file=None, data_dir=stack.data_dir, database_url=database_url).db_url)
    try:
        keys = KeyStore(store.engine)
        return {scope: keys.create_key(f"connectors {scope}", {scope})[1] for scope in ("read", "operate")}
    finally:
        store.close()


def bluesky_spec(name: str, port: int, brand: str) -> dict[str, object]:
    return {
        "kind": "bluesky",
        "name": name,
        "url": f"ws://127.0.0.1:{port}/subscribe",
        "track": [f"#{brand}"],
    }


async def test_a_connector_posted_to_the_api_counts_mentions_until_it_is_deleted(
    stack: Stack, client: httpx.AsyncClient, connector_host: Path | None
) -> None:
    brand = unique("apijet")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    jetstream, port, name = Jetstream(), free_port(), unique("bsky-api")
    for i in range(20):
        jetstream.post(f"did:plc:fan{i % 7}", f"3kapi{i:03d}", f"loving {brand} today #{brand} {i}")
        jetstream.post(f"did:plc:else{i}", f"3kelse{i:03d}", f"something else #other{i}")
    spec = bluesky_spec(name, port, brand)

    async with serve(jetstream.handler, "127.0.0.1", port):
        created = await client.post("/api/v1/connectors", json=spec)
        assert created.status_code == 201, created.text
        assert created.json()["name"] == name and created.json()["kind"] == "bluesky"
        listed = await connector_status(client, name)
        assert listed is not None and listed["spec"]["track"] == [f"#{brand}"]  # listed before it reports

        await wait_total(client, watchlist["id"], 20, timeout_s=90)

        async def reported() -> dict[str, object] | None:
            status = await connector_status(client, name)
            return status if status and status["reported"] and status["published"] == 20 else None

        status = await wait_for(reported, timeout_s=60, interval_s=0.3)
        assert status["alive"] and status["filtered"] >= 20 and status["kind"] == "bluesky"

        deleted = await client.delete(f"/api/v1/connectors/{name}")
        assert deleted.status_code == 204, deleted.text
        await until(lambda: jetstream.connected == 0, 30)  # the connector hung up
        connections = jetstream.clients
        for i in range(5):  # posted while the connector is deleted: not counted now
            jetstream.post(f"did:plc:fan{i}", f"3klater{i:03d}", f"still {brand} #{brand} {i}")

        async def gone() -> bool:
            return await connector_status(client, name) is None

        await wait_for(gone, timeout_s=30)  # its last status said it stopped
        await asyncio.sleep(3)
        assert (await client.get(f"/api/v1/watchlists/{watchlist['id']}/metrics")).json()["total"] == 20
        assert jetstream.clients == connections  # and it did not come back

        again = await client.post("/api/v1/connectors", json=spec)  # configured again: resumes its cursor
        assert again.status_code == 201, again.text
        try:
            await wait_total(client, watchlist["id"], 25, timeout_s=90)
            assert jetstream.cursors[0] is None and jetstream.cursors[-1] is not None
        finally:
            assert (await client.delete(f"/api/v1/connectors/{name}")).status_code == 204
    if connector_host is not None:
        log = await asyncio.to_thread(connector_host.read_text, errors="replace")
        assert f"connector {name} stopped" in log


async def test_a_bad_spec_is_refused_naming_the_field_and_tokens_are_never_shown(
    client: httpx.AsyncClient, connector_host: Path | None
) -> None:
    refusals = [
        ({"kind": "rss", "urls": ["ftp://news.example/feed"]}, "urls[0]"),
        ({"kind": "telegram"}, "kind"),
        ({"kind": "mastodon", "instance": "http://127.0.0.1:9", "transport": "grpc"}, "transport"),
        ({"kind": "mastodon", "instance": "http://127.0.0.1:9", "timeline": "home"}, "timeline"),
        ({"kind": "bluesky", "tracks": ["acme"]}, "tracks"),
        (["not", "an", "object"], "body"),
    ]
    for body, field in refusals:
        answer = await client.post("/api/v1/connectors", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"][0]["field"] == field, answer.text

    name = unique("masto-api")
    spec = {
        "kind": "mastodon",
        "name": name,
        "instance": f"http://127.0.0.1:{free_port()}",  # nobody listens: it retries, on loopback only
        "timeline": "hashtag:acme",
        "token": "s3cret-token",
        "transport": "websocket",
    }
    created = await client.post("/api/v1/connectors", json=spec)
    assert created.status_code == 201, created.text
    try:
        twice = await client.post("/api/v1/connectors", json=spec)
        assert twice.status_code == 409 and twice.json()["detail"][0]["field"] == "name"
        listing = await client.get("/api/v1/connectors")
        assert "s3cret-token" not in listing.text and "s3cret-token" not in created.text
        status = await connector_status(client, name)
        assert status is not None and status["spec"]["token"] == "***"
        assert status["spec"]["transport"] == "websocket"
    finally:
        assert (await client.delete(f"/api/v1/connectors/{name}")).status_code == 204
    missing = await client.delete(f"/api/v1/connectors/{name}")
    assert missing.status_code == 404 and missing.json()["detail"][0]["field"] == "name"


async def test_configuring_connectors_needs_the_admin_scope(
    stack: Stack, scoped_keys: dict[str, str]
) -> None:
    spec = bluesky_spec(unique("bsky-scope"), free_port(), "acme")
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as anyone:
        assert (await anyone.post("/api/v1/connectors", json=spec)).status_code == 401
        for scope, key in scoped_keys.items():
            headers = {"Authorization": f"Bearer {key}"}
            refused = await anyone.post("/api/v1/connectors", json=spec, headers=headers)
            assert refused.status_code == 403, (scope, refused.text)
            assert "`admin` scope" in refused.json()["detail"][0]["error"]
            deleting = await anyone.delete(f"/api/v1/connectors/{spec['name']}", headers=headers)
            assert deleting.status_code == 403, (scope, deleting.text)
            assert (await anyone.get("/api/v1/connectors", headers=headers)).status_code == 200


async def test_a_connector_aimed_at_a_private_address_is_refused_when_saved_and_when_it_connects(
    stack: Stack, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """The stack allows 127.0.0.1 only (tests/conftest.py): 127.0.0.2 stands for any internal address."""
    refusals = [
        ({"kind": "rss", "urls": ["http://127.0.0.1:9/feed.xml", "http://127.0.0.2:9/feed.xml"]}, "urls[1]"),
        ({"kind": "bluesky", "url": "ws://169.254.169.254/subscribe"}, "url"),
        ({"kind": "mastodon", "instance": "http://[2002:7f00:1::1]:8080"}, "instance"),
        ({"kind": "mastodon", "instance": "https://10.0.0.5"}, "instance"),
    ]
    for body, field in refusals:
        answer = await client.post("/api/v1/connectors", json={**body, "name": unique("ssrf")})
        assert answer.status_code == 422, (body, answer.text)
        error = answer.json()["detail"][0]
        assert error["field"] == field and "expected a public one" in error["error"], answer.text
        assert "VIGIE_CONNECTOR_ALLOW_PRIVATE_TARGETS" in error["error"]
    listed = (await client.get("/api/v1/connectors")).json()["items"]
    assert not [item for item in listed if str(item["id"]).startswith("ssrf")]

    # Configured elsewhere (the CLI, VIGIE_CONNECTORS), it is refused at every connection instead.
    inside = CountingServer(lambda: http_answer("200 OK", b"<rss/>"))
    async with listening("127.0.0.2", inside) as port:
        name, log_path = unique("ssrf-cli"), tmp_path / "connector.log"
        url = f"http://127.0.0.2:{port}/feed.xml"
        process = start_connector(stack, log_path, "rss", url, "--interval-s", "0.5", "--name", name)
        try:

            async def refused() -> dict[str, object] | None:
                status = await connector_status(client, name)
                return status if status and "loopback address" in str(status["last_error"]) else None

            status = await wait_for(refused, timeout_s=60, interval_s=0.3)
        finally:
            stop_role(process)
    assert inside.connections == 0 and status["published"] == 0
    log = log_path.read_text(errors="replace")
    assert "resolves to 127.0.0.2, a loopback address" in log
