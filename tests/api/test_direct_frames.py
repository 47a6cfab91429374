"""The hub's fan-out writes one pre-built frame to each wall's connection (api/direct_frames.py): checked on
a real uvicorn server, run as `vigie api` runs it, with a real websocket client. If an upgrade of uvicorn or
websockets changes what these writes rely on, this file fails."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import metadata

import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.frames import Frame, Opcode

from api.direct_frames import DirectWriter, text_frame
from tests.conftest import wait_for
from tests.stack import free_port
from tests.streams.test_library_internals import pinned_versions

Handler = Callable[[WebSocket], Awaitable[None]]


@pytest.mark.parametrize("package", ["uvicorn", "websockets", "starlette"])
def test_the_libraries_whose_internals_the_fan_out_uses_are_the_pinned_ones(package: str) -> None:
    pinned = pinned_versions().get(package)
    assert pinned is not None, f"constraints.txt pins no version of {package}"
    assert metadata.version(package) == pinned, (
        f"{package} {metadata.version(package)} is installed, constraints.txt pins {pinned}: "
        "api/direct_frames.py reaches into its internals; install with `make install`, or move the pin "
        "after this file passes."
    )


@pytest.mark.parametrize("size", [0, 125, 126, 65_535, 65_536, 300_000])
def test_a_frame_is_the_bytes_websockets_itself_writes_for_a_server(size: int) -> None:
    payload = ("é" * size).encode()[:size]
    assert text_frame(payload) == Frame(Opcode.TEXT, payload).serialize(mask=False, extensions=[])


@contextlib.asynccontextmanager
async def server(handler: Handler, compression: bool = False) -> AsyncIterator[str]:
    """A uvicorn server configured like `vigie api` (services/runtime/cli.py), serving `handler` at /ws."""
    app = Starlette(routes=[WebSocketRoute("/ws", handler)])
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ws="websockets-sansio",
        ws_per_message_deflate=compression,
        log_level="warning",
    )
    running = uvicorn.Server(config)
    task = asyncio.create_task(running.serve())

    async def started() -> bool:
        return bool(running.started)

    await wait_for(started, timeout_s=10, interval_s=0.01)
    try:
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        running.should_exit = True
        await task


async def test_frames_written_straight_arrive_whole_and_in_order_with_the_usual_sends() -> None:
    texts = ["short", "é" * 200, "x" * 70_000]
    outcomes: list[bool] = []

    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()
        writer = DirectWriter.of(websocket)
        assert writer is not None
        for text in texts:
            outcomes.append(writer.write(text_frame(text.encode())))
            await websocket.send_text(f"after {len(text)}")  # the usual path, interleaved
        await websocket.close()
        outcomes.append(writer.write(text_frame(b"after the close")))

    async with server(handler) as url, websockets.connect(url, max_size=None) as client:
        received = [message async for message in client]
    assert received == [m for text in texts for m in (text, f"after {len(text)}")]
    assert outcomes == [True, True, True, False]  # nothing is written after a close


async def test_a_compressed_connection_is_left_to_the_usual_path() -> None:
    outcomes: list[bool] = []

    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()
        writer = DirectWriter.of(websocket)
        assert writer is not None
        outcomes.append(writer.write(text_frame(b"plain")))
        await websocket.send_text("compressed")
        await websocket.close()

    async with server(handler, compression=True) as url, websockets.connect(url) as client:
        received = [message async for message in client]
    assert outcomes == [False] and received == ["compressed"]


async def test_a_client_that_stops_reading_is_left_to_the_usual_path_once_its_buffer_is_full() -> None:
    """Written straight, a frozen screen would grow the server's memory without end: once the transport
    pauses (its buffer past the high-water mark), `write` refuses and the hub's bounded queue takes over."""
    frame = text_frame(b"m" * 1_000_000)
    written = 0
    refused = asyncio.Event()
    reading = asyncio.Event()

    async def handler(websocket: WebSocket) -> None:
        nonlocal written
        await websocket.accept()
        writer = DirectWriter.of(websocket)
        assert writer is not None
        while written < 500 and writer.write(frame):  # the client reads nothing meanwhile
            written += 1
            await asyncio.sleep(0)
        refused.set()
        await reading.wait()
        await websocket.send_text("done")
        await websocket.close()

    async with server(handler) as url, websockets.connect(url, max_size=None, max_queue=1) as client:
        await asyncio.wait_for(refused.wait(), timeout=30)
        assert 0 < written < 500
        reading.set()
        received = [message async for message in client]
    assert received[:-1] == ["m" * 1_000_000] * written and received[-1] == "done"
