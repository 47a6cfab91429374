"""Each connector against a local server speaking its real protocol, through the real pipeline.

A websocket server emits Jetstream events and honours `cursor`; a Mastodon server emits `update` events
over SSE or its streaming websocket and answers the REST timeline with `min_id`; an HTTP server serves
RSS and Atom with ETag and 304. Every test drops the connection in the middle, then kills the connector
process and starts it again: the watchlist's total must be exact (nothing lost, nothing counted twice).
Loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.server import ServerConnection, serve

from tests.conftest import LOOPBACK_CONNECTORS, create_watchlist, unique, wait_for, wait_total
from tests.stack import Stack, free_port, start_stack, stop_role

FAST_STATUS_ENV = {"VIGIE_CONNECTOR_STATUS_INTERVAL_S": "0.5", "VIGIE_LOG_LEVEL": "INFO"}


def start_connector(stack: Stack, log_path: Path, *args: str) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "services.runtime.cli", "connect", *args],
            env={**stack.env, **FAST_STATUS_ENV},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


async def until(condition: Callable[[], bool], timeout_s: float) -> None:
    """Wait until `condition()` holds (state of the local servers, changed by the connector)."""

    async def check() -> bool:
        return condition()

    await wait_for(check, timeout_s, interval_s=0.05)


def kill(process: subprocess.Popen[bytes]) -> None:
    """As a crash or an OOM kill would: no chance to flush or save anything."""
    process.kill()
    process.wait()


async def connector_status(client: httpx.AsyncClient, name: str) -> dict[str, Any] | None:
    response = await client.get("/api/v1/connectors")
    assert response.status_code == 200, response.text
    return next((item for item in response.json()["items"] if item["id"] == name), None)


async def status_where(
    client: httpx.AsyncClient, name: str, started_ts: float, condition: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The first status of the connector process started at `started_ts` (not an older one's) that
    satisfies `condition` (statuses are published every half second, so counters may lag a little)."""

    async def fresh() -> dict[str, Any] | None:
        status = await connector_status(client, name)
        if status and status["started_ts"] >= started_ts and status["alive"] and condition(status):
            return status
        return None

    found: dict[str, Any] = await wait_for(fresh, timeout_s=60, interval_s=0.3)
    return found


@contextlib.asynccontextmanager
async def serving(app: Starlette, port: int) -> AsyncIterator[None]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1)
    )
    task = asyncio.create_task(server.serve())
    try:
        await until(lambda: server.started, 30)
        yield
    finally:
        server.should_exit = True
        await task


# -- Bluesky / Jetstream ---------------------------------------------------------------------------------


