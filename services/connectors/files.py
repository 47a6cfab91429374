"""File replay: JSON lines of mentions, CSV, and Twitter API v1.1 / v2 JSON exports, into the raw topic.

`vigie replay FILE [--format jsonl|csv|twitter] [--rate N | --event-time [--speed X]]`: as fast as the
broker takes them, at N mentions per second, or at the pace of the mentions' own timestamps (sped up X
times; the file should be in time order, earlier mentions found later go out at once). Every bad line or
record is reported with its position and the field at fault; the good ones go on.

Formats (detected from the extension when not given: .csv, .json is Twitter, anything else JSON lines):
- jsonl: one Vigie mention (records.Mention v1) per line.
- csv: a header row naming mention fields, nested ones with a dot (`author.handle`, `author.followers`,
  `engagement.likes`); `author` alone is the handle; `hashtags`, `mentions`, `links` are space-separated.
- twitter: a v2 response or a list/JSON lines of them (`{"data": [...], "includes": {"users": [...]}}`),
  single v2 tweets, v1.1 statuses (`id_str`, `user`, `full_text`/`text`, `entities`), a list or JSON lines
  of them, or a v1.1 search answer `{"statuses": [...]}`. Retweets are skipped (they repeat a tweet).
"""

from __future__ import annotations

import asyncio
import csv
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import orjson

from services.ingest.records import Mention, MentionError, parse_mention
from services.runtime.hold import IngestHold
from services.runtime.kafka import RAW, MentionPublisher, make_producer, wait_for_broker
from services.settings import Settings

log = logging.getLogger(__name__)

Format = Literal["jsonl", "csv", "twitter"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "twitter")
TWITTER_V1_TIME = "%a %b %d %H:%M:%S %z %Y"


