"""Connector specs (CLI and VIGIE_CONNECTORS) and the roles `vigie run` starts for them."""

from __future__ import annotations

import pytest

from services.connectors.specs import SpecError, configured_spec, parse_specs
from services.settings import Settings
from services.supervisor import connector_roles


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
