"""One websocket frame built once and written to every wall's connection (the hub's fan-out).

Through Starlette's `send_text`, uvicorn's protocol and websockets' frame builder, each client costs the api
~50 µs of CPU per message (1,000 walls: ~50 ms of a core for every update, paid again and again in a busy
room). A server's text frame is the same bytes for every client (servers do not mask; compression is off by
default), so the hub builds it once (`text_frame`) and writes it straight to each idle client's transport
(`DirectWriter.write`): one socket write per client.

Only when that is exactly what uvicorn would have written, and in order: uvicorn's `websockets-sansio`
protocol (`vigie api` runs it), the handshake done, no close sent or received, the connection open in the
websockets state machine, no extension negotiated (permessage-deflate: VIGIE_WS_COMPRESSION), the transport
not paused by a full buffer (a slow client). Otherwise `write` returns False and the client's pump sends
through Starlette as before, with its bounded queue (api/hub.py).

Private names relied on (uvicorn, pinned in constraints.txt; tests/api/test_direct_frames.py checks them on a
real server): Starlette's `WebSocket._receive` is the protocol's bound `receive`; the protocol's
`transport`, `conn` (websockets' `ServerProtocol`: `state`, `extensions`), `handshake_complete`,
`close_sent`, `disconnected`, `initial_response` and `writable` (cleared while the transport is paused).
"""

from __future__ import annotations

import struct
from typing import Any

from starlette.websockets import WebSocket
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

_TEXT_FIN = 0x81


def text_frame(payload: bytes) -> bytes:
    """An unfragmented, unmasked text frame (RFC 6455 §5.2) carrying `payload` (UTF-8)."""
    size = len(payload)
    if size < 126:
        header = bytes((_TEXT_FIN, size))
    elif size < 1 << 16:
        header = struct.pack("!BBH", _TEXT_FIN, 126, size)
    else:
        header = struct.pack("!BBQ", _TEXT_FIN, 127, size)
    return header + payload


class DirectWriter:
    """Writes pre-built frames to one websocket's transport while that is what uvicorn would do."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

    @classmethod
    def of(cls, websocket: WebSocket) -> DirectWriter | None:
        """The writer of an accepted websocket served by uvicorn's sans-I/O protocol (None otherwise)."""
        protocol: Any = getattr(getattr(websocket, "_receive", None), "__self__", None)
        if not isinstance(protocol, WebSocketsSansIOProtocol):
            return None
        return cls(protocol)

    def write(self, frame: bytes) -> bool:
        """Write `frame` if the connection is open, plain and not backed up; False: send the usual way."""
        protocol = self._protocol
        transport = protocol.transport
        if (
            not protocol.handshake_complete
            or protocol.close_sent
            or protocol.disconnected
            or protocol.initial_response is not None
            or not protocol.writable.is_set()
            or protocol.conn.state is not State.OPEN
            or protocol.conn.extensions
            or transport is None
            or transport.is_closing()
        ):
            return False
        transport.write(frame)
        return True
