"""What configures a connector, from the CLI or from `VIGIE_CONNECTORS` (a JSON list of these objects).

    [{"kind": "bluesky", "track": ["acme", "#acmeair"]},
     {"kind": "mastodon", "instance": "https://mastodon.social", "timeline": "hashtag:acme", "token": "...",
      "transport": "websocket"},
     {"kind": "rss", "urls": ["https://example.com/feed.xml"], "interval_s": 300}]

`name` (default: the kind) names the connector's cursor file and its status; two connectors of one kind
need different names. The same objects configure connectors through the API (`POST /api/v1/connectors`,
services/connectors/host.py runs them).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec

from services.connectors.base import CONNECTOR_SETTING, PUBLIC_ONLY, Source
from services.delivery.guard import TargetPolicy, TargetRefused, check_url, parse_networks
from services.ingest.records import problem_of
from services.settings import Settings

Name = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class BlueskySpec(msgspec.Struct, kw_only=True, tag="bluesky", tag_field="kind", forbid_unknown_fields=True):
    name: Name | None = None
    track: list[str] = []
    url: str = "wss://jetstream2.us-east.bsky.network/subscribe"


class MastodonSpec(
    msgspec.Struct, kw_only=True, tag="mastodon", tag_field="kind", forbid_unknown_fields=True
):
    name: Name | None = None
    instance: Annotated[str, msgspec.Meta(pattern=r"^https?://")]
    timeline: str = "public"
    token: str | None = None
    track: list[str] = []
    #: Server-sent events (`/api/v1/streaming/public`...) or the websocket (`/api/v1/streaming`).
    transport: Literal["sse", "websocket"] = "sse"


class RssSpec(msgspec.Struct, kw_only=True, tag="rss", tag_field="kind", forbid_unknown_fields=True):
    name: Name | None = None
    urls: Annotated[list[Annotated[str, msgspec.Meta(pattern=r"^https?://")]], msgspec.Meta(min_length=1)]
    interval_s: Annotated[float, msgspec.Meta(gt=0)] = 300.0
    track: list[str] = []


Spec = BlueskySpec | MastodonSpec | RssSpec
KINDS = ("bluesky", "mastodon", "rss")


#: Spec fields whose values are secrets: shown as SECRET_SHOWN by `redacted`.
SECRET_FIELDS = ("token",)
SECRET_SHOWN = "***"


class SpecError(ValueError):
    """A spec that does not validate; `field` is its path (`urls[0]`, or `connectors[2].urls[0]`)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def spec_name(spec: Spec) -> str:
    return spec.name or type(spec).__struct_config__.tag  # type: ignore[return-value]


def _located(where: str, field: str) -> str:
    return f"{where}.{field}" if where else field


def parse_spec(obj: Any, where: str = "connector") -> Spec:
    """A validated spec; raises SpecError naming the field (prefixed by `where` unless it is empty)."""
    if not isinstance(obj, dict):
        raise SpecError(where or "body", f"expected a JSON object, got {type(obj).__name__}")
    try:
        spec: Spec = msgspec.convert(obj, Spec)  # type: ignore[arg-type]
    except msgspec.ValidationError as error:
        problem = problem_of(error)
        field = "" if problem.field == "mention" else problem.field
        if problem.reason.startswith("Object contains unknown field `"):
            field = _located(field, problem.reason.split("`")[1]) if field else problem.reason.split("`")[1]
        reason = problem.reason
        if field in ("", "kind") and reason.startswith("Invalid value"):
            reason = f"expected one of {', '.join(KINDS)}, got {obj.get('kind')!r}"
        raise SpecError(_located(where, field or "kind"), reason) from None
    if isinstance(spec, MastodonSpec) and not re.fullmatch(r"public|local|hashtag:#?\w+", spec.timeline):
        reason = f"expected public, local or hashtag:TAG, got {spec.timeline!r}"
        raise SpecError(_located(where, "timeline"), reason)
    return spec


def redacted(spec: Spec) -> dict[str, Any]:
    """The spec as JSON-ready builtins with its secrets hidden (what the API shows)."""
    shown: dict[str, Any] = msgspec.to_builtins(spec)
    shown["name"] = spec_name(spec)
    for field in SECRET_FIELDS:
        if shown.get(field):
            shown[field] = SECRET_SHOWN
    return shown


def parse_specs(items: list[Any]) -> list[Spec]:
    """Every spec, validated; names must be unique (each has its own cursor)."""
    specs = [parse_spec(item, f"connectors[{index}]") for index, item in enumerate(items)]
    names = [spec_name(spec) for spec in specs]
    if duplicates := sorted({name for name in names if names.count(name) > 1}):
        raise SpecError("connectors", f"expected unique names, got {', '.join(duplicates)} more than once")
    return specs


def configured_spec(items: list[Any], name: str) -> Any:
    """The raw spec named `name` among the configured ones (`vigie run` starts each by name, so secrets
    such as tokens travel in the environment, not on command lines that `ps` shows)."""
    for spec in parse_specs(items):
        if spec_name(spec) == name:
            return msgspec.to_builtins(spec)
    raise SpecError(
        "connectors", f"expected one named {name!r}, got {[spec_name(s) for s in parse_specs(items)]}"
    )


def connector_policy(settings: Settings) -> TargetPolicy:
    """Which addresses connectors may reach (services/delivery/guard.py), from the settings."""
    return TargetPolicy(
        allow_private=settings.connector_allow_private_targets,
        allowed_networks=parse_networks(settings.connector_allowed_networks, "connector_allowed_networks"),
        setting=CONNECTOR_SETTING,
    )


def target_urls(spec: Spec) -> list[tuple[str, str]]:
    """(field, URL) of every address the connector will call out to."""
    if isinstance(spec, BlueskySpec):
        return [("url", spec.url)]
    if isinstance(spec, MastodonSpec):
        return [("instance", spec.instance)]
    return [(f"urls[{index}]", url) for index, url in enumerate(spec.urls)]


async def check_targets(spec: Spec, policy: TargetPolicy) -> None:
    """Refuse a spec that points at an address the policy forbids (SpecError naming the field). A host
    that does not resolve now is accepted: every connection is checked again, and it may resolve later."""
    for field, url in target_urls(spec):
        try:
            await check_url(url, policy)
        except TargetRefused as error:
            if "does not resolve" not in str(error):
                raise SpecError(field, str(error)) from None


def build_source(spec: Spec, policy: TargetPolicy = PUBLIC_ONLY) -> Source:
    if isinstance(spec, BlueskySpec):
        from services.connectors.bluesky import JetstreamSource

        return JetstreamSource(spec.url, policy=policy)
    if isinstance(spec, MastodonSpec):
        from services.connectors.mastodon import MastodonSource

        return MastodonSource(spec.instance, spec.timeline, spec.token, spec.transport, policy=policy)
    from services.connectors.rss import RssSource

    return RssSource(spec.urls, spec.interval_s, policy=policy)


def encode_spec(spec: Spec) -> str:
    return msgspec.json.encode(spec).decode()


def decode_spec(body: str | bytes) -> Spec:
    """A spec stored or sent by `encode_spec`; raises SpecError when it no longer validates."""
    try:
        obj = msgspec.json.decode(body)
    except msgspec.DecodeError as error:
        raise SpecError("connector", f"expected a spec as JSON, got unreadable JSON: {error}") from None
    return parse_spec(obj, "")