class Jetstream:
    """A Jetstream: replays events from `cursor` (µs), then sends new ones live; can drop a connection."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.cursors: list[int | None] = []
        self.drop_after: int | None = None
        self.new_event = asyncio.Event()
        self.clients = 0  # connections ever opened
        self.connected = 0  # connections open now

    def post(self, did: str, rkey: str, text: str) -> None:
        time_us = (self.events[-1]["time_us"] + 200_000) if self.events else int(time.time() * 1e6)
        start = text.encode().index(b"#")
        tag = text[text.index("#") + 1 :].split()[0]
        record = {
            "$type": "app.bsky.feed.post",
            "createdAt": datetime.now(UTC).isoformat(),
            "langs": ["en"],
            "text": text,
            "facets": [
                {
                    "index": {"byteStart": start, "byteEnd": start + 1 + len(tag.encode())},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
                }
            ],
        }
        commit = {"rev": rkey, "operation": "create", "collection": "app.bsky.feed.post", "rkey": rkey}
        self.events.append(
            {"did": did, "time_us": time_us, "kind": "commit", "commit": {**commit, "record": record}}
        )
        self.events.append({"did": did, "time_us": time_us + 1, "kind": "identity", "identity": {"did": did}})
        self.new_event.set()

    async def handler(self, socket: ServerConnection) -> None:
        query = parse_qs(urlsplit(socket.request.path if socket.request else "").query)
        assert query.get("wantedCollections") == ["app.bsky.feed.post"]
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        self.cursors.append(cursor)
        self.clients += 1
        self.connected += 1
        try:
            await self._send(socket, cursor)
        finally:
            self.connected -= 1

    async def _send(self, socket: ServerConnection, cursor: int | None) -> None:
        position = (
            0
            if cursor is None
            else next((i for i, e in enumerate(self.events) if e["time_us"] >= cursor), len(self.events))
        )
        sent = 0
        while True:
            while position < len(self.events):
                if self.drop_after is not None and sent >= self.drop_after:
                    self.drop_after = None
                    socket.transport.abort()  # the network goes away: no close frame
                    return
                await socket.send(orjson.dumps(self.events[position]).decode())
                position += 1
                sent += 1
            self.new_event.clear()
            news = asyncio.ensure_future(self.new_event.wait())
            closed = asyncio.ensure_future(socket.wait_closed())
            await asyncio.wait([news, closed], return_when=asyncio.FIRST_COMPLETED)
            news.cancel()
            if closed.done():
                return
            closed.cancel()


async def test_bluesky_resumes_from_its_cursor_after_a_drop_and_a_restart(
    stack: Stack, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    brand = unique("jet")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    jetstream, port, name = Jetstream(), free_port(), unique("bsky")
    for i in range(40):
        jetstream.post(f"did:plc:author{i % 9}", f"3kfirst{i:03d}", f"🚀✨ post {i} about {brand} #{brand}")
        jetstream.post(f"did:plc:other{i}", f"3kother{i:03d}", f"🚀 nothing to see #other{i}")
    jetstream.drop_after = 50  # the first connection dies after 50 events (25 posts, some about the brand)
    argv = ("bluesky", "--url", f"ws://127.0.0.1:{port}/subscribe", "--track", f"#{brand}", "--name", name)
    log_path = tmp_path / "bluesky.log"

    async with serve(jetstream.handler, "127.0.0.1", port):
        started_ts = time.time()
        process = start_connector(stack, log_path, *argv)
        try:
            await wait_total(client, watchlist["id"], 40, timeout_s=90)
            assert jetstream.clients >= 2 and jetstream.cursors[0] is None
            assert jetstream.cursors[1] is not None  # the reconnect asked to resume
            status = await status_where(client, name, started_ts, lambda s: s["filtered"] >= 40)
            assert status["kind"] == "bluesky" and status["reconnects"] >= 1  # >= 40: posts about others

            kill(process)
            for i in range(25):
                jetstream.post(
                    f"did:plc:author{i % 9}", f"3ksecond{i:03d}", f"after restart {brand} #{brand} {i}"
                )
            started_ts = time.time()
            process = start_connector(stack, log_path, *argv)
            await wait_total(client, watchlist["id"], 65, timeout_s=90)
            assert jetstream.cursors[-1] is not None  # the restart read its cursor from disk
        finally:
            stop_role(process)
    assert "reconnecting" in log_path.read_text(errors="replace")


# -- Mastodon ----------------------------------------------------------------------------------------------


class Mastodon:
    """A Mastodon hashtag timeline: SSE or websocket streaming, REST timeline with min_id, a token
    required (as a header, or as `access_token` on the websocket)."""

    TOKEN = "s3cret-token"

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.statuses: list[dict[str, Any]] = []
        self.queues: list[asyncio.Queue[dict[str, Any] | None]] = []
        self.drop_after: int | None = None
        self.refused = 0
        self.fills: list[str] = []
        #: Snowflake ids as Mastodon makes them (milliseconds << 16): each server's ids are its own, as the
        #: pipeline drops a mention whose id it has seen (two tests on 127.0.0.1 would share ids otherwise).
        self.first_id = int(time.time() * 1000) << 16
        self.app = Starlette(
            routes=[
                Route("/api/v1/streaming/hashtag", self.stream),
                WebSocketRoute("/api/v1/streaming", self.websocket),
                Route(f"/api/v1/timelines/tag/{tag}", self.timeline),
            ]
        )

    def post(self, text: str, account: str) -> None:
        status_id = str(self.first_id + len(self.statuses) * 65_536)
        status = {
            "id": status_id,
            "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "in_reply_to_id": None,
            "spoiler_text": "",
            "language": "en",
            "url": f"https://m.example/@{account}/{status_id}",
            "uri": f"https://m.example/users/{account}/statuses/{status_id}",
            "replies_count": 0,
            "reblogs_count": 1,
            "favourites_count": 2,
            "content": f'<p>{text} <a href="https://m.example/tags/{self.tag}" class="mention hashtag" '
            f'rel="tag">#<span>{self.tag}</span></a></p>',
            "reblog": None,
            "account": {
                "id": account,
                "username": account,
                "acct": account,
                "display_name": account.title(),
                "followers_count": 10,
                "note": "",
                "url": f"https://m.example/@{account}",
            },
            "mentions": [],
            "tags": [{"name": self.tag, "url": f"https://m.example/tags/{self.tag}"}],
        }
        self.statuses.append(status)
        for queue in self.queues:
            queue.put_nowait(status)

    def authorised(self, request: Request | WebSocket) -> bool:
        ok = request.headers.get("authorization") == f"Bearer {self.TOKEN}" or (
            isinstance(request, WebSocket) and request.query_params.get("access_token") == self.TOKEN
        )
        self.refused += not ok
        return ok

    async def stream(self, request: Request) -> Response:
        if not self.authorised(request) or request.query_params.get("tag") != self.tag:
            return JSONResponse({"error": "The access token is invalid"}, status_code=401)
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.queues.append(queue)

        async def events() -> AsyncIterator[bytes]:
            yield b":)\n\n"
            sent = 0
            try:
                while True:
                    status = await queue.get()
                    if self.drop_after is not None and sent >= self.drop_after:
                        self.drop_after = None
                        return  # the stream ends in the middle; what was queued for it is lost
                    yield b":thump\n\n"
                    yield b"event: update\ndata: " + orjson.dumps(status) + b"\n\n"
                    yield b"event: delete\ndata: 1\n\n"
                    sent += 1
            finally:
                self.queues.remove(queue)

        return StreamingResponse(events(), media_type="text/event-stream")

    async def websocket(self, socket: WebSocket) -> None:
        """Mastodon's streaming websocket: subscribe, then `update` frames whose payload is a JSON string."""
        if not self.authorised(socket):
            await socket.close(code=1008)  # refused before the handshake completes: HTTP 403
            return
        await socket.accept()
        subscription = await socket.receive_json()
        if subscription != {"type": "subscribe", "stream": "hashtag", "tag": self.tag}:
            await socket.send_json({"error": f"Unknown stream type {subscription}", "status": 400})
            await socket.close()
            return
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.queues.append(queue)
        stream = ["hashtag", self.tag]

        async def client_gone() -> None:
            with contextlib.suppress(WebSocketDisconnect):
                while True:
                    await socket.receive_text()

        watcher = asyncio.ensure_future(client_gone())
        sent = 0
        try:
            while True:
                getting = asyncio.ensure_future(queue.get())
                await asyncio.wait([getting, watcher], return_when=asyncio.FIRST_COMPLETED)
                if watcher.done():
                    getting.cancel()
                    return
                status = getting.result()
                if self.drop_after is not None and sent >= self.drop_after:
                    self.drop_after = None
                    await socket.close(code=1001)  # going away in the middle; what was queued is lost
                    return
                payload = orjson.dumps(status).decode()
                await socket.send_json({"stream": stream, "event": "update", "payload": payload})
                await socket.send_json({"stream": stream, "event": "delete", "payload": "1"})
                sent += 1
        finally:
            watcher.cancel()
            self.queues.remove(queue)

    async def timeline(self, request: Request) -> Response:
        if not self.authorised(request):
            return JSONResponse({"error": "The access token is invalid"}, status_code=401)
        min_id = request.query_params.get("min_id", "")
        limit = int(request.query_params.get("limit", "20"))
        self.fills.append(min_id)
        newer = [s for s in self.statuses if not min_id or int(s["id"]) > int(min_id)][:limit]
        return JSONResponse(list(reversed(newer)))  # newest first, as Mastodon answers


