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
from typing import Annotated, Any, Literal
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


#: What stands for the hidden part of a credential shown by the API.
MASK = "…"
#: Characters of a secret or routing key shown, enough to tell two apart.
SHOWN_SECRET_CHARS = 4


def masked_secret(value: str, keep_prefix: str = "") -> str:
    """`whsec_MfKQ…`: the prefix (when `value` has it) and a few characters; short values show nothing."""
    prefix = keep_prefix if value.startswith(keep_prefix) else ""
    rest = value.removeprefix(prefix)
    shown = rest[:SHOWN_SECRET_CHARS] if len(rest) >= 4 * SHOWN_SECRET_CHARS else ""
    return f"{prefix}{shown}{MASK}"


def masked_url(url: str) -> str:
    """`https://hooks.slack.com/…`: the origin only, since paths and queries often carry the credential
    (Slack, Discord, Teams, Zapier webhooks). PagerDuty's public Events API address is shown whole."""
    if url == PAGERDUTY_EVENTS_URL:
        return url
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    hidden = parts.path.strip("/") or parts.query or parts.fragment
    return f"{origin}/{MASK}" if hidden else f"{origin}/"


def masked_target(kind: str, target: str) -> str:
    """A channel's target as the API shows it: e-mail addresses whole, routing keys and URLs masked."""
    if kind == "email":
        return target
    if kind == "pagerduty":
        return masked_secret(target)
    return masked_url(target)


def masked_endpoint(endpoint: Endpoint) -> dict[str, Any]:
    """An endpoint as the API shows it after creation, to every caller: signing secret, routing key and
    URL masked (the stored endpoint keeps them whole for delivery)."""
    shown: dict[str, Any] = msgspec.to_builtins(endpoint)
    if endpoint.secret:
        shown["secret"] = masked_secret(endpoint.secret, SECRET_PREFIX)
    if endpoint.routing_key:
        shown["routing_key"] = masked_secret(endpoint.routing_key)
    if endpoint.url:
        shown["url"] = masked_url(endpoint.url)
    return shown


_decoder = msgspec.json.Decoder(Endpoint)


def decode_endpoint(body: bytes | str) -> Endpoint:
    """Raise `msgspec.ValidationError` naming the field when `body` is not a valid endpoint."""
    return _decoder.decode(body)


def endpoint_from_dict(fields: dict[str, object]) -> Endpoint:
    """Build and validate an endpoint from parsed JSON (an API body); raises `msgspec.ValidationError`."""
    return msgspec.convert(fields, Endpoint)
