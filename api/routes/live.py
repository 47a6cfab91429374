"""`WS /ws`: the live feed of the wall (protocol in api/websocket.md). It needs a key with the `display`
scope (or wider), checked before the handshake completes (api/auth.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from api.auth import CLOSE_REVOKED, admit_websocket
from api.deps import get_runtime
from api.hub import CLIENT_QUEUE_MAX, CLOSE_TOO_SLOW, SEND_STALL_S

log = logging.getLogger(__name__)

router = APIRouter()


@router.websocket("/ws")
async def live(websocket: WebSocket) -> None:
    hub = get_runtime(websocket).hub
    if not await admit_websocket(websocket, "display"):
        return
    await websocket.accept()
    key = websocket.state.api_key
    client = hub.connect(websocket, key.id if key is not None else None)

    async def drain_incoming() -> None:
        while True:
            await websocket.receive_text()

    tasks = [
        asyncio.create_task(client.pump()),
        asyncio.create_task(drain_incoming()),
        asyncio.create_task(client.too_slow.wait()),
        asyncio.create_task(client.revoked.wait()),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if client.revoked.is_set():
            with contextlib.suppress(Exception):
                await websocket.close(code=CLOSE_REVOKED, reason="API key revoked")
        elif client.too_slow.is_set():
            log.warning(
                "closing a websocket client at %s that stopped reading (%d messages queued, at most %d; "
                "a message waits at most %.0f s): code %d, its wall reconnects for a fresh snapshot",
                websocket.client,
                client.queue.qsize(),
                CLIENT_QUEUE_MAX,
                SEND_STALL_S,
                CLOSE_TOO_SLOW,
            )
            with contextlib.suppress(Exception):
                await websocket.close(code=CLOSE_TOO_SLOW, reason="too slow; reconnect for a fresh snapshot")
    except WebSocketDisconnect:
        pass
    finally:
        hub.disconnect(client)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task