@pytest.mark.parametrize("transport", ["sse", "websocket"])
async def test_mastodon_fills_the_gaps_of_a_drop_and_a_restart(
    stack: Stack, client: httpx.AsyncClient, tmp_path: Path, transport: str
) -> None:
    brand = unique("masto")
    tag = brand.replace("-", "")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    mastodon, port, name = Mastodon(tag), free_port(), unique("masto")
    argv = ("mastodon", "--instance", f"http://127.0.0.1:{port}", "--timeline", f"hashtag:{tag}")
    argv += ("--token", Mastodon.TOKEN, "--name", name, "--transport", transport)
    log_path = tmp_path / "mastodon.log"

    async with serving(mastodon.app, port):
        started_ts = time.time()
        process = start_connector(stack, log_path, *argv)
        try:
            await until(lambda: len(mastodon.queues) == 1, 60)
            mastodon.drop_after = 6
            for i in range(10):
                mastodon.post(f"{brand} live {i}", f"user{i % 4}")
            await until(lambda: not mastodon.queues, 30)
            for i in range(5):  # posted while nobody listens: only the REST fill can find them
                mastodon.post(f"{brand} missed {i}", f"user{i % 4}")
            await until(lambda: len(mastodon.queues) == 1, 60)
            for i in range(5):
                mastodon.post(f"{brand} back {i}", f"user{i % 4}")
            await wait_total(client, watchlist["id"], 20, timeout_s=90)
            assert mastodon.fills and mastodon.fills[0] == mastodon.statuses[5]["id"]
            status = await status_where(client, name, started_ts, lambda s: s["reconnects"] >= 1)
            assert status["kind"] == "mastodon"

            kill(process)
            for i in range(7):
                mastodon.post(f"{brand} while down {i}", f"user{i % 4}")
            process = start_connector(stack, log_path, *argv)
            await until(lambda: len(mastodon.queues) == 1, 60)
            mastodon.post(f"{brand} after restart", "user1")
            await wait_total(client, watchlist["id"], 28, timeout_s=90)
        finally:
            stop_role(process)
    assert mastodon.refused == 0


