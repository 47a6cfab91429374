"""The mention record, version 1, and how raw input becomes one.

A mention arrives as JSON (HTTP ingest, Kafka producers, connectors, the demo). `parse_mention` turns one
decoded JSON object into a validated `Mention` or raises `MentionError` naming the field. Missing ids are
derived from the content so that a client retrying a request cannot count a mention twice; hashtags,
@mentions and links are extracted from the text when the producer did not supply them.

On `vigie.mentions.raw` a Kafka record holds either one mention object or a batch envelope
`{"v": 1, "mentions": [...]}`; `encode_envelope` writes the latter. `decode_raw_mentions` decodes an envelope
straight into `Mention`s (msgspec, no intermediate dicts) when all its mentions are valid, which is what
Vigie's own producers write; any other record takes the general path (`decode_raw_record`, then
`parse_mention` of each object), so a bad mention is refused with the same reason either way.

Every field is bounded (the `MAX_*` figures below), so that the largest mention, enriched, still fits one
Kafka record of the producers' default maximum (1,000,000 bytes) with room to spare: a field over its bound
is refused naming it, except the text, which is cut to `MAX_TEXT_CHARS` (a long post or article is still
counted, its url leads to the whole of it). Lists extracted from the text keep their first items within the
bounds; lists a producer supplies must be within them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
import orjson

from services.understanding.text import extract_hashtags, extract_links, extract_mentions

RECORD_VERSION = 1
#: Longer texts are cut to this many characters (ending with "…"); matching and scoring read no further.
MAX_TEXT_CHARS = 5_000
MAX_ID_CHARS = 256  # id, reply_to, author.id, author.handle
MAX_SOURCE_CHARS = 64
MAX_LANG_CHARS = 35  # the longest BCP 47 tag worth keeping
MAX_URL_CHARS = 2048  # url and each link
MAX_NAME_CHARS = 256  # author.name, author.domain
MAX_BIO_CHARS = 1024
MAX_TAG_CHARS = 140  # one hashtag or @handle of the lists
MAX_LIST_ITEMS = 50  # hashtags, mentions
MAX_LINKS = 20
#: Followers, likes, reposts, replies: more than anyone has; beyond is an error, not a star.
MAX_COUNT = 10_000_000_000
#: A raw Kafka record larger than this, or carrying more mentions, is dead-lettered whole, unread: one
#: hostile record must not stall the enrich agent. Our own producers stay within both (their
#: max_request_size is 8 MiB, services/runtime/kafka.py; batches hold at most `ingest_batch_max`, <= 100,000).
MAX_RAW_RECORD_BYTES = 8 * 1024 * 1024
MAX_RAW_RECORD_MENTIONS = 100_000
#: A producer's clock may run a little ahead; further than this, the time is clamped to arrival time.
MAX_FUTURE_SKEW_S = 60.0

Handle = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_CHARS)]
Id = Annotated[str, msgspec.Meta(max_length=MAX_ID_CHARS)]
Source = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SOURCE_CHARS)]
Lang = Annotated[str, msgspec.Meta(max_length=MAX_LANG_CHARS)]
Name = Annotated[str, msgspec.Meta(max_length=MAX_NAME_CHARS)]
Bio = Annotated[str, msgspec.Meta(max_length=MAX_BIO_CHARS)]
Url = Annotated[str, msgspec.Meta(max_length=MAX_URL_CHARS)]
Tag = Annotated[str, msgspec.Meta(max_length=MAX_TAG_CHARS)]
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]


# Mentions, authors and engagements are made by the thousand a second and hold only text, numbers, times
# and lists of text: never part of a reference cycle, so the garbage collector need not track them
# (`gc=False`: collections triggered by ingest became ~70 times rarer in the api).
class Author(msgspec.Struct, kw_only=True, gc=False):
    handle: Handle
    id: Id = ""
    name: Name | None = None
    followers: Count = 0
    bio: Bio | None = None
    domain: Name | None = None


class Engagement(msgspec.Struct, kw_only=True, gc=False):
    likes: Count = 0
    reposts: Count = 0
    replies: Count = 0

    @property
    def total(self) -> int:
        return self.likes + self.reposts + self.replies


class Mention(msgspec.Struct, kw_only=True, gc=False):
    """One post about something, as Vigie stores and passes it on (wire format version 1)."""

    v: int = RECORD_VERSION
    id: Id = ""
    source: Source = "api"
    text: Annotated[str, msgspec.Meta(min_length=1)]  # cut to MAX_TEXT_CHARS by parse_mention
    author: Author
    created_at: datetime | None = None
    lang: Lang | None = None
    url: Url | None = None
    engagement: Engagement = msgspec.field(default_factory=Engagement)
    hashtags: Annotated[list[Tag], msgspec.Meta(max_length=MAX_LIST_ITEMS)] | None = None
    mentions: Annotated[list[Tag], msgspec.Meta(max_length=MAX_LIST_ITEMS)] | None = None
    links: Annotated[list[Url], msgspec.Meta(max_length=MAX_LINKS)] | None = None
    reply_to: Id | None = None

    @property
    def created_ts(self) -> float:
        """Event time in seconds since the epoch (set for every parsed mention)."""
        assert self.created_at is not None
        return self.created_at.timestamp()


class MentionError(ValueError):
    """A mention that cannot be accepted; `field` names where the problem is (a JSON path)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def __reduce__(self) -> tuple[type[MentionError], tuple[str, str]]:
        return type(self), (self.field, self.reason)  # raised in a parsing process, read in the api


