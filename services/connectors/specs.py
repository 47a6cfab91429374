"""What configures a connector, from the CLI or from `VIGIE_CONNECTORS` (a JSON list of these objects).

    [{"kind": "bluesky", "track": ["acme", "#acmeair"]},
     {"kind": "mastodon", "instance": "https://mastodon.social", "timeline": "hashtag:acme", "token": "..."},
     {"kind": "rss", "urls": ["https://example.com/feed.xml"], "interval_s": 300}]

`name` (default: the kind) names the connector's cursor file and its status; two connectors of one kind
need different names.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

from services.connectors.base import Source
from services.records import problem_of

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


class RssSpec(msgspec.Struct, kw_only=True, tag="rss", tag_field="kind", forbid_unknown_fields=True):
    name: Name | None = None
    urls: Annotated[list[Annotated[str, msgspec.Meta(pattern=r"^https?://")]], msgspec.Meta(min_length=1)]
    interval_s: Annotated[float, msgspec.Meta(gt=0)] = 300.0
    track: list[str] = []


Spec = BlueskySpec | MastodonSpec | RssSpec


class SpecError(ValueError):
    pass


def spec_name(spec: Spec) -> str:
    return spec.name or type(spec).__struct_config__.tag  # type: ignore[return-value]


def parse_spec(obj: Any, where: str = "connector") -> Spec:
    try:
        spec: Spec = msgspec.convert(obj, Spec)  # type: ignore[arg-type]
    except msgspec.ValidationError as error:
        problem = problem_of(error)
        raise SpecError(f"{where}.{problem.field}: {problem.reason}") from None
    if isinstance(spec, MastodonSpec) and not re.fullmatch(r"public|local|hashtag:#?\w+", spec.timeline):
        raise SpecError(f"{where}.timeline: expected public, local or hashtag:TAG, got {spec.timeline!r}")
    return spec


def parse_specs(items: list[Any]) -> list[Spec]:
    """Every spec, validated; names must be unique (each has its own cursor)."""
    specs = [parse_spec(item, f"connectors[{index}]") for index, item in enumerate(items)]
    names = [spec_name(spec) for spec in specs]
    if duplicates := sorted({name for name in names if names.count(name) > 1}):
        raise SpecError(f"connectors: expected unique names, got {', '.join(duplicates)} more than once")
    return specs


def configured_spec(items: list[Any], name: str) -> Any:
    """The raw spec named `name` among the configured ones (`vigie run` starts each by name, so secrets
    such as tokens travel in the environment, not on command lines that `ps` shows)."""
    for spec in parse_specs(items):
        if spec_name(spec) == name:
            return msgspec.to_builtins(spec)
    raise SpecError(
        f"connectors: expected one named {name!r}, got {[spec_name(s) for s in parse_specs(items)]}"
    )


def build_source(spec: Spec) -> Source:
    if isinstance(spec, BlueskySpec):
        from services.connectors.bluesky import JetstreamSource

        return JetstreamSource(spec.url)
    if isinstance(spec, MastodonSpec):
        from services.connectors.mastodon import MastodonSource

        return MastodonSource(spec.instance, spec.timeline, spec.token)
    from services.connectors.rss import RssSource

    return RssSource(spec.urls, spec.interval_s)


def encode_spec(spec: Spec) -> str:
    return msgspec.json.encode(spec).decode()
