"""What a subscription refers to is checked when it is saved, not when an alert fires.

- `watchlists[i]` must name an existing watchlist, and a channel given by id an existing endpoint
  (services/delivery): otherwise 422 naming the field.
- A channel given in place must make a valid endpoint (422 on `<field>.target` otherwise). One that makes
  Vigie call a URL (webhook, slack) is an endpoint created in passing: it needs the `admin` scope, as creating
  an endpoint does (403 naming `authorization`), and passes the same address guard
  (services/delivery/guard.py; 422 on `<field>.target`, nothing is sent).
"""

from __future__ import annotations

import msgspec
from fastapi import Request

from api.auth import authenticate
from api.errors import field_error
from services.alerts.subscriptions import Subscription
from services.delivery.guard import TargetPolicy, TargetRefused, check_url
from services.delivery.store import DeliveryStore
from services.notifier.channels import inline_endpoint

#: Inline channels that make Vigie call the target URL.
URL_KINDS = frozenset({"webhook", "slack"})


async def check_subscription(subscription: Subscription, request: Request) -> None:
    runtime = request.app.state.runtime
    if subscription.watchlists:
        known = {watchlist.id for watchlist in runtime.store.list_watchlists()}
        for i, watchlist in enumerate(subscription.watchlists):
            if watchlist not in known:
                raise field_error(
                    f"watchlists[{i}]", f"expected the id of a watchlist, got {watchlist!r}: none has it"
                )
    deliveries: DeliveryStore = request.app.state.deliveries
    for field, channel in subscription.channels():
        if isinstance(channel, str):
            if deliveries.get_endpoint(channel) is None:
                raise field_error(
                    field, f"expected the id of an endpoint (/api/v1/endpoints), got {channel!r}: none has it"
                )
            continue
        try:
            endpoint = inline_endpoint(channel)
        except (msgspec.ValidationError, ValueError) as error:
            raise field_error(f"{field}.target", f"not a valid {channel.kind} target: {error}") from None
        if channel.kind not in URL_KINDS or endpoint.url is None:
            continue
        authenticate(request, "admin", allow_query=False)
        try:
            await check_url(
                endpoint.url, TargetPolicy(allow_private=runtime.settings.delivery_allow_private_targets)
            )
        except TargetRefused as error:
            raise field_error(f"{field}.target", str(error)) from None
