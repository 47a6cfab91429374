"""The hub's snapshot for new clients: shared between clients while nothing changes, never stale."""

from __future__ import annotations

from typing import Any, cast

import orjson
from starlette.websockets import WebSocket

from api.hub import Hub
from services.settings import Settings

NO_SOCKET = cast(WebSocket, None)  # the hub only queues text for a client here; nothing is sent


def first_message(hub: Hub) -> dict[str, Any]:
    client = hub.connect(NO_SOCKET)
    message: dict[str, Any] = orjson.loads(client.queue.get_nowait())
    return message


def metrics(watchlist: str, total: int) -> dict[str, Any]:
    return {"type": "metrics", "v": 1, "watchlist": watchlist, "total": total, "windows": {}}


def test_clients_connecting_between_two_changes_share_one_snapshot() -> None:
    hub = Hub(Settings.model_validate({}))
    first = hub.connect(NO_SOCKET).queue.get_nowait()
    second = hub.connect(NO_SOCKET).queue.get_nowait()
    assert first is second  # built once


def test_a_client_connecting_after_a_change_sees_it() -> None:
    hub = Hub(Settings.model_validate({}))
    assert first_message(hub)["alerts"] == []
    hub.alerts["a1"] = {"id": "a1", "status": "firing"}
    hub.broadcast({"type": "alert", "v": 1, "alert": hub.alerts["a1"]})
    assert first_message(hub)["alerts"] == [{"id": "a1", "status": "firing"}]
    outgoing = hub.apply_update(metrics("acme", 7))
    assert outgoing is not None
    hub.broadcast(outgoing)
    assert first_message(hub)["metrics"] == {}  # acme is not a known watchlist: not shown
    ticker = hub.apply_update({"type": "mentions", "v": 1, "items": [{"id": "m1", "text": "hello"}]})
    assert ticker is not None
    hub.broadcast(ticker)
    assert [m["id"] for m in first_message(hub)["mentions"]] == ["m1"]


def test_heartbeats_do_not_rebuild_the_snapshot() -> None:
    hub = Hub(Settings.model_validate({}))
    before = hub.connect(NO_SOCKET).queue.get_nowait()
    hub.broadcast({"type": "heartbeat", "v": 1, "server_time": "now"})
    assert hub.connect(NO_SOCKET).queue.get_nowait() is before