def detect_format(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".json":
        return "twitter"
    return "jsonl"


def _located(where: str, error: MentionError) -> MentionError:
    return MentionError(f"{where}: {error.field}", error.reason)


# -- JSON lines ----------------------------------------------------------------------------------------


def read_json_lines(path: Path) -> Iterator[Mention | MentionError]:
    """Each line of a JSON-lines file as a mention, or the error that names its line and field."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield parse_mention(orjson.loads(line))
            except orjson.JSONDecodeError as error:
                yield MentionError(f"line {number}", f"not valid JSON: {error}")
            except MentionError as error:
                yield _located(f"line {number}", error)


# -- CSV -----------------------------------------------------------------------------------------------

_INT_FIELDS = {"author.followers", "engagement.likes", "engagement.reposts", "engagement.replies"}
_LIST_FIELDS = {"hashtags", "mentions", "links"}


def csv_row_to_object(row: dict[str, str]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for column, cell in row.items():
        if column is None or cell is None or cell == "":
            continue
        name = column.strip()
        value: Any = cell
        if name == "author":
            name = "author.handle"
        if name in _INT_FIELDS:
            try:
                value = int(cell)
            except ValueError:
                raise MentionError(name, f"expected a whole number, got {cell!r}") from None
        elif name in _LIST_FIELDS:
            value = cell.split()
        target = obj
        *parents, leaf = name.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return obj


def read_csv(path: Path) -> Iterator[Mention | MentionError]:
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        for row in reader:
            where = f"line {reader.line_num}"
            try:
                yield parse_mention(csv_row_to_object(row))
            except MentionError as error:
                yield _located(where, error)


# -- Twitter exports -----------------------------------------------------------------------------------


def _tweet_url(username: str, tweet_id: str) -> str:
    return f"https://twitter.com/{username}/status/{tweet_id}"


def tweet_v2_to_mention(tweet: dict[str, Any], users: dict[str, dict[str, Any]]) -> Mention | None:
    """One API v2 tweet (with the `includes.users` of its response); None for a retweet."""
    references = {ref.get("type"): ref.get("id") for ref in tweet.get("referenced_tweets") or ()}
    if "retweeted" in references:
        return None
    tweet_id = str(tweet.get("id") or "")
    author_id = str(tweet.get("author_id") or "")
    user = users.get(author_id, {})
    username = str(user.get("username") or author_id)
    if not tweet_id or not username:
        raise MentionError("id", "expected a tweet with id and author_id")
    note = tweet.get("note_tweet")
    text = note.get("text") if isinstance(note, dict) and note.get("text") else tweet.get("text")
    entities = tweet.get("entities") or {}
    metrics = tweet.get("public_metrics") or {}
    user_metrics = user.get("public_metrics") or {}
    urls = [u.get("expanded_url") or u.get("url") for u in entities.get("urls") or ()]
    return parse_mention(
        {
            "id": f"twitter:{tweet_id}",
            "source": "twitter",
            "text": text,
            "author": {
                "handle": username,
                "id": author_id or username,
                "name": user.get("name"),
                "followers": int(user_metrics.get("followers_count") or 0),
                "bio": user.get("description") or None,
            },
            "created_at": tweet.get("created_at"),
            "lang": tweet.get("lang"),
            "url": _tweet_url(username, tweet_id),
            "engagement": {
                "likes": int(metrics.get("like_count") or 0),
                "reposts": int(metrics.get("retweet_count") or 0) + int(metrics.get("quote_count") or 0),
                "replies": int(metrics.get("reply_count") or 0),
            },
            "hashtags": [h["tag"] for h in entities.get("hashtags") or () if h.get("tag")] or None,
            "mentions": [m["username"].lower() for m in entities.get("mentions") or () if m.get("username")]
            or None,
            "links": [url for url in urls if url] or None,
            "reply_to": f"twitter:{references['replied_to']}" if references.get("replied_to") else None,
        }
    )


def tweet_v1_to_mention(status: dict[str, Any]) -> Mention | None:
    """One API v1.1 status (extended or not); None for a retweet."""
    if status.get("retweeted_status"):
        return None
    user = status.get("user")
    if not isinstance(user, dict):
        raise MentionError("user", "expected the status's user object")
    tweet_id = str(status.get("id_str") or status.get("id") or "")
    username = str(user.get("screen_name") or "")
    extended: dict[str, Any] = status.get("extended_tweet") or {}
    text = extended.get("full_text") or status.get("full_text") or status.get("text")
    entities = extended.get("entities") or status.get("entities") or {}
    created = status.get("created_at")
    if isinstance(created, str):
        try:
            created = datetime.strptime(created, TWITTER_V1_TIME).isoformat()
        except ValueError:
            raise MentionError(
                "created_at", f"expected 'Wed Oct 10 20:19:24 +0000 2018', got {created!r}"
            ) from None
    reply_to = status.get("in_reply_to_status_id_str")
    urls = [u.get("expanded_url") or u.get("url") for u in entities.get("urls") or ()]
    return parse_mention(
        {
            "id": f"twitter:{tweet_id}",
            "source": "twitter",
            "text": text,
            "author": {
                "handle": username,
                "id": str(user.get("id_str") or username),
                "name": user.get("name"),
                "followers": int(user.get("followers_count") or 0),
                "bio": user.get("description") or None,
            },
            "created_at": created,
            "lang": status.get("lang") if status.get("lang") not in (None, "und") else None,
            "url": _tweet_url(username, tweet_id) if username and tweet_id else None,
            "engagement": {
                "likes": int(status.get("favorite_count") or 0),
                "reposts": int(status.get("retweet_count") or 0) + int(status.get("quote_count") or 0),
                "replies": int(status.get("reply_count") or 0),
            },
            "hashtags": [h["text"] for h in entities.get("hashtags") or () if h.get("text")] or None,
            "mentions": [
                m["screen_name"].lower() for m in entities.get("user_mentions") or () if m.get("screen_name")
            ]
            or None,
            "links": [url for url in urls if url] or None,
            "reply_to": f"twitter:{reply_to}" if reply_to else None,
        }
    )


def twitter_objects(obj: Any) -> Iterator[tuple[dict[str, Any], dict[str, dict[str, Any]] | None]]:
    """(tweet, users of its v2 response, or None for a v1.1 status) for every tweet in a decoded export."""
    if isinstance(obj, list):
        for element in obj:
            yield from twitter_objects(element)
    elif isinstance(obj, dict) and isinstance(obj.get("statuses"), list):
        yield from twitter_objects(obj["statuses"])
    elif isinstance(obj, dict) and "data" in obj:
        users = {str(u.get("id")): u for u in (obj.get("includes") or {}).get("users") or ()}
        data = obj["data"]
        for tweet in data if isinstance(data, list) else [data]:
            yield tweet, users
    elif isinstance(obj, dict) and "user" in obj:
        yield obj, None
    elif isinstance(obj, dict):
        yield obj, {}
    else:
        raise MentionError("tweet", f"expected a tweet object, got {type(obj).__name__}")


def _twitter_documents(path: Path) -> Iterator[tuple[str, Any]]:
    raw = path.read_bytes()
    try:
        yield "file", orjson.loads(raw)
        return
    except orjson.JSONDecodeError:
        pass
    for number, line in enumerate(raw.splitlines(), start=1):
        if line.strip():
            try:
                yield f"line {number}", orjson.loads(line)
            except orjson.JSONDecodeError as error:
                yield f"line {number}", MentionError("json", f"not valid JSON: {error}")


def read_twitter(path: Path) -> Iterator[Mention | MentionError]:
    for where, document in _twitter_documents(path):
        if isinstance(document, MentionError):
            yield _located(where, document)
            continue
        try:
            tweets = list(twitter_objects(document))
        except MentionError as error:
            yield _located(where, error)
            continue
        for index, (tweet, users) in enumerate(tweets):
            try:
                mention = tweet_v1_to_mention(tweet) if users is None else tweet_v2_to_mention(tweet, users)
            except MentionError as error:
                yield _located(f"{where}, tweet {index}", error)
                continue
            except (TypeError, ValueError, AttributeError) as error:
                yield MentionError(f"{where}, tweet {index}", f"unexpected shape: {error}")
                continue
            if mention is not None:
                yield mention


READERS = {"jsonl": read_json_lines, "csv": read_csv, "twitter": read_twitter}


def read_file(path: Path, fmt: Format | None = None) -> Iterator[Mention | MentionError]:
    return READERS[fmt or detect_format(path)](path)


# -- replay --------------------------------------------------------------------------------------------


class Pace:
    """When each mention is due: at once, at a rate, or at its event time (sped up)."""

    def __init__(self, rate_per_s: float | None = None, event_time: bool = False, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed: expected a positive factor, got {speed}")
        self.rate_per_s = rate_per_s
        self.event_time = event_time
        self.speed = speed
        self._started = time.monotonic()
        self._first_ts: float | None = None
        self._count = 0

    def due_in_s(self, mention: Mention) -> float:
        """Seconds to wait before this mention may go (<= 0: now)."""
        self._count += 1
        elapsed_s = time.monotonic() - self._started
        if self.event_time:
            if self._first_ts is None:
                self._first_ts = mention.created_ts
            return (mention.created_ts - self._first_ts) / self.speed - elapsed_s
        if self.rate_per_s:
            return (self._count - 1) / self.rate_per_s - elapsed_s
        return 0.0


async def replay(
    mentions: Iterable[Mention | MentionError], publisher: MentionPublisher, pace: Pace, batch_max: int
) -> tuple[int, int]:
    """Publish in batches, holding each mention until it is due; (published, refused)."""
    published = refused = 0
    batch: list[Mention] = []
    for item in mentions:
        if isinstance(item, MentionError):
            refused += 1
            print(f"refused {item.field}: {item.reason}", file=sys.stderr)
            continue
        wait_s = pace.due_in_s(item)
        if wait_s > 0.02 or len(batch) >= batch_max:
            published += await publisher.publish(batch)
            batch = []
            if wait_s > 0:
                await asyncio.sleep(wait_s)
        batch.append(item)
    published += await publisher.publish(batch)
    return published, refused


async def run_replay(
    settings: Settings,
    path: Path,
    rate_per_s: float | None = None,
    *,
    fmt: Format | None = None,
    event_time: bool = False,
    speed: float = 1.0,
) -> tuple[int, int]:
    """Publish a file; return (published, refused). Each refused record is reported on stderr."""
    mentions = read_file(path, fmt)
    await wait_for_broker(settings.bootstrap, timeout_s=60)
    producer = make_producer(settings)
    await producer.start()
    try:
        publisher = MentionPublisher(
            producer, settings.topic(RAW), settings.ingest_batch_max, IngestHold(settings.data_dir)
        )
        pace = Pace(rate_per_s, event_time, speed)
        return await replay(mentions, publisher, pace, settings.ingest_batch_max)
    finally:
        await producer.stop()
