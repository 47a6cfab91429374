"""Connectors reach only what their target policy allows, on every connection, redirects included.

Real servers on loopback count the connections they receive: a refused target must receive none (the
refusal is decided before anything is sent). 127.0.0.1 plays an allowed server (as an operator's
`VIGIE_CONNECTOR_ALLOWED_NETWORKS` would allow an intranet one) and 127.0.0.2, another loopback address,
a forbidden one; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import AsyncIterator, Callable

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from services.connectors.base import CONNECTOR_SETTING, PUBLIC_ONLY, ConnectorStats, Event
from services.connectors.bluesky import JetstreamSource
from services.connectors.mastodon import MastodonSource
from services.connectors.rss import RssSource
from services.delivery.guard import TargetPolicy, TargetRefused
from tests.conftest import wait_for
from tests.stack import free_port

ONLY_127_0_0_1 = TargetPolicy(
    allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),), setting=CONNECTOR_SETTING
)
FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Intranet</title><link>https://intra.example/'
    b"</link><item><title>acme news</title><guid>https://intra.example/1</guid></item></channel></rss>"
)


class CountingServer:
    """A TCP server that counts connections and answers each HTTP request with `answer(port_of_b)`."""

    def __init__(self, answer: Callable[[], bytes]) -> None:
        self.answer = answer
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(self.answer())
            await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def listening(host: str, server: CountingServer) -> AsyncIterator[int]:
    running = await asyncio.start_server(server.handle, host, 0)
    try:
        yield running.sockets[0].getsockname()[1]
    finally:
        running.close()
        await running.wait_closed()


def http_answer(status: str, body: bytes = b"", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def first_rss_outcome(source: RssSource) -> tuple[list[Event], ConnectorStats]:
    """Poll once: the events of the first feed read, or the error of the first failed poll."""
    stats = ConnectorStats(name="guarded", kind="rss")
    events: list[Event] = []
    reading = source.read(stats)

    async def first() -> None:
        async for event in reading:
            events.append(event)
            if event.mention is None:  # the end of one feed's poll
                return

    async def done() -> bool:
        return task.done() or stats.errors > 0

    task = asyncio.create_task(first())
    try:
        await wait_for(done, timeout_s=10, interval_s=0.02)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await reading.aclose()
    return events, stats


async def test_an_rss_feed_on_loopback_is_refused_without_a_connection() -> None:
    feed = CountingServer(lambda: http_answer("200 OK", FEED))
    async with listening("127.0.0.1", feed) as port:
        events, stats = await first_rss_outcome(RssSource([f"http://127.0.0.1:{port}/feed.xml"], 60))
    assert events == [] and feed.connections == 0
    assert stats.last_error is not None and "a loopback address" in stats.last_error
    assert CONNECTOR_SETTING in stats.last_error
    # Decided before connecting: a port where nobody listens is refused in the same words.
    closed = free_port()
    _, closed_stats = await first_rss_outcome(RssSource([f"http://127.0.0.1:{closed}/feed.xml"], 60))
    assert closed_stats.last_error == stats.last_error.replace(str(port), str(closed))


async def test_a_redirect_to_a_forbidden_address_is_refused_before_it_is_connected_to() -> None:
    inside = CountingServer(lambda: http_answer("200 OK", FEED, Content_Type="application/rss+xml"))
    async with listening("127.0.0.2", inside) as inside_port:
        target = f"http://127.0.0.2:{inside_port}/feed.xml"
        allowed = CountingServer(lambda: http_answer("302 Found", Location=target))
        async with listening("127.0.0.1", allowed) as port:
            url = f"http://127.0.0.1:{port}/feed.xml"
            events, stats = await first_rss_outcome(RssSource([url], 60, policy=ONLY_127_0_0_1))
            assert allowed.connections == 1 and inside.connections == 0 and events == []
            assert stats.last_error is not None and "'127.0.0.2'" in stats.last_error
            assert "loopback" in stats.last_error

            # Where the policy allows the second hop, the redirect is followed and the feed read.
            loopback = TargetPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),))
            events, stats = await first_rss_outcome(RssSource([url], 60, policy=loopback))
    assert stats.errors == 0 and inside.connections == 1
    assert [event.mention.text for event in events if event.mention] == ["acme news"]


async def test_jetstream_and_mastodon_on_loopback_are_refused_without_a_connection() -> None:
    server = CountingServer(lambda: http_answer("404 Not Found"))
    stats = ConnectorStats(name="guarded", kind="any")
    async with listening("127.0.0.1", server) as port:
        sources = [
            JetstreamSource(f"ws://127.0.0.1:{port}/subscribe"),
            MastodonSource(f"http://127.0.0.1:{port}", transport="sse"),
            MastodonSource(f"http://localhost:{port}", transport="websocket", policy=PUBLIC_ONLY),
        ]
        for source in sources:
            with pytest.raises(TargetRefused, match="loopback address; expected a public one"):
                async for _ in source.read(stats):
                    pass
    assert server.connections == 0


async def test_a_websocket_redirect_is_checked_at_each_hop() -> None:
    inside_connections = 0

    async def inside(socket: ServerConnection) -> None:
        nonlocal inside_connections
        inside_connections += 1
        await socket.close()

    async with serve(inside, "127.0.0.2", 0) as inside_server:
        inside_port = inside_server.sockets[0].getsockname()[1] if inside_server.sockets else 0
        target = f"ws://127.0.0.2:{inside_port}/subscribe"

        def redirect(_: ServerConnection, request: Request) -> Response:
            return Response(302, "Found", Headers({"Location": target, "Content-Length": "0"}))

        async with serve(inside, "127.0.0.1", 0, process_request=redirect) as outside_server:
            port = next(iter(outside_server.sockets)).getsockname()[1]
            source = JetstreamSource(f"ws://127.0.0.1:{port}/subscribe", policy=ONLY_127_0_0_1)
            with pytest.raises(TargetRefused, match=r"'127\.0\.0\.2'"):
                async for _ in source.read(ConnectorStats(name="guarded", kind="bluesky")):
                    pass
            assert inside_connections == 0

            loopback = TargetPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),))
            followed = JetstreamSource(f"ws://127.0.0.1:{port}/subscribe", policy=loopback)
            async for _ in followed.read(ConnectorStats(name="guarded", kind="bluesky")):
                pass  # the server closes at once
    assert inside_connections == 1
