"""Bluesky through Jetstream: JSON commit events over a websocket, converted to mentions.

Jetstream (github.com/bluesky-social/jetstream) serves `wss://<host>/subscribe?wantedCollections=...`
and accepts `cursor=<unix µs>` to replay from a point in time. Every event carries `time_us`; the cursor
saved is the `time_us` of the last acknowledged event, and a resume asks for a little earlier
(`RESUME_REWIND_S`), as Jetstream's README advises for gapless playback: events are only roughly ordered
by `time_us`, and public instances differ slightly. The overlap is dropped by ids.

A post's hashtags, mentions and links come from its facets, whose `index` counts UTF-8 bytes, not
characters. Jetstream gives the author's DID, not their handle: `author.handle` is the DID (resolving
handles and follower counts needs an AppView call per author, left out).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import orjson

from services.connectors.base import PUBLIC_ONLY, ConnectorStats, Event
from services.delivery.guard import TargetPolicy, guarded_websocket
from services.ingest.records import Mention, MentionError, parse_mention

log = logging.getLogger(__name__)

DEFAULT_URL = "wss://jetstream2.us-east.bsky.network/subscribe"
POST = "app.bsky.feed.post"
RESUME_REWIND_S = 5.0
#: Jetstream events are small; a larger frame is a broken server.
MAX_FRAME_BYTES = 4 * 1024 * 1024


def at_uri_to_id(uri: str) -> str | None:
    """`at://did:plc:x/app.bsky.feed.post/3k2` -> `bsky:did:plc:x/3k2` (our id of that post)."""
    parts = uri.removeprefix("at://").split("/")
    if len(parts) == 3 and parts[1] == POST:
        return f"bsky:{parts[0]}/{parts[2]}"
    return None


def post_url(did: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def _facet_entities(text: str, facets: Any) -> tuple[list[str], list[str], list[str]]:
    """Hashtags, @handles and links of a post's facets (byte offsets into the UTF-8 text)."""
    data = text.encode("utf-8")
    tags: list[str] = []
    handles: list[str] = []
    links: list[str] = []
    for facet in facets if isinstance(facets, list) else ():
        index = facet.get("index") if isinstance(facet, dict) else None
        if not isinstance(index, dict):
            continue
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(data)):
            continue
        covered = data[start:end].decode("utf-8", errors="replace")
        for feature in facet.get("features") or ():
            kind = feature.get("$type") if isinstance(feature, dict) else None
            if kind == "app.bsky.richtext.facet#tag" and isinstance(feature.get("tag"), str):
                tags.append(feature["tag"].lstrip("#"))
            elif kind == "app.bsky.richtext.facet#mention":
                handle = covered.lstrip("@").strip()
                handles.append((handle or str(feature.get("did", ""))).lower())
            elif kind == "app.bsky.richtext.facet#link" and isinstance(feature.get("uri"), str):
                links.append(feature["uri"])
    return tags, handles, links


def _quoted_uri(embed: Any) -> str | None:
    if not isinstance(embed, dict):
        return None
    kind = embed.get("$type")
    record = embed.get("record")
    if kind == "app.bsky.embed.recordWithMedia" and isinstance(record, dict):
        record = record.get("record")
    if kind in ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia") and isinstance(record, dict):
        uri = record.get("uri")
        return uri if isinstance(uri, str) else None
    return None