# -- RSS and Atom ------------------------------------------------------------------------------------------


class Feeds:
    """An RSS feed and an Atom feed with ETag / 304; the RSS one fails once on demand."""

    def __init__(self, brand: str) -> None:
        self.brand = brand
        self.rss_items: list[tuple[str, str]] = []
        self.atom_items: list[tuple[str, str]] = []
        self.not_modified = 0
        self.full = 0
        self.fail_next = False
        self.published_at = datetime.now(UTC)  # fixed: an unchanged feed must give the same ETag
        self.app = Starlette(routes=[Route("/feed.xml", self.rss), Route("/atom.xml", self.atom)])

    def answer(self, request: Request, body: str, media_type: str) -> Response:
        etag = '"' + hashlib.sha1(body.encode()).hexdigest() + '"'
        if request.headers.get("if-none-match") == etag:
            self.not_modified += 1
            return Response(status_code=304, headers={"ETag": etag})
        self.full += 1
        return Response(body, media_type=media_type, headers={"ETag": etag})

    async def rss(self, request: Request) -> Response:
        if self.fail_next:
            self.fail_next = False
            return Response("upstream timeout", status_code=503)
        items = "".join(
            f"<item><title>{title}</title><link>https://news.example/{guid}</link>"
            f"<guid>https://news.example/{guid}</guid>"
            f"<pubDate>{self.published_at:%a, %d %b %Y %H:%M:%S +0000}</pubDate>"
            f"<description>&lt;p&gt;About {self.brand}&lt;/p&gt;</description></item>"
            for guid, title in reversed(self.rss_items)
        )
        body = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>News Example</title>'
            f"<link>https://news.example/</link>{items}</channel></rss>"
        )
        return self.answer(request, body, "application/rss+xml")

    async def atom(self, request: Request) -> Response:
        entries = "".join(
            f"<entry><title>{title}</title><id>tag:blog.example,2024:{guid}</id>"
            f'<link href="https://blog.example/{guid}"/><updated>{self.published_at.isoformat()}</updated>'
            f"<summary>{self.brand} on the blog</summary></entry>"
            for guid, title in reversed(self.atom_items)
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>Blog Example</title><link href="https://blog.example/"/>{entries}</feed>'
        )
        return self.answer(request, body, "application/atom+xml")


