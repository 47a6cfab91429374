"""A contact's channel as a delivery endpoint: an endpoint id, or a channel given in place.

A channel given in place (`{"kind": "email", "target": "ana@example.com"}`) becomes a stored endpoint with a
stable id derived from it, so its deliveries and attempts are listed like any other endpoint's.
"""

from __future__ import annotations

import hashlib

import msgspec

from services.alerts.subscriptions import Channel, ChannelSpec
from services.delivery.endpoints import Endpoint
from services.delivery.store import DeliveryStore


class ChannelError(ValueError):
    """The channel names no endpoint, or cannot be made into one; the message says which and why."""


def inline_endpoint_id(spec: ChannelSpec) -> str:
    digest = hashlib.blake2b(f"{spec.kind}\x1f{spec.target}".encode(), digest_size=6).hexdigest()
    return f"inline-{spec.kind}-{digest}"


def endpoint_for(channel: Channel, store: DeliveryStore) -> Endpoint:
    if isinstance(channel, str):
        endpoint = store.get_endpoint(channel)
        if endpoint is None:
            raise ChannelError(f"no endpoint with id {channel!r}")
        return endpoint
    endpoint_id = inline_endpoint_id(channel)
    existing = store.get_endpoint(endpoint_id)
    if existing is not None:
        return existing
    try:
        return store.save_endpoint(inline_endpoint(channel))
    except (msgspec.ValidationError, ValueError) as error:
        raise ChannelError(f"channel {channel.kind} {channel.target!r}: {error}") from None


def inline_endpoint(channel: ChannelSpec) -> Endpoint:
    """The endpoint a channel given in place stands for; raises `ValueError` (or msgspec's
    `ValidationError`) saying what is wrong with its target."""
    fields: dict[str, object] = {
        "id": inline_endpoint_id(channel),
        "kind": channel.kind,
        "name": f"{channel.kind} (inline)",
    }
    if channel.kind == "email":
        fields["address"] = channel.target
    elif channel.kind == "pagerduty":
        fields["routing_key"] = channel.target
    else:
        fields["url"] = channel.target
    return msgspec.convert(fields, Endpoint)