def jetstream_event_to_mention(event: dict[str, Any]) -> Mention | None:
    """The mention of a Jetstream event that creates a post; None for any other event or an empty post.

    Raises `MentionError` when a post event is malformed. A reply's parent becomes `reply_to`; a quoted
    post's address is added to `links` (the record has no quote field).
    """
    if event.get("kind") != "commit":
        return None
    commit = event.get("commit")
    if (
        not isinstance(commit, dict)
        or commit.get("operation") != "create"
        or commit.get("collection") != POST
    ):
        return None
    did, rkey, record = event.get("did"), commit.get("rkey"), commit.get("record")
    if not isinstance(did, str) or not isinstance(rkey, str) or not isinstance(record, dict):
        raise MentionError("commit", f"expected did, rkey and record in a post commit, got {sorted(commit)}")
    text = record.get("text")
    if not isinstance(text, str):
        raise MentionError("commit.record.text", f"expected a string, got {type(text).__name__}")
    if not text.strip():
        return None
    tags, handles, links = _facet_entities(text, record.get("facets"))
    quoted = _quoted_uri(record.get("embed"))
    if quoted and (quoted_id := at_uri_to_id(quoted)):
        quoted_did, _, quoted_rkey = quoted_id.removeprefix("bsky:").partition("/")
        links.append(post_url(quoted_did, quoted_rkey))
    reply = record.get("reply")
    parent = reply.get("parent") if isinstance(reply, dict) else None
    parent_uri = parent.get("uri") if isinstance(parent, dict) else None
    langs = record.get("langs")
    obj: dict[str, Any] = {
        "id": f"bsky:{did}/{rkey}",
        "source": "bluesky",
        "text": text,
        "author": {"handle": did, "id": did},
        "created_at": record.get("createdAt"),
        "lang": langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None,
        "url": post_url(did, rkey),
        "hashtags": tags or None,
        "mentions": handles or None,
        "links": links or None,
        "reply_to": at_uri_to_id(parent_uri) if isinstance(parent_uri, str) else None,
    }
    return parse_mention(obj)


def subscribe_url(base_url: str, time_us: int | None, rewind_s: float = RESUME_REWIND_S) -> str:
    """The Jetstream address asking for posts only, from `time_us - rewind` when resuming."""
    parts = urlsplit(base_url)
    path = parts.path if parts.path not in ("", "/") else "/subscribe"
    query = [("wantedCollections", POST)]
    if time_us is not None:
        query.append(("cursor", str(max(0, time_us - int(rewind_s * 1_000_000)))))
    extra = f"&{parts.query}" if parts.query else ""
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query) + extra, ""))


class JetstreamSource:
    kind = "bluesky"

    def __init__(
        self, url: str = DEFAULT_URL, rewind_s: float = RESUME_REWIND_S, *, policy: TargetPolicy | None = None
    ) -> None:
        self.url = url
        #: Which addresses it may connect to (services/delivery/guard.py); public ones only by default.
        self.policy = policy or PUBLIC_ONLY
        self.rewind_s = rewind_s
        self.time_us: int | None = None

    def resume(self, cursor: dict[str, Any]) -> None:
        saved = cursor.get("time_us")
        self.time_us = saved if isinstance(saved, int) else None

    async def read(self, stats: ConnectorStats) -> AsyncIterator[Event]:
        address = subscribe_url(self.url, self.time_us, self.rewind_s)
        log.info("bluesky: connecting to %s", address)
        connecting = guarded_websocket(address, policy=self.policy, max_size=MAX_FRAME_BYTES, open_timeout=15)
        async with connecting as socket:
            async for message in socket:
                try:
                    event = orjson.loads(message)
                    if not isinstance(event, dict):
                        raise MentionError("event", f"expected a JSON object, got {type(event).__name__}")
                    mention = jetstream_event_to_mention(event)
                except orjson.JSONDecodeError as error:
                    stats.error(f"unreadable Jetstream frame: {error}")
                    continue
                except (MentionError, TypeError, ValueError, AttributeError) as error:
                    stats.error(f"Jetstream event refused: {error}")
                    mention = None
                time_us = event.get("time_us") if isinstance(event, dict) else None
                if isinstance(time_us, int):
                    self.time_us = max(time_us, self.time_us or 0)
                yield Event(mention, time_us if isinstance(time_us, int) else None)

    def advance(self, cursor: dict[str, Any], token: Any) -> dict[str, Any]:
        if isinstance(token, int):
            cursor["time_us"] = max(token, cursor.get("time_us") or 0)
        return cursor
