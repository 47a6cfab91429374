"""Mastodon streaming: public, local or hashtag timelines over server-sent events or a websocket, gaps
filled by REST.

Transport `sse`: `GET /api/v1/streaming/public` (`/public/local`, `/hashtag?tag=T`) sends `event: update`
with a Status as JSON in `data:`. Transport `websocket`: one connection to `/api/v1/streaming`, then
`{"type": "subscribe", "stream": "public"}` (`public:local`, or `hashtag` with `"tag"`); each frame is
`{"stream": [...], "event": "update", "payload": "<the Status as a JSON string>"}`
(`status_from_ws_message`); an `{"error": ...}` frame (a refused subscription) ends the connection, to be
retried with backoff. Servers that ask for it get the access token as `Authorization: Bearer` (on the
websocket's upgrade request too, so it never appears in a URL or a log line). The stream has no cursor:
after a reconnect or a restart the connector pages the timeline's REST endpoint with
`min_id=<last status id seen>` (oldest first) to fill the gap, at most `FILL_PAGES_MAX` pages of 40; a
longer outage leaves a gap, which the log says.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

from services.connectors.base import PUBLIC_ONLY, ConnectorStats, Event, SourceError
from services.connectors.html_text import html_to_text
from services.connectors.sse import parse_sse
from services.delivery.guard import TargetPolicy, guarded_http_client, guarded_websocket
from services.ingest.records import MAX_TEXT_CHARS, Mention, MentionError, parse_mention

log = logging.getLogger(__name__)

FILL_PAGE_SIZE = 40
FILL_PAGES_MAX = 50
#: Mastodon sends a `:thump` comment every few seconds; silence this long means a dead connection.
STREAM_READ_TIMEOUT_S = 90.0
#: A Status is a few kB; a larger websocket frame is a broken server.
MAX_FRAME_BYTES = 4 * 1024 * 1024

Transport = Literal["sse", "websocket"]


def _status_key(status_id: str) -> tuple[int, str]:
    """Status ids are numeric strings (snowflakes): order by length, then text."""
    return (len(status_id), status_id)


def newer(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return max(a, b, key=_status_key)


def status_to_mention(status: dict[str, Any], host: str) -> Mention | None:
    """The mention of one Mastodon Status; None for a boost or a post with no text (media only)."""
    if status.get("reblog"):
        return None
    status_id, account = status.get("id"), status.get("account")
    if not isinstance(status_id, str) or not isinstance(account, dict):
        raise MentionError("status", f"expected id and account, got {sorted(status)[:12]}")
    text, links = html_to_text(str(status.get("content") or ""))
    spoiler = str(status.get("spoiler_text") or "").strip()
    if spoiler:
        text = f"{spoiler}\n\n{text}".strip()
    if not text:
        return None
    acct = str(account.get("acct") or account.get("username") or "")
    handle = acct if "@" in acct else f"{acct}@{host}"
    profile_url = str(account.get("url") or "")
    bio, _ = html_to_text(str(account.get("note") or ""))
    in_reply_to = status.get("in_reply_to_id")
    obj: dict[str, Any] = {
        "id": f"mastodon:{host}:{status_id}",
        "source": "mastodon",
        "text": text[:MAX_TEXT_CHARS],
        "author": {
            "handle": handle.lower(),
            "id": profile_url or handle,
            "name": account.get("display_name") or None,
            "followers": max(0, int(account.get("followers_count") or 0)),
            "bio": bio or None,
            "domain": urlsplit(profile_url).hostname if profile_url else None,
        },
        "created_at": status.get("created_at"),
        "lang": status.get("language"),
        "url": status.get("url") or status.get("uri"),
        "engagement": {
            "likes": max(0, int(status.get("favourites_count") or 0)),
            "reposts": max(0, int(status.get("reblogs_count") or 0)),
            "replies": max(0, int(status.get("replies_count") or 0)),
        },
        "hashtags": [str(tag.get("name")) for tag in _objects(status.get("tags")) if tag.get("name")],
        "mentions": [str(m.get("acct")).lower() for m in _objects(status.get("mentions")) if m.get("acct")],
        "links": links,
        "reply_to": f"mastodon:{host}:{in_reply_to}" if in_reply_to else None,
    }
    return parse_mention(obj)


def _objects(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of a list field (`tags`, `mentions`); anything else in it, or a field that is no
    list, is ignored: a server's odd field costs that field, not the status."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def status_from_ws_message(message: str | bytes) -> dict[str, Any] | None:
    """The Status of a websocket `update` message (`payload` is JSON in a string); None for other events.
    Raises `MentionError` when the frame or its payload is not readable JSON or not a Status, and
    `SourceError` for an error frame (`{"error": "...", "status": 4xx}`: the subscription was refused)."""
    try:
        frame = orjson.loads(message)
    except orjson.JSONDecodeError as error:
        raise MentionError("message", f"expected a JSON streaming frame: {error}") from None
    if isinstance(frame, dict) and "error" in frame and "event" not in frame:
        status = frame.get("status")
        raise SourceError(f"the streaming server refused the subscription ({status}): {frame['error']}")
    if not isinstance(frame, dict) or frame.get("event") != "update":
        return None
    payload = frame.get("payload")
    try:
        status = orjson.loads(payload) if isinstance(payload, str) else payload
    except orjson.JSONDecodeError as error:
        raise MentionError("payload", f"expected a Status as JSON in a string: {error}") from None
    if not isinstance(status, dict):
        raise MentionError("payload", f"expected a Status object, got {type(status).__name__}")
    return status


def timeline_paths(timeline: str) -> tuple[str, dict[str, str], str, dict[str, str]]:
    """(streaming path, its params, REST timeline path, its params) for public, local or hashtag:TAG."""
    if timeline == "public":
        return "/api/v1/streaming/public", {}, "/api/v1/timelines/public", {}
    if timeline == "local":
        return "/api/v1/streaming/public/local", {}, "/api/v1/timelines/public", {"local": "true"}
    if timeline.startswith("hashtag:") and timeline.removeprefix("hashtag:").strip("#"):
        tag = timeline.removeprefix("hashtag:").strip("#")
        return "/api/v1/streaming/hashtag", {"tag": tag}, f"/api/v1/timelines/tag/{tag}", {}
    raise ValueError(f"timeline: expected public, local or hashtag:TAG, got {timeline!r}")


def subscribe_message(timeline: str) -> dict[str, str]:
    """What a websocket client sends to follow public, local or hashtag:TAG."""
    if timeline == "public":
        return {"type": "subscribe", "stream": "public"}
    if timeline == "local":
        return {"type": "subscribe", "stream": "public:local"}
    if timeline.startswith("hashtag:") and timeline.removeprefix("hashtag:").strip("#"):
        return {"type": "subscribe", "stream": "hashtag", "tag": timeline.removeprefix("hashtag:").strip("#")}
    raise ValueError(f"timeline: expected public, local or hashtag:TAG, got {timeline!r}")


def websocket_url(instance: str) -> str:
    """`https://m.example` -> `wss://m.example/api/v1/streaming` (http -> ws)."""
    parts = urlsplit(instance)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/api/v1/streaming", "", ""))


class MastodonSource:
    kind = "mastodon"

    def __init__(
        self,
        instance: str,
        timeline: str = "public",
        token: str | None = None,
        transport: Transport = "sse",
        *,
        policy: TargetPolicy | None = None,
    ) -> None:
        self.instance = instance.rstrip("/")
        #: Which addresses it may connect to (services/delivery/guard.py); public ones only by default.
        self.policy = policy or PUBLIC_ONLY
        self.host = urlsplit(self.instance).hostname or self.instance
        self.stream_path, self.stream_params, self.rest_path, self.rest_params = timeline_paths(timeline)
        self.subscribe = subscribe_message(timeline)
        self.transport = transport
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.last_id: str | None = None

    def resume(self, cursor: dict[str, Any]) -> None:
        saved = cursor.get("last_id")
        self.last_id = saved if isinstance(saved, str) else None

    def _event(self, status: Any, stats: ConnectorStats) -> Event | None:
        if not isinstance(status, dict):
            stats.error(f"Mastodon update refused: expected a Status object, got {type(status).__name__}")
            return None
        try:
            mention = status_to_mention(status, self.host)
        except (MentionError, ValueError, TypeError, AttributeError) as error:
            stats.error(f"Mastodon status refused: {error}")
            mention = None
        status_id = status.get("id") if isinstance(status.get("id"), str) else None
        self.last_id = newer(self.last_id, status_id)
        return Event(mention, status_id)

    async def _fill(self, http: httpx.AsyncClient, stats: ConnectorStats) -> AsyncIterator[Event]:
        """Statuses posted after `last_id` while we were away, oldest first."""
        for _ in range(FILL_PAGES_MAX):
            params = {**self.rest_params, "min_id": self.last_id or "", "limit": str(FILL_PAGE_SIZE)}
            response = await http.get(self.rest_path, params=params)
            if response.status_code != 200:
                raise SourceError(f"expected 200 from {response.url}, got {response.status_code}")
            page = response.json()
            if not isinstance(page, list):
                raise SourceError(f"expected a JSON array from {response.url}, got {type(page).__name__}")
            if not page:
                return
            for status in sorted(page, key=lambda s: _status_key(str(s.get("id", "")))):
                if (event := self._event(status, stats)) is not None:
                    yield event
        log.warning(
            "mastodon %s: more than %d statuses missed; older ones are a gap", self.host, FILL_PAGES_MAX
        )

    async def read(self, stats: ConnectorStats) -> AsyncIterator[Event]:
        """One connection: subscribe first, then fill the gap since `last_id` by REST (what arrives on the
        stream meanwhile waits in its buffer; the overlap is dropped by id), then follow the stream."""
        timeout = httpx.Timeout(15.0, read=STREAM_READ_TIMEOUT_S)
        http_client = guarded_http_client(
            self.policy, timeout, follow_redirects=True, base_url=self.instance, headers=self.headers
        )
        async with http_client as http:
            stream = self._read_websocket if self.transport == "websocket" else self._read_sse
            async for event in stream(http, stats):
                yield event

    async def _read_sse(self, http: httpx.AsyncClient, stats: ConnectorStats) -> AsyncIterator[Event]:
        headers = {"Accept": "text/event-stream"}
        async with http.stream(
            "GET", self.stream_path, params=self.stream_params, headers=headers
        ) as response:
            if response.status_code != 200:
                body = (await response.aread())[:200].decode(errors="replace")
                raise SourceError(f"expected 200 from {response.url}, got {response.status_code}: {body}")
            log.info("mastodon: streaming %s", response.url)
            if self.last_id is not None:
                async for event in self._fill(http, stats):
                    yield event
            async for sse in parse_sse(response.aiter_lines()):
                if sse.event != "update":
                    continue
                try:
                    status = orjson.loads(sse.data)
                except orjson.JSONDecodeError as error:
                    stats.error(f"unreadable Mastodon update: {error}")
                    continue
                if (update := self._event(status, stats)) is not None:
                    yield update

    async def _read_websocket(self, http: httpx.AsyncClient, stats: ConnectorStats) -> AsyncIterator[Event]:
        address = websocket_url(self.instance)
        async with guarded_websocket(
            address,
            policy=self.policy,
            additional_headers=self.headers,
            max_size=MAX_FRAME_BYTES,
            open_timeout=15,
        ) as socket:
            await socket.send(orjson.dumps(self.subscribe).decode())
            log.info("mastodon: streaming %s %s over the websocket", address, self.subscribe)
            if self.last_id is not None:
                async for event in self._fill(http, stats):
                    yield event
            async for message in socket:
                try:
                    status = status_from_ws_message(message)
                except MentionError as error:
                    stats.error(f"unreadable Mastodon websocket frame: {error}")
                    continue
                if status is not None and (update := self._event(status, stats)) is not None:
                    yield update

    def advance(self, cursor: dict[str, Any], token: Any) -> dict[str, Any]:
        if isinstance(token, str):
            cursor["last_id"] = newer(cursor.get("last_id"), token)
        return cursor
