from __future__ import annotations

import base64

import msgspec
import pytest

from services.delivery.endpoints import (
    PAGERDUTY_EVENTS_URL,
    Endpoint,
    decode_endpoint,
    endpoint_from_dict,
    masked_secret,
    masked_url,
    new_webhook_secret,
)


def test_a_webhook_gets_a_standard_webhooks_secret_when_none_is_given() -> None:
    endpoint = endpoint_from_dict({"kind": "webhook", "url": "https://hooks.example.com/vigie"})
    assert endpoint.secret is not None and endpoint.secret.startswith("whsec_")
    assert len(base64.b64decode(endpoint.secret.removeprefix("whsec_"))) == 32
    assert endpoint.id.startswith("ep_") and endpoint.enabled


def test_new_secrets_differ() -> None:
    assert new_webhook_secret() != new_webhook_secret()


def test_an_endpoint_survives_a_round_trip_through_json() -> None:
    endpoint = endpoint_from_dict({"kind": "webhook", "url": "https://hooks.example.com/a", "name": "ops"})
    assert decode_endpoint(msgspec.json.encode(endpoint)) == endpoint


def test_pagerduty_defaults_to_the_events_api_v2() -> None:
    endpoint = endpoint_from_dict({"kind": "pagerduty", "routing_key": "R0UTINGKEY"})
    assert endpoint.url == PAGERDUTY_EVENTS_URL


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"kind": "webhook", "url": "ftp://hooks.example.com/x"}, "must start with http:// or https://"),
        ({"kind": "webhook"}, "`url` is required"),
        ({"kind": "slack", "url": "https:///no-host"}, "`url` has no host"),
        ({"kind": "webhook", "url": "https://u:p@hooks.example.com/"}, "credentials"),
        (
            {"kind": "webhook", "url": "https://h.example.com/", "secret": "s3cret"},
            "must start with 'whsec_'",
        ),
        ({"kind": "webhook", "url": "https://h.example.com/", "secret": "whsec_!!"}, "must be base64"),
        ({"kind": "webhook", "url": "https://h.example.com/", "secret": "whsec_c2hvcnQ="}, "24 to 64 bytes"),
        ({"kind": "pagerduty"}, "`routing_key` is required"),
        ({"kind": "pagerduty", "routing_key": "  "}, "`routing_key` is required"),
        ({"kind": "email"}, "`address` is required"),
        ({"kind": "email", "address": "oncall at example.com"}, "`address` must be one e-mail address"),
        ({"kind": "email", "address": "A <a@example.com>"}, "`address` must be one e-mail address"),
        ({"kind": "sms", "address": "+33600000000"}, "$.kind"),
        ({"kind": "webhook", "url": "https://h.example.com/", "id": "Bad Id"}, "$.id"),
    ],
)
def test_bad_endpoints_are_refused_naming_the_field(fields: dict[str, object], named: str) -> None:
    with pytest.raises(msgspec.ValidationError) as refused:
        endpoint_from_dict(fields)
    assert named in str(refused.value)


def test_constructing_directly_validates_too() -> None:
    with pytest.raises(ValueError, match="`address` is required"):
        Endpoint(kind="email")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T0/B0/abc", "https://hooks.slack.com/…"),
        ("https://discord.com/api/webhooks/1/tok", "https://discord.com/…"),
        ("http://127.0.0.1:8080/?token=abc", "http://127.0.0.1:8080/…"),
        ("https://hooks.example.com", "https://hooks.example.com/"),
        ("https://events.pagerduty.com/v2/enqueue", "https://events.pagerduty.com/v2/enqueue"),  # public
    ],
)
def test_urls_are_shown_by_their_origin(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_secrets_show_a_few_characters_and_short_ones_none() -> None:
    assert masked_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_") == "whsec_MfKQ…"
    assert masked_secret("0123456789abcdef0123456789abcdef") == "0123…"
    assert masked_secret("R0UTE") == "…"
