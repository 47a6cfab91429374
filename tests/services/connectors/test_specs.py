"""Connector specs (CLI and VIGIE_CONNECTORS) and the roles `vigie run` starts for them."""

from __future__ import annotations

from typing import Any

import pytest

from services.connectors.mastodon import MastodonSource
from services.connectors.specs import (
    MastodonSpec,
    SpecError,
    build_source,
    configured_spec,
    decode_spec,
    encode_spec,
    parse_spec,
    parse_specs,
    redacted,
)
from services.runtime.supervisor import connector_roles
from services.settings import Settings


def test_connector_specs_are_validated_with_the_field_named() -> None:
    specs = parse_specs(
        [{"kind": "rss", "urls": ["https://a.example/feed"]}, {"kind": "bluesky", "track": ["x"]}]
    )
    assert [type(spec).__name__ for spec in specs] == ["RssSpec", "BlueskySpec"]
    with pytest.raises(SpecError, match=r"connectors\[0\]\.urls"):
        parse_specs([{"kind": "rss", "urls": []}])
    with pytest.raises(SpecError, match="timeline"):
        parse_specs([{"kind": "mastodon", "instance": "https://m.example", "timeline": "home"}])
    with pytest.raises(SpecError, match="unique names"):
        parse_specs([{"kind": "bluesky"}, {"kind": "bluesky"}])


def test_vigie_run_starts_one_role_per_configured_connector_without_secrets_on_its_command_line() -> None:
    settings = Settings(
        connectors=[
            {"kind": "rss", "urls": ["https://a.example/feed"], "name": "news"},
            {"kind": "mastodon", "instance": "https://m.example", "token": "s3cret"},
        ]
    )
    roles = connector_roles(settings)
    assert [role.name for role in roles] == ["connector news", "connector mastodon"]
    assert [role.argv[-3:] for role in roles] == [
        ["connect", "configured", "news"],
        ["connect", "configured", "mastodon"],
    ]
    assert not any("s3cret" in arg for role in roles for arg in role.argv)
    assert configured_spec(settings.connectors, "mastodon")["token"] == "s3cret"
    with pytest.raises(SpecError, match="news"):
        configured_spec(settings.connectors, "missing")


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"track": ["acme"]}, "kind", "missing required field `kind`"),
        ({"kind": "twitter"}, "kind", "expected one of bluesky, mastodon, rss, got 'twitter'"),
        ({"kind": "rss", "urls": ["ftp://a.example/feed"]}, "urls[0]", "https?"),
        ({"kind": "bluesky", "tracks": ["acme"]}, "tracks", "unknown field"),
        ({"kind": "mastodon", "instance": "https://m.example", "transport": "grpc"}, "transport", "grpc"),
        ({"kind": "bluesky", "name": "no spaces please"}, "name", "regex"),
    ],
)
def test_a_spec_sent_to_the_api_is_refused_naming_the_field(
    body: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(SpecError) as refused:
        parse_spec(body, "")
    assert refused.value.field == field
    assert reason in refused.value.reason


def test_mastodon_takes_the_websocket_transport_and_its_token_is_never_shown() -> None:
    spec = parse_spec(
        {"kind": "mastodon", "instance": "https://m.example", "token": "s3cret", "transport": "websocket"}
    )
    source = build_source(spec)
    assert isinstance(source, MastodonSource) and source.transport == "websocket"
    assert source.headers == {"Authorization": "Bearer s3cret"}
    shown = redacted(spec)
    assert shown["token"] == "***" and shown["name"] == "mastodon" and "s3cret" not in str(shown)
    assert decode_spec(encode_spec(spec)) == spec
    default = parse_spec({"kind": "mastodon", "instance": "https://m.example"})
    assert isinstance(default, MastodonSpec) and default.transport == "sse"
