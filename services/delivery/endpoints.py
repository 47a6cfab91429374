"""Endpoints: where alerts go (a signed webhook, a Slack incoming webhook, PagerDuty, an e-mail address).

Decoding an endpoint validates it: a bad value raises `msgspec.ValidationError` naming the field and saying
what was expected. Whether a URL's host may be reached at all is the guard's business
(services/delivery/guard.py), since it needs DNS.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

import msgspec

EndpointKind = Literal["webhook", "slack", "pagerduty", "email"]
EndpointId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]

PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SECRET_PREFIX = "whsec_"
#: The Standard Webhooks specification asks for secrets of 24 to 64 random bytes.
SECRET_MIN_BYTES, SECRET_MAX_BYTES = 24, 64
_SECRET_BYTES = 32
# One address, no display name: local part, "@", a domain with at least one dot (or "localhost").
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(localhost|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")


def new_webhook_secret() -> str:
    """A fresh Standard Webhooks secret: `whsec_` then 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def new_endpoint_id() -> str:
    return f"ep_{secrets.token_hex(6)}"


def _now() -> datetime:
    return datetime.now(UTC)


def _check_url(url: str | None, kind: str) -> None:
    if not url:
        raise ValueError(f"`url` is required for a {kind} endpoint")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"`url` must start with http:// or https://, got {url!r}")
    if not parts.hostname:
        raise ValueError(f"`url` has no host: {url!r}")
    if parts.username or parts.password:
        raise ValueError("`url` must not carry credentials (user:password@); use the endpoint's secret")


def _check_secret(secret: str) -> None:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(
            f"`secret` must start with {SECRET_PREFIX!r} (Standard Webhooks), got {secret[:8]!r}…"
        )
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ValueError(f"`secret` after {SECRET_PREFIX!r} must be base64") from None
    if not SECRET_MIN_BYTES <= len(key) <= SECRET_MAX_BYTES:
        raise ValueError(
            f"`secret` must encode {SECRET_MIN_BYTES} to {SECRET_MAX_BYTES} bytes, got {len(key)} bytes"
        )


class Endpoint(msgspec.Struct, kw_only=True):
    """One delivery target.

    webhook: `url` (signed per Standard Webhooks with `secret`, generated when absent); slack: `url` of an
    incoming webhook; pagerduty: `routing_key` (the integration key) and `url` (PagerDuty's Events API v2
    unless given); email: `address`, sent through the SMTP relay of the settings. An endpoint answering
    HTTP 410 is disabled, with the reason in `disabled_reason`.
    """

    id: EndpointId = msgspec.field(default_factory=new_endpoint_id)
    kind: EndpointKind
    name: Annotated[str, msgspec.Meta(max_length=120)] = ""
    url: Annotated[str, msgspec.Meta(max_length=2048)] | None = None
    address: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    secret: str | None = None
    routing_key: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    enabled: bool = True
    disabled_reason: str | None = None
    created_at: datetime = msgspec.field(default_factory=_now)

    def __post_init__(self) -> None:
        if self.kind == "email":
            if not self.address:
                raise ValueError("`address` is required for an email endpoint")
            if not _EMAIL.match(self.address):
                raise ValueError(
                    f"`address` must be one e-mail address like oncall@example.com, got {self.address!r}"
                )
            return
        if self.kind == "pagerduty":
            if not self.routing_key or not self.routing_key.strip():
                raise ValueError("`routing_key` is required for a pagerduty endpoint (its integration key)")
            if self.url is None:
                self.url = PAGERDUTY_EVENTS_URL
        _check_url(self.url, self.kind)
        if self.kind == "webhook":
            if self.secret is None:
                self.secret = new_webhook_secret()
            _check_secret(self.secret)

    @property
    def target(self) -> str:
        """The URL or address delivered to, for logs and errors."""
        return (self.address if self.kind == "email" else self.url) or ""


_decoder = msgspec.json.Decoder(Endpoint)


def decode_endpoint(body: bytes | str) -> Endpoint:
    """Raise `msgspec.ValidationError` naming the field when `body` is not a valid endpoint."""
    return _decoder.decode(body)


def endpoint_from_dict(fields: dict[str, object]) -> Endpoint:
    """Build and validate an endpoint from parsed JSON (an API body); raises `msgspec.ValidationError`."""
    return msgspec.convert(fields, Endpoint)
