"""Stage counts read from pipeline records, and the health server's answers."""

from __future__ import annotations

import asyncio

import msgspec
import orjson

from services.ingest.records import encode_envelope, parse_mention
from services.runtime.observability.health_server import HealthServer, Readiness
from services.runtime.observability.stages import mentions_in_list, mentions_in_partial, mentions_in_raw
from services.understanding.enrich import Partial

MENTION = {"text": "hello @aerolis", "author": {"handle": "a"}, "mentions": ["aerolis"]}


def test_mentions_are_counted_in_every_shape_of_raw_record() -> None:
    batch = [parse_mention({**MENTION, "text": f"hello {i}"}) for i in range(3)]
    assert mentions_in_raw(encode_envelope(batch)) == 3
    assert mentions_in_raw(orjson.dumps([MENTION, MENTION])) == 2
    assert mentions_in_raw(orjson.dumps(MENTION)) == 1, "a single mention, even with its own `mentions`"
    assert mentions_in_raw(b"{broken") == 1, "an unreadable record is dead-lettered as one"
    assert mentions_in_raw(None) == 1


def test_enriched_records_and_partials_are_counted() -> None:
    assert mentions_in_list(orjson.dumps([{"a": 1}, {"b": 2}])) == 2
    assert mentions_in_list(b"{}") == 0
    partial = Partial(
        watchlist="w",
        partition=0,
        offset=1,
        buckets={60: [2, 1, 1, 0, 0.5, 0], 120: [3, 3, 0, 0, 2, 0]},
        max_ts=1,
    )
    assert mentions_in_partial(msgspec.json.encode(partial)) == 5
    assert mentions_in_partial(msgspec.json.encode([partial, partial])) == 10  # packed by the enrich agent


async def get(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    answer = await reader.read()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


async def test_the_health_server_says_why_it_is_not_ready_until_it_is() -> None:
    readiness = Readiness("not connected to the broker yet")
    server = HealthServer("connector", "127.0.0.1", 0, readiness.not_ready)
    assert await server.start()
    assert server._server is not None
    port = server._server.sockets[0].getsockname()[1]
    try:
        assert await get(port, "/healthz") == (200, b'{"status":"ok","role":"connector"}')
        status, body = await get(port, "/readyz")
        assert (status, orjson.loads(body)["reason"]) == (503, "not connected to the broker yet")
        readiness.ready = True
        assert (await get(port, "/readyz"))[0] == 200
        status, body = await get(port, "/metrics")
        assert status == 200 and b"\nvigie_ready 1.0\n" in body
        assert (await get(port, "/nothing"))[0] == 404
    finally:
        await server.stop()


async def test_a_taken_port_leaves_the_role_running_without_health_endpoints() -> None:
    first = HealthServer("notifier", "127.0.0.1", 0, lambda: None)
    assert await first.start()
    assert first._server is not None
    port = first._server.sockets[0].getsockname()[1]
    second = HealthServer("connector", "127.0.0.1", port, lambda: None)
    try:
        assert not await second.start()
    finally:
        await first.stop()
