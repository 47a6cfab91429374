"""A webhook receiver that fails for a while (answers 500, then hangs without answering, then is gone)
gets every alert change once it recovers: each Standard Webhooks `webhook-id` accepted once, and each
alert's changes in the order they happened."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.alerts.events import AlertEvent, Status
from tests.conftest import unique, wait_for
from tests.services.delivery.receivers import HttpReceiver, WebhookVerifier
from tests.stack import Stack, publish_alert_events, start_stack

ALERTS = 4
#: Enough quick retries to outlast the outage (about 15 s), then a hung attempt gives up after 2 s.
OUTAGE_ENV = {
    "VIGIE_DELIVERY_ALLOW_PRIVATE_TARGETS": "true",
    "VIGIE_DELIVERY_RETRY_DELAYS_S": "[0" + ", 1" * 40 + "]",
    "VIGIE_DELIVERY_ATTEMPT_TIMEOUT_S": "2",
}


def changes(watchlist: str, alert_id: str, started: datetime) -> list[AlertEvent]:
    """One alert firing, then resolved a minute later."""
    steps: tuple[tuple[int, Status], ...] = ((0, "firing"), (1, "resolved"))
    return [
        AlertEvent(
            event_id=AlertEvent.make_id(alert_id, started, status),
            alert_id=alert_id,
            rule="volume_spike",
            watchlist=watchlist,
            severity="warning",
            status=status,
            summary=f"{watchlist}: mentions at 30/min, 6x the usual",
            started_at=started,
            at=started + timedelta(minutes=minute),
        )
        for minute, status in steps
    ]


async def test_every_alert_arrives_once_in_order_after_the_receiver_recovers(tmp_path: Path) -> None:
    stack: Stack = await asyncio.to_thread(start_stack, tmp_path, extra_env=OUTAGE_ENV)
    receiver = HttpReceiver(handle=None)  # type: ignore[arg-type]
    receiver.fail_next = 1_000_000  # answers 500 until told otherwise
    await receiver.start()
    try:
        async with stack.http() as client:
            created = await client.post(
                "/api/v1/endpoints", json={"kind": "webhook", "name": "flaky", "url": receiver.url}
            )
            assert created.status_code == 201, created.text
            endpoint = created.json()
            verifier = WebhookVerifier(endpoint["secret"])
            receiver.handle = verifier
            made = await client.post("/api/v1/watchlists", json={"name": unique("outage"), "keywords": ["x"]})
            assert made.status_code == 201, made.text
            watchlist = made.json()["id"]
            subscription = {"name": "Room", "channel": endpoint["id"], "watchlists": [watchlist]}
            assert (await client.post("/api/v1/subscriptions", json=subscription)).status_code == 201

            started = datetime.now(UTC).replace(microsecond=0)
            alerts = [unique("alert") for _ in range(ALERTS)]
            events = [event for alert_id in alerts for event in changes(watchlist, alert_id, started)]
            await publish_alert_events(stack, events)

            async def failing() -> bool:
                return len({headers["webhook-id"] for headers, _ in receiver.requests}) >= ALERTS

            await wait_for(failing, timeout_s=30)  # every alert tried, and answered 500
            await asyncio.sleep(3)
            receiver.delay_s = 60.0  # connections accepted, no answer: attempts time out
            hung_from = len(receiver.requests)

            async def kept_trying() -> bool:
                return len(receiver.requests) > hung_from

            try:
                await wait_for(kept_trying, timeout_s=30)
            except AssertionError:
                raise AssertionError("the notifier stopped trying while the receiver hung") from None
            await receiver.stop()  # the port is closed: connections refused
            await asyncio.sleep(4)
            receiver.fail_next, receiver.delay_s = 0, 0.0
            await receiver.start()

            async def all_delivered() -> bool:
                return len(verifier.processed) == len(events)

            await wait_for(all_delivered, timeout_s=40)
            await asyncio.sleep(3)  # nothing more arrives later
            ids = [headers["webhook-id"] for headers, _ in receiver.requests]
            print(f"\n{len(events)} events, {len(ids)} requests during and after the outage")
            assert verifier.rejected == []
            assert set(ids) == {event.event_id for event in events}, "retries keep each event's webhook-id"
            assert set(verifier.accepted) == set(ids) and set(verifier.accepted.values()) == {1}
            for alert_id in alerts:
                got = [(e["event_id"], e["status"]) for e in verifier.processed if e["alert_id"] == alert_id]
                assert got == [(e.event_id, e.status) for e in events if e.alert_id == alert_id]
            params = {"endpoint": endpoint["id"], "state": "delivered"}
            delivered = (await client.get("/api/v1/deliveries", params=params)).json()
            assert len(delivered) == len(events)
    finally:
        await receiver.stop()
        await asyncio.to_thread(stack.stop)
