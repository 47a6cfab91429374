"""RSS 2.0 and Atom feeds, polled politely: conditional GET (ETag, If-Modified-Since), items seen once.

Each feed is fetched every `interval_s`; a 304 costs nothing. A new item becomes a mention whose id is
`rss:<hash of its guid, else its link>` and whose author is the feed's site (handle = its domain, name =
the feed's title), so journalists' outlets count like any author. The item keys already published are
kept per feed (the newest `SEEN_PER_FEED_MAX`) in the cursor, with the validators of the last response;
both are saved only after the broker acknowledged the items. A feed that fails is retried with backoff
while the others go on. XML is read through defusedxml: a feed that declares entities (the "billion
laughs" expansion bomb) or refers to external ones (XXE: local files, internal URLs) is refused with an
error saying so, never expanded or fetched; a plain `<!DOCTYPE>` is allowed (old RSS 0.91 feeds carry
one). Responses above `MAX_FEED_BYTES` are refused.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import logging
import random
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import defusedxml
import defusedxml.ElementTree
import httpx

from services.connectors.base import PUBLIC_ONLY, Backoff, ConnectorStats, Event, SourceError
from services.connectors.html_text import html_to_text
from services.delivery.guard import TargetPolicy, TargetRefused, guarded_http_client
from services.ingest.records import MAX_TEXT_CHARS, Mention, MentionError, parse_mention

log = logging.getLogger(__name__)

SEEN_PER_FEED_MAX = 2000
MAX_FEED_BYTES = 10 * 1024 * 1024
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
USER_AGENT = "Vigie/0.1 (+https://github.com/vigie; feed reader)"


@dataclass
class FeedItem:
    key: str  # guid, else link
    title: str
    link: str | None
    summary_html: str
    published: datetime | None
    author: str | None


@dataclass
class Feed:
    title: str
    site: str | None
    items: list[FeedItem] = field(default_factory=list)


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _date(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)  # RSS: RFC 822
    except (TypeError, ValueError):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))  # Atom: RFC 3339
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _atom_link(element: ET.Element) -> str | None:
    for link in element.findall(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href")
    return None


def parse_feed(body: bytes) -> Feed:
    """An RSS 2.0 or Atom document; raise `SourceError` saying what arrived otherwise."""
    try:
        root = defusedxml.ElementTree.fromstring(body)
    except ET.ParseError as error:
        raise SourceError(f"expected an RSS or Atom XML document, got unreadable XML: {error}") from None
    except defusedxml.DefusedXmlException as error:
        raise SourceError(
            "expected a feed without entity declarations or external references, got one that has them "
            f"(refused, not expanded: {error})"
        ) from None
    if root.tag == f"{ATOM}feed":
        feed = Feed(_text(root.find(f"{ATOM}title")), _atom_link(root))
        for entry in root.findall(f"{ATOM}entry"):
            link = _atom_link(entry)
            content = entry.find(f"{ATOM}content")
            summary = entry.find(f"{ATOM}summary")
            feed.items.append(
                FeedItem(
                    key=_text(entry.find(f"{ATOM}id")) or link or "",
                    title=_text(entry.find(f"{ATOM}title")),
                    link=link,
                    summary_html=_text(summary if summary is not None else content),
                    published=_date(
                        _text(entry.find(f"{ATOM}published")) or _text(entry.find(f"{ATOM}updated"))
                    ),
                    author=_text(entry.find(f"{ATOM}author/{ATOM}name")) or None,
                )
            )
        return feed
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise SourceError(f"expected <rss><channel> or an Atom <feed>, got <{root.tag}>")
    feed = Feed(_text(channel.find("title")), _text(channel.find("link")) or None)
    for item in channel.findall("item"):
        link = _text(item.find("link")) or None
        description = _text(item.find("description")) or _text(item.find(f"{CONTENT}encoded"))
        feed.items.append(
            FeedItem(
                key=_text(item.find("guid")) or link or "",
                title=_text(item.find("title")),
                link=link,
                summary_html=description,
                published=_date(_text(item.find("pubDate")) or _text(item.find(f"{DC}date"))),
                author=_text(item.find(f"{DC}creator")) or _text(item.find("author")) or None,
            )
        )
    return feed


def item_id(feed_url: str, key: str) -> str:
    """`rss:<hash>` of the guid (or link); a guid without a colon (not global) is scoped to its feed."""
    scoped = key if ":" in key else f"{feed_url}\x1f{key}"
    return "rss:" + hashlib.blake2b(scoped.encode(), digest_size=12).hexdigest()


def item_to_mention(item: FeedItem, feed: Feed, feed_url: str) -> Mention | None:
    """None for an item with neither key nor text."""
    summary, _ = html_to_text(item.summary_html)
    title, _ = html_to_text(item.title)
    text = "\n\n".join(part for part in (title, summary) if part)[:MAX_TEXT_CHARS]
    if not item.key or not text:
        return None
    domain = urlsplit(feed.site or feed_url).hostname or feed_url
    domain = domain.removeprefix("www.")
    return parse_mention(
        {
            "id": item_id(feed_url, item.key),
            "source": "rss",
            "text": text,
            "author": {
                "handle": domain,
                "id": feed.site or feed_url,
                "name": feed.title or None,
                "domain": domain,
            },
            "created_at": item.published.isoformat() if item.published else None,
            "url": item.link,
            "links": [item.link] if item.link else [],
        }
    )


@dataclass
class _FeedState:
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    next_poll_at: float = 0.0


class RssSource:
    kind = "rss"

    def __init__(
        self,
        urls: list[str],
        interval_s: float = 300.0,
        backoff: Backoff | None = None,
        *,
        policy: TargetPolicy | None = None,
    ) -> None:
        if not urls:
            raise ValueError("urls: expected at least one feed URL")
        self.urls = urls
        self.interval_s = interval_s
        #: Which addresses it may fetch from, redirects included (services/delivery/guard.py).
        self.policy = policy or PUBLIC_ONLY
        self.backoff = backoff or Backoff(base_s=interval_s, cap_s=max(interval_s, 3600.0))
        self.feeds = {url: _FeedState() for url in urls}
        #: Keys read per feed, oldest first (a dict keeps insertion order), bounded like the cursor's.
        self.seen: dict[str, dict[str, None]] = {url: {} for url in urls}

    def resume(self, cursor: dict[str, Any]) -> None:
        for url, saved in (cursor.get("feeds") or {}).items():
            if url in self.feeds and isinstance(saved, dict):
                self.feeds[url].etag = saved.get("etag")
                self.feeds[url].last_modified = saved.get("last_modified")
        for url, keys in (cursor.get("seen") or {}).items():
            if url in self.seen and isinstance(keys, list):
                self.seen[url] = dict.fromkeys(keys)

    async def _poll(self, http: httpx.AsyncClient, url: str, stats: ConnectorStats) -> list[Event]:
        state = self.feeds[url]
        headers = {"User-Agent": USER_AGENT}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        response = await http.get(url, headers=headers)
        if response.status_code == 304:
            return []
        if response.status_code != 200:
            raise SourceError(f"expected 200 or 304 from {url}, got {response.status_code}")
        if len(response.content) > MAX_FEED_BYTES:
            raise SourceError(
                f"{url}: expected a feed under {MAX_FEED_BYTES} bytes, got {len(response.content)}"
            )
        feed = parse_feed(response.content)
        events = []
        for item in reversed(feed.items):  # feeds list newest first
            if not item.key or item.key in self.seen[url]:
                continue
            try:
                mention = item_to_mention(item, feed, url)
            except (MentionError, ValueError) as error:
                stats.error(f"{url}: item {item.key!r} refused: {error}")
                mention = None
            self.seen[url][item.key] = None
            events.append(Event(mention, ("item", url, item.key)))
        seen = self.seen[url]
        for old in list(seen)[: max(0, len(seen) - SEEN_PER_FEED_MAX)]:
            del seen[old]
        state.etag = response.headers.get("ETag")
        state.last_modified = response.headers.get("Last-Modified")
        events.append(Event(None, ("feed", url, state.etag, state.last_modified)))
        return events

    async def read(self, stats: ConnectorStats) -> AsyncIterator[Event]:
        """Poll every feed when it is due, forever; one feed's failure delays only that feed."""
        timeout = httpx.Timeout(30.0)
        async with guarded_http_client(self.policy, timeout, follow_redirects=True) as http:
            while True:
                for url, state in self.feeds.items():
                    if time.monotonic() < state.next_poll_at:
                        continue
                    try:
                        events = await self._poll(http, url, stats)
                    except (httpx.HTTPError, OSError, SourceError, TargetRefused) as error:
                        stats.error(f"{url}: {type(error).__name__}: {error}")
                        delay_s = self.backoff.delay_s(state.failures)
                        state.failures += 1
                        state.next_poll_at = time.monotonic() + delay_s
                        log.warning("rss: %s failed (%s); next try in %.0f s", url, error, delay_s)
                        continue
                    state.failures = 0
                    state.next_poll_at = time.monotonic() + self.interval_s * random.uniform(0.9, 1.1)
                    for event in events:
                        yield event
                due = min(state.next_poll_at for state in self.feeds.values())
                await asyncio.sleep(max(0.05, due - time.monotonic()))

    def advance(self, cursor: dict[str, Any], token: Any) -> dict[str, Any]:
        if not isinstance(token, tuple):
            return cursor
        if token[0] == "item":
            _, url, key = token
            seen: list[str] = cursor.setdefault("seen", {}).setdefault(url, [])
            if key not in seen:
                seen.append(key)
                del seen[:-SEEN_PER_FEED_MAX]
        elif token[0] == "feed":
            _, url, etag, last_modified = token
            cursor.setdefault("feeds", {})[url] = {"etag": etag, "last_modified": last_modified}
        return cursor
