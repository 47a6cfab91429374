"""Many websocket clients in one process, for bench.fanout.

    python -m bench.fanout_clients URL COUNT WATCHLIST


Prints `ready` once every client has its snapshot, then, after the `end` phase, one JSON line: per phase
the delays (ms) from the send time stamped in each `metrics` message of WATCHLIST to its arrival, how
many clients the server closed, and what this process cost the measure: its own event loop's lag (how
late a 10 ms sleep woke up, sampled through each phase; a message that arrives while the loop is busy
is stamped that late) and the CPU it used per phase. Client processes share the machine with the api:
their lag is part of every delay they report.
"""

from __future__ import annotations

import asyncio
import base64
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from urllib.parse import urlsplit

import orjson

CONNECTS_AT_ONCE = 50
CONNECT_TIMEOUT_S = 60.0
#: How often this process looks how late its own event loop runs.
LAG_SAMPLE_S = 0.01
#: The sender's phases, in order: a metrics message's `total` is its phase's index.
PHASES = ("warmup", "calm", "stalled", "end")


class OwnCost:
    """This process's event-loop lag and CPU, per phase (the phase of the last message any client got)."""

    def __init__(self) -> None:
        self.phase = PHASES[0]
        self.lag_ms: dict[str, list[float]] = defaultdict(list)
        self.cpu_s: dict[str, float] = defaultdict(float)
        self.wall_s: dict[str, float] = defaultdict(float)

    def saw(self, phase: str) -> None:
        self.phase = phase

    async def sample(self) -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        while True:
            await asyncio.sleep(LAG_SAMPLE_S)
            now_cpu, now_wall = time.process_time(), time.perf_counter()
            self.lag_ms[self.phase].append(round((now_wall - wall - LAG_SAMPLE_S) * 1000, 1))
            self.cpu_s[self.phase] += now_cpu - cpu
            self.wall_s[self.phase] += now_wall - wall
            cpu, wall = now_cpu, now_wall


def handshake_request(url: str) -> bytes:
    """The HTTP request that opens a websocket at `url` (ws://host:port/path?query)."""
    parts = urlsplit(url)
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A short frame from a client (masked, as RFC 6455 requires): the pong or close this reader sends."""
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return bytes((0x80 | opcode, 0x80 | len(payload))) + mask + masked


class FrameReader(asyncio.Protocol):
    """One websocket client, as cheap as a reader can be: the handshake, then the server's (unmasked) frames
    parsed as bytes arrive, with no task, future or frame object per message, and pings answered. 500 of
    these in one process cost the machine a fraction of what 500 `websockets` clients did, CPU the api
    shares: the delays they stamp are the api's, not the readers' own backlog."""

    def __init__(self, request: bytes, on_text: Callable[[bytes], bool], done: asyncio.Future[bool]) -> None:
        self.request = request
        #: Called with each text message; True: stop reading.
        self.on_text = on_text
        #: Resolves True when the server closed or dropped the connection, False once `on_text` said stop.
        self.done = done
        self.buffer = bytearray()
        self.message = bytearray()
        self.open = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(True)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.open:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[: self.buffer.find(b"\r\n")])
            if b" 101 " not in status:
                self.done.set_exception(ConnectionError(f"expected 101 Switching Protocols, got {status!r}"))
                return
            del self.buffer[: end + 4]
            self.open = True
        self.frames()

    def frames(self) -> None:
        buffer, at = self.buffer, 0
        while len(buffer) - at >= 2 and not self.done.done():
            first, length, head = buffer[at], buffer[at + 1] & 0x7F, 2
            if length == 126:
                length, head = int.from_bytes(buffer[at + 2 : at + 4]), 4
            elif length == 127:
                length, head = int.from_bytes(buffer[at + 2 : at + 10]), 10
            if len(buffer) - at < head + length:
                break
            payload = bytes(buffer[at + head : at + head + length])
            at += head + length
            opcode = first & 0x0F
            if opcode == 0x9:  # ping: pong, or the server closes this client after 20 s
                self.write(client_frame(0xA, payload))
            elif opcode == 0x8:
                self.write(client_frame(0x8, payload[:2]))
                self.done.set_result(True)
            elif opcode in (0x0, 0x1):
                self.message += payload
                if first & 0x80:  # FIN: the message is whole
                    text, self.message = bytes(self.message), bytearray()
                    if self.on_text(text):
                        self.done.set_result(False)
        del buffer[:at]

    def write(self, frame: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame)


async def client(
    url: str,
    watchlist: str,
    delays: dict[str, list[float]],
    closed: list[int],
    opened: Callable[[], None],
    cost: OwnCost,
) -> None:
    snapshot = [True]

    def on_text(raw: bytes) -> bool:
        if snapshot:  # the first message: the server counts this client from now on
            snapshot.clear()
            opened()
            return False
        message = orjson.loads(raw)
        if message.get("type") != "metrics" or message.get("watchlist") != watchlist:
            return False
        phase = PHASES[message["total"]]  # the sender puts the phase in `total`, its clock in now_ts
        cost.saw(phase)
        if phase == "end":
            return True
        delays[phase].append(round((time.time() - message["now_ts"]) * 1000, 2))
        return False

    loop = asyncio.get_running_loop()
    parts = urlsplit(url)
    done: asyncio.Future[bool] = loop.create_future()
    transport, _ = await asyncio.wait_for(
        loop.create_connection(
            lambda: FrameReader(handshake_request(url), on_text, done),
            parts.hostname or "127.0.0.1",
            parts.port or 80,
        ),
        timeout=CONNECT_TIMEOUT_S,
    )
    try:
        if await done:
            closed.append(1)
    finally:
        transport.close()


async def main(url: str, count: int, watchlist: str) -> None:
    delays: dict[str, list[float]] = defaultdict(list)
    closed: list[int] = []
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)
    ready = {"count": 0}
    everyone = asyncio.Event()
    cost = OwnCost()

    async def one() -> None:
        await gate.acquire()
        released = False

        def opened() -> None:
            nonlocal released
            released = True
            gate.release()
            ready["count"] += 1
            if ready["count"] == count:
                everyone.set()

        try:
            await client(url, watchlist, delays, closed, opened, cost)
        finally:
            if not released:
                gate.release()

    tasks = [asyncio.create_task(one()) for _ in range(count)]
    waiting = asyncio.create_task(everyone.wait())
    ended = asyncio.create_task(asyncio.wait(tasks))
    await asyncio.wait([waiting, ended], return_when=asyncio.FIRST_COMPLETED)
    print("ready" if everyone.is_set() else f"only {ready['count']} of {count} connected", flush=True)
    sampling = asyncio.create_task(cost.sample())
    failures = [
        r for r in await asyncio.gather(*tasks, return_exceptions=True) if isinstance(r, BaseException)
    ]
    sampling.cancel()
    body = {
        "delays_ms": delays,
        "loop_lag_ms": cost.lag_ms,
        "cores": {phase: round(cost.cpu_s[phase] / wall, 2) for phase, wall in cost.wall_s.items() if wall},
        "closed": len(closed),
        "failed": len(failures),
        "errors": sorted({repr(f)[:200] for f in failures})[:3],
    }
    print(orjson.dumps(body).decode(), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
