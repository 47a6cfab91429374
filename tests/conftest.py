from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy
import websockets

from tests.database import Postgres, start_postgres
from tests.stack import Stack, running_stack

_ids = itertools.count()


def posted_mention(text: str, minutes_ago: float = 0.0, **extra: Any) -> dict[str, Any]:
    """A mention body for POST /api/v1/mentions by a fresh author, `minutes_ago` in event time."""
    created = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {
        "id": unique("m"),
        "text": text,
        "author": {"handle": unique("user"), "followers": 120},
        "created_at": created.isoformat(),
        **extra,
    }


def unique(prefix: str) -> str:
    """A fresh id, so tests sharing one running stack never see each other's data."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}-{next(_ids)}"


#: Connectors of the tests read servers on 127.0.0.1 only: every other private address (127.0.0.2 too)
#: stays refused, so one stack shows both the allowed and the refused path of the target guard.
LOOPBACK_CONNECTORS = {"VIGIE_CONNECTOR_ALLOWED_NETWORKS": '["127.0.0.1/32"]'}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # Tests deliver alerts to receivers on loopback, and retry quickly.
    loopback_delivery = {
        "VIGIE_DELIVERY_ALLOW_PRIVATE_TARGETS": "true",
        "VIGIE_DELIVERY_RETRY_DELAYS_S": "[0, 1, 2, 5]",
        # Tests send many wrong keys on purpose, all from 127.0.0.1 (test_secrets.py throttles its own api).
        "VIGIE_AUTH_FAILURE_BURST": "100000",
        **LOOPBACK_CONNECTORS,
    }
    with running_stack(Path(tmp_path_factory.mktemp("vigie")), extra_env=loopback_delivery) as running:
        yield running


@pytest.fixture(scope="session")
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with stack.http() as http:
        yield http


async def wait_for(check: Any, timeout_s: float = 30.0, interval_s: float = 0.1) -> Any:
    """Poll an async `check()` until it returns something truthy; fail with its last value otherwise."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s} s; last value: {last!r}")


async def create_watchlist(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    """Create a watchlist; wait until the live side knows it (it travels on vigie.config, as to workers)."""
    response = await client.post("/api/v1/watchlists", json=fields)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    ws_url = str(client.base_url).replace("http://", "ws://").rstrip("/") + "/ws"
    key = {"Authorization": client.headers["authorization"]}  # the websocket takes the header too
    async with websockets.connect(ws_url, additional_headers=key) as socket:
        while True:
            message = orjson.loads(await asyncio.wait_for(socket.recv(), timeout=30))
            items = message.get("watchlists") if message["type"] == "snapshot" else message.get("items")
            if message["type"] in ("snapshot", "watchlists") and any(w["id"] == created["id"] for w in items):
                break
    await asyncio.sleep(0.3)  # the worker follows the same topic with the same fetch wait
    return created


async def metrics(client: httpx.AsyncClient, watchlist_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/watchlists/{watchlist_id}/metrics")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def wait_total(
    client: httpx.AsyncClient, watchlist_id: str, expected: int, timeout_s: float = 45
) -> None:
    """Wait until the watchlist's total is `expected`, then check it stays there (no late double count)."""

    totals: list[Any] = [None]

    async def reached() -> bool:
        totals.append((await metrics(client, watchlist_id)).get("total"))
        return totals[-1] == expected

    try:
        await wait_for(reached, timeout_s)
    except AssertionError:
        raise AssertionError(f"total {totals[-1]} after {timeout_s} s, expected {expected}") from None
    await asyncio.sleep(1.5)
    assert (await metrics(client, watchlist_id))["total"] == expected


async def wait_history_count(
    client: httpx.AsyncClient, watchlist_id: str, expected: int, timeout_s: float = 30
) -> None:
    """Wait until the watchlist's stored history (the database's roll-ups, not the live windows) of the last
    24 hours counts `expected` mentions: the worker has written them, with its window state, in one flush."""

    counts: list[Any] = [None]

    async def written() -> bool:
        response = await client.get(f"/api/v1/watchlists/{watchlist_id}/history")
        assert response.status_code == 200, response.text
        counts.append(response.json()["totals"]["count"])
        return counts[-1] == expected

    try:
        await wait_for(written, timeout_s)
    except AssertionError:
        raise AssertionError(
            f"history counts {counts[-1]} after {timeout_s} s, expected {expected}"
        ) from None


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One real PostgreSQL server for the session (its folder under /tmp: the postgres user must reach it)."""
    server = start_postgres(Path(tempfile.mkdtemp(prefix="vigie-pg-")))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind Vigie supports: SQLite by default, PostgreSQL by URL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'vigie.db'}"
    server: Postgres = request.getfixturevalue("postgres")
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(server.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return server.url.rsplit("/", 1)[0] + f"/{name}"