def problem_of(error: msgspec.ValidationError) -> MentionError:
    """Turn msgspec's message ("Expected `int`, got `str` - at `$.author.followers`") into field + reason."""
    message, _, at = str(error).partition(" - at `")
    path = at.rstrip("`") or "$"
    if message.startswith("Object missing required field `"):
        path = f"{path}.{message.split('`')[1]}"
    field = path.removeprefix("$").removeprefix(".") or "mention"
    return MentionError(field, message)


def derive_id(source: str, author_handle: str, created_at: datetime | None, text: str) -> str:
    """A stable id for a mention whose producer gave none: the same content always gets the same id."""
    stamp = created_at.isoformat() if created_at else ""
    digest = hashlib.blake2b(
        "\x1f".join((source, author_handle, stamp, text)).encode(), digest_size=12
    ).hexdigest()
    return f"{source}:{digest}"


_MAX_FUTURE_SKEW = timedelta(seconds=MAX_FUTURE_SKEW_S)


def parse_mention(obj: Any, *, received_at: datetime | None = None) -> Mention:
    """Validate one decoded JSON value and fill what can be derived; raise `MentionError` otherwise.
    `obj` may also be a `Mention` decoded by `decode_raw_mentions`: it is completed in place."""
    if isinstance(obj, Mention):
        mention = obj
    elif not isinstance(obj, dict):
        raise MentionError("mention", f"expected a JSON object, got {type(obj).__name__}")
    else:
        try:
            mention = msgspec.convert(obj, Mention)
        except msgspec.ValidationError as error:
            raise problem_of(error) from None
    _check(mention)
    now = received_at or datetime.now(UTC)
    given = mention.created_at
    if given is None:
        created = now
    elif given.tzinfo is None:
        created = given.replace(tzinfo=UTC)
    else:
        created = given
    if created - now > _MAX_FUTURE_SKEW:
        created = now
    mention.created_at = created
    stamped = created if given is not None else None
    author = mention.author
    if not author.id:
        author.id = author.handle
    if not mention.id:
        mention.id = derive_id(mention.source, author.handle, stamped, mention.text)
    if len(mention.text) > MAX_TEXT_CHARS:
        mention.text = cut_text(mention.text)
    hashtags = mention.hashtags
    if hashtags is None:
        mention.hashtags = _first(extract_hashtags(mention.text), MAX_LIST_ITEMS, MAX_TAG_CHARS)
    elif hashtags:
        tags = [tag.lstrip("#").lower() for tag in hashtags if tag.strip("#")]
        mention.hashtags = _first(tags, MAX_LIST_ITEMS, MAX_TAG_CHARS)  # lower() can lengthen one
    if mention.mentions is None:
        mention.mentions = _first(
            extract_mentions(mention.text, mention.source), MAX_LIST_ITEMS, MAX_TAG_CHARS
        )
    if mention.links is None:
        mention.links = _first(extract_links(mention.text), MAX_LINKS, MAX_URL_CHARS)
    return mention


def _check(mention: Mention) -> None:
    """What the types do not say: the version, and a text that is not blank."""
    if mention.v != RECORD_VERSION:
        raise MentionError("v", f"unsupported record version {mention.v}, expected {RECORD_VERSION}")
    if not mention.text.strip():
        raise MentionError("text", "expected non-blank text")


