"""Two notifiers share the alert partitions as one consumer group: every alert is delivered once across
both, and when one is stopped midway the other takes its partitions, losing and doubling nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from services.alerts.events import AlertEvent
from tests.conftest import unique, wait_for
from tests.services.delivery.receivers import HttpReceiver, WebhookVerifier
from tests.stack import (
    Stack,
    free_port,
    publish_alert_events,
    spike_fired,
    start_role,
    start_stack,
    stop_role,
)

ALERTS = 60
LOOPBACK_ENV = {"VIGIE_DELIVERY_ALLOW_PRIVATE_TARGETS": "true", "VIGIE_DELIVERY_RETRY_DELAYS_S": "[0, 1, 2]"}


def firing(watchlist: str) -> AlertEvent:
    fired: AlertEvent = spike_fired(watchlist, unique("alert"))
    return fired


async def test_two_notifiers_deliver_every_alert_once_even_when_one_stops(tmp_path: Path) -> None:
    stack: Stack = await asyncio.to_thread(start_stack, tmp_path, extra_env=LOOPBACK_ENV)
    second_log = tmp_path / "notifier-2.log"
    # `vigie run` has the first notifier; the second's /readyz says when the group gave it its share.
    health_port = free_port()
    second = start_role(stack, "notifier", second_log, extra_env={"VIGIE_HEALTH_PORT": str(health_port)})
    receiver = HttpReceiver(handle=None)  # type: ignore[arg-type]
    await receiver.start()
    try:
        async with stack.http() as client:
            created = await client.post(
                "/api/v1/endpoints", json={"kind": "webhook", "name": "room", "url": receiver.url}
            )
            assert created.status_code == 201, created.text
            verifier = WebhookVerifier(created.json()["secret"])
            receiver.handle = verifier
            made = await client.post("/api/v1/watchlists", json={"name": unique("share"), "keywords": ["x"]})
            assert made.status_code == 201, made.text
            watchlist = made.json()["id"]
            subscription = {"name": "Room", "channel": created.json()["id"], "watchlists": [watchlist]}
            assert (await client.post("/api/v1/subscriptions", json=subscription)).status_code == 201

            events = [firing(watchlist) for _ in range(ALERTS)]
            half = ALERTS // 2

            async def second_shares() -> bool:
                assert second.poll() is None, second_log.read_text()
                try:
                    async with httpx.AsyncClient(timeout=5) as probe:
                        ready = await probe.get(f"http://127.0.0.1:{health_port}/readyz")
                except httpx.TransportError:
                    return False
                return ready.status_code == 200

            # It joined the group and holds its share: the rebalance is over for both (every member rejoins
            # and syncs before any gets its assignment).
            await wait_for(second_shares, timeout_s=30)
            for event in events[:half]:
                await publish_alert_events(stack, [event])
                await asyncio.sleep(0.1)

            async def first_half_delivered() -> bool:
                return len(verifier.processed) >= half

            await wait_for(first_half_delivered, timeout_s=40)
            stop_task = asyncio.create_task(asyncio.to_thread(stop_role, second))  # SIGTERM midway
            for event in events[half:]:
                await publish_alert_events(stack, [event])
                await asyncio.sleep(0.1)
            await stop_task
            assert second.returncode is not None

            async def all_delivered() -> bool:
                return len(verifier.processed) >= ALERTS

            await wait_for(all_delivered, timeout_s=60)
            await asyncio.sleep(3)  # nothing arrives twice later
            assert sorted(e["event_id"] for e in verifier.processed) == sorted(e.event_id for e in events)
            assert set(verifier.accepted.values()) == {1}, "an alert was delivered twice"
            assert sum(verifier.accepted.values()) == ALERTS and verifier.rejected == []
    finally:
        stop_role(second)
        await receiver.stop()
        await asyncio.to_thread(stack.stop)
