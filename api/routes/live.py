"""`WS /ws`: the live feed of the wall (protocol in api/websocket.md). It needs a key with the `display`
scope (or wider), checked before the handshake completes (api/auth.py)."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from api.auth import CLOSE_REVOKED, admit_websocket
from api.deps import get_runtime

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
        asyncio.create_task(client.pump(hub.snapshot_text)),
        asyncio.create_task(drain_incoming()),
        asyncio.create_task(client.revoked.wait()),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if client.revoked.is_set():
            with contextlib.suppress(Exception):
                await websocket.close(code=CLOSE_REVOKED, reason="API key revoked")
    except WebSocketDisconnect:
        pass
    finally:
        hub.disconnect(client)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task