async def test_rss_and_atom_are_polled_with_etags_and_resume_after_a_restart(
    stack: Stack, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    brand = unique("feed")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    feeds, port, name = Feeds(brand), free_port(), unique("rss")
    feeds.rss_items = [(f"n{i}", f"News {i}") for i in range(12)]
    feeds.atom_items = [(f"b{i}", f"Post {i}") for i in range(5)]
    base = f"http://127.0.0.1:{port}"
    argv = ("rss", f"{base}/feed.xml", f"{base}/atom.xml", "--interval-s", "0.5", "--name", name)
    log_path = tmp_path / "rss.log"

    async with serving(feeds.app, port):
        process = start_connector(stack, log_path, *argv)
        try:
            await wait_total(client, watchlist["id"], 17, timeout_s=90)
            await until(lambda: feeds.not_modified >= 2, 30)
            feeds.fail_next = True
            feeds.rss_items += [(f"n{i}", f"News {i}") for i in range(12, 15)]
            await wait_total(client, watchlist["id"], 20, timeout_s=90)

            kill(process)
            feeds.rss_items += [(f"n{i}", f"News {i}") for i in range(15, 19)]
            full_before = feeds.full
            started_ts = time.time()
            process = start_connector(stack, log_path, *argv)
            await wait_total(client, watchlist["id"], 24, timeout_s=90)
            # From its cursor: only the 4 new items are produced, and the unchanged Atom feed answers 304.
            await status_where(client, name, started_ts, lambda s: s["published"] == 4)
            assert feeds.full - full_before == 1
        finally:
            stop_role(process)
    assert "503" in log_path.read_text(errors="replace")


# -- Inbound webhook ---------------------------------------------------------------------------------------


async def test_other_tools_push_mentions_to_an_inbound_webhook(client: httpx.AsyncClient) -> None:
    brand = unique("hook")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    mentions = [{"text": f"{brand} via zapier {i}", "author": {"handle": f"z{i}"}} for i in range(3)]
    answer = await client.post("/api/v1/hooks/zapier", json=mentions)
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"accepted": 3, "refused": []}
    again = await client.post("/api/v1/hooks/zapier", json=mentions)  # a tool retrying its delivery
    assert again.status_code == 202
    await wait_total(client, watchlist["id"], 3)

    refused = await client.post("/api/v1/hooks/zapier", json=[{"text": brand}])
    assert refused.status_code == 422 and refused.json()["refused"][0]["field"] == "author"
    misnamed = await client.post("/api/v1/hooks/Not%20A%20Name", json=mentions)
    assert misnamed.status_code == 422 and "source" in misnamed.text


# -- Inside `vigie run` ------------------------------------------------------------------------------------


async def test_vigie_run_starts_the_configured_connectors(tmp_path: Path) -> None:
    brand = unique("run")
    feeds, port = Feeds(brand), free_port()
    spec = {"kind": "rss", "urls": [f"http://127.0.0.1:{port}/feed.xml"], "interval_s": 0.5, "name": "news"}
    env = {"VIGIE_CONNECTORS": orjson.dumps([spec]).decode(), **FAST_STATUS_ENV, **LOOPBACK_CONNECTORS}
    async with serving(feeds.app, port):
        running = await asyncio.to_thread(start_stack, tmp_path / "vigie", extra_env=env)
        try:
            async with running.http() as http:
                watchlist = await create_watchlist(http, name=brand, keywords=[brand])
                await status_where(http, "news", 0.0, lambda s: True)  # running; the feed is still empty
                feeds.rss_items = [(f"r{i}", f"Run {i}") for i in range(6)]
                await wait_total(http, watchlist["id"], 6, timeout_s=90)
                status = await status_where(http, "news", 0.0, lambda s: s["published"] == 6)
                assert status["kind"] == "rss"
        finally:
            await asyncio.to_thread(running.stop)