def cut_text(text: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """The text, or its first `max_chars` - 1 characters (cut at a space when one is near) and "…"."""
    if len(text) <= max_chars:
        return text
    head = text[: max_chars - 1]
    space = head.rfind(" ", max_chars - 200)
    return (head[:space] if space > 0 else head).rstrip() + "…"


def _first(items: list[str], count: int, max_chars: int) -> list[str]:
    """The first `count` items of an extracted list that are at most `max_chars` long."""
    if not items:
        return items
    return [item for item in items if len(item) <= max_chars][:count]


_encoder = msgspec.json.Encoder()


def mention_to_builtins(mention: Mention) -> dict[str, Any]:
    result: dict[str, Any] = msgspec.to_builtins(mention)
    return result


#: A batch envelope is `ENVELOPE_HEAD + mention,mention,... + ENVELOPE_TAIL` (services/ingest/packing.py
# splits).
ENVELOPE_HEAD = b'{"v":%d,"mentions":[' % RECORD_VERSION
ENVELOPE_TAIL = b"]}"


class _Batch(msgspec.Struct):
    """`encode_envelope`'s value: `ENVELOPE_HEAD`, the mentions, `ENVELOPE_TAIL` (fields in this order)."""

    v: int
    mentions: Sequence[Mention]


def encode_envelope(mentions: Sequence[Mention]) -> bytes:
    """One Kafka record value carrying a batch of mentions (one encoder call for the whole batch)."""
    return _encoder.encode(_Batch(RECORD_VERSION, mentions))


def decode_raw_record(
    value: bytes | None,
    *,
    max_bytes: int = MAX_RAW_RECORD_BYTES,
    max_mentions: int = MAX_RAW_RECORD_MENTIONS,
) -> list[Any]:
    """The mention objects of one raw Kafka record (single object or batch envelope), not yet validated.

    Raises `MentionError` when the record itself is unreadable or larger than the limits; the caller
    dead-letters it whole.
    """
    if not value:
        raise MentionError("record", "empty record value")
    if len(value) > max_bytes:
        raise MentionError(
            "record", f"expected a record of at most {max_bytes} bytes, got {len(value)} bytes"
        )
    try:
        decoded = orjson.loads(value)
    except orjson.JSONDecodeError as error:
        raise MentionError("record", f"not valid JSON: {error}") from None
    field = "record"
    if isinstance(decoded, dict) and "mentions" in decoded and "text" not in decoded:
        decoded, field = decoded["mentions"], "mentions"
        if not isinstance(decoded, list):
            raise MentionError(field, f"expected a list, got {type(decoded).__name__}")
    if not isinstance(decoded, list):
        return [decoded]
    if len(decoded) > max_mentions:
        reason = f"expected at most {max_mentions} mentions in one record, got {len(decoded)}"
        raise MentionError(field, reason)
    return decoded


class _Envelope(msgspec.Struct):
    """A batch envelope decoded straight into mentions (the envelope's `v` is not read, as elsewhere)."""

    mentions: Annotated[list[Mention], msgspec.Meta(max_length=MAX_RAW_RECORD_MENTIONS)]
    #: Set when the object is a mention whose text names other accounts (`decode_raw_record`'s rule).
    text: Any = msgspec.UNSET


_envelope_decoder = msgspec.json.Decoder(_Envelope)


def decode_raw_mentions(
    value: bytes | None,
    *,
    max_bytes: int = MAX_RAW_RECORD_BYTES,
    max_mentions: int = MAX_RAW_RECORD_MENTIONS,
) -> list[Any]:
    """`decode_raw_record`, faster for a batch envelope whose mentions are all valid: they are then decoded
    straight into `Mention`s (for `parse_mention` to complete). Any other record, a mention that breaks a
    rule included, goes the general way, whose dead letters and errors say what is wrong."""
    if value and value.startswith(ENVELOPE_HEAD) and len(value) <= max_bytes:
        try:
            envelope = _envelope_decoder.decode(value)
        except (msgspec.ValidationError, msgspec.DecodeError):
            envelope = None
        if envelope is not None and envelope.text is msgspec.UNSET:
            mentions = envelope.mentions
            if len(mentions) <= max_mentions:
                try:
                    for mention in mentions:
                        _check(mention)
                except MentionError:
                    pass
                else:
                    return mentions
    return decode_raw_record(value, max_bytes=max_bytes, max_mentions=max_mentions)
