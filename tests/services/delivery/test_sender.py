"""End-to-end delivery to real receivers on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from services.delivery.endpoints import Endpoint
from services.delivery.guard import TargetPolicy, TargetRefused, check_url
from services.delivery.sender import Deliverer
from services.delivery.store import DeliveryStore
from services.settings import Settings
from tests.services.delivery.conftest import drain, make_event, smtp_relay
from tests.services.delivery.receivers import (
    HttpReceiver,
    PagerDutyReceiver,
    SlackReceiver,
    SmtpReceiver,
    WebhookVerifier,
    free_port,
)


@pytest.fixture
def hook_endpoint(store: DeliveryStore) -> Endpoint:
    return store.save_endpoint(
        Endpoint(id="hook", kind="webhook", url=f"http://127.0.0.1:{free_port()}/hook")
    )


@pytest.fixture
async def verifier(hook_endpoint: Endpoint) -> AsyncIterator[tuple[HttpReceiver, WebhookVerifier]]:
    assert hook_endpoint.secret is not None and hook_endpoint.url is not None
    verify = WebhookVerifier(hook_endpoint.secret)
    receiver = HttpReceiver(verify, port=int(hook_endpoint.url.split(":")[2].split("/")[0]))
    await receiver.start()
    yield receiver, verify
    await receiver.stop()


async def test_a_signed_webhook_is_verified_by_the_receiver_and_logged(
    deliverer: Deliverer, hook_endpoint: Endpoint, verifier: tuple[HttpReceiver, WebhookVerifier]
) -> None:
    _, verify = verifier
    event = make_event()
    delivery = deliverer.store.enqueue(event, hook_endpoint)
    (attempt,) = await deliverer.run_due()
    assert attempt.outcome == "delivered" and attempt.status_code == 204 and attempt.latency_ms > 0
    assert verify.rejected == [] and [e["event_id"] for e in verify.processed] == [event.event_id]
    assert verify.processed[0]["summary"] == event.summary
    assert deliverer.store.get_delivery(delivery.id).state == "delivered"  # type: ignore[union-attr]
    assert await deliverer.run_due() == []  # delivered once, not again


async def test_a_receiver_down_for_a_while_gets_every_event_once_back_up(
    deliverer: Deliverer, hook_endpoint: Endpoint, store: DeliveryStore
) -> None:
    assert hook_endpoint.secret is not None and hook_endpoint.url is not None
    events = [make_event(status, alert=name) for name in ("a", "b", "c") for status in ("firing", "resolved")]
    for event in events:
        store.enqueue(event, hook_endpoint)
    store.enqueue(events[0], hook_endpoint)  # the alert stream handed one over twice
    while_down = await deliverer.run_due()  # port closed: nobody listens
    assert {a.outcome for a in while_down} == {"failed"} and len(
        while_down
    ) == 3  # firing ones; resolves wait
    assert all("ConnectError" in (a.error or "") and a.status_code is None for a in while_down)

    verify = WebhookVerifier(hook_endpoint.secret)
    receiver = HttpReceiver(verify, port=int(hook_endpoint.url.split(":")[2].split("/")[0]))
    receiver.fail_next = 4  # up again, but answering 500 for a while
    await receiver.start()
    try:
        deliveries = await drain(deliverer)
    finally:
        await receiver.stop()
    assert {d.state for d in deliveries} == {"delivered"}
    assert sorted(e["event_id"] for e in verify.processed) == sorted(e.event_id for e in events)
    assert set(verify.accepted.values()) == {1}  # no event delivered again after a 2xx
    order = [e["event_id"].rsplit(":", 1)[1] for e in verify.processed if e["alert_id"] == events[0].alert_id]
    assert order == ["firing", "resolved"]
    failed_500 = [a for a in store.attempts_for_endpoint("hook", limit=1000) if a.status_code == 500]
    assert len(failed_500) == 4 and all("receiver failing on purpose" in (a.error or "") for a in failed_500)


async def test_a_receiver_that_processed_but_failed_to_answer_sees_a_duplicate_it_can_drop(
    deliverer: Deliverer, hook_endpoint: Endpoint, verifier: tuple[HttpReceiver, WebhookVerifier]
) -> None:
    receiver, verify = verifier
    event = make_event()
    deliverer.store.enqueue(event, hook_endpoint)
    receiver.delay_s = 1.0  # answers after the attempt gave up
    short = Deliverer(deliverer.store, allow_private_targets=True, attempt_timeout_s=0.3)
    async with short:
        (attempt,) = await short.run_due()
    receiver.delay_s = 0
    assert attempt.outcome == "failed" and attempt.error is not None and "timed out" in attempt.error
    await drain(deliverer)
    ids = [headers["webhook-id"] for headers, _ in receiver.requests]
    assert ids == [event.event_id, event.event_id]  # same id on the retry
    assert len(verify.processed) == 1  # the receiver dropped the duplicate by webhook-id


async def test_a_timeout_is_recorded_as_an_attempt_with_its_error(
    store: DeliveryStore, hook_endpoint: Endpoint, verifier: tuple[HttpReceiver, WebhookVerifier]
) -> None:
    receiver, _ = verifier
    receiver.delay_s = 5.0
    delivery = store.enqueue(make_event(), hook_endpoint)
    async with Deliverer(store, allow_private_targets=True, attempt_timeout_s=0.2) as deliverer:
        (attempt,) = await deliverer.run_due()
    (logged,) = store.attempts_for_event(delivery.event_id)
    assert logged == attempt
    assert logged.outcome == "failed" and logged.status_code is None
    assert logged.error is not None and "timed out" in logged.error and "0.2 s" in logged.error
    assert store.get_delivery(delivery.id).state == "pending"  # type: ignore[union-attr]


async def test_410_disables_the_endpoint(
    deliverer: Deliverer, hook_endpoint: Endpoint, verifier: tuple[HttpReceiver, WebhookVerifier]
) -> None:
    receiver, verify = verifier
    receiver.fail_next, receiver.fail_status = 1, 410
    first = deliverer.store.enqueue(make_event(), hook_endpoint)
    (attempt,) = await deliverer.run_due()
    assert attempt.outcome == "gone" and attempt.status_code == 410
    endpoint = deliverer.store.get_endpoint(hook_endpoint.id)
    assert endpoint is not None and not endpoint.enabled and "410" in (endpoint.disabled_reason or "")
    later = deliverer.store.enqueue(make_event(), endpoint)
    assert later.state == "cancelled" and await drain(deliverer) and verify.processed == []
    deliverer.store.enable_endpoint(hook_endpoint.id)
    deliverer.store.redeliver(first.id)
    await drain(deliverer)
    assert [e["event_id"] for e in verify.processed] == [first.event_id]


async def test_429_with_retry_after_is_honoured(
    deliverer: Deliverer, hook_endpoint: Endpoint, verifier: tuple[HttpReceiver, WebhookVerifier]
) -> None:
    receiver, _ = verifier
    receiver.fail_next, receiver.fail_status, receiver.fail_headers = 1, 429, {"retry-after": "120"}
    delivery = deliverer.store.enqueue(make_event(), hook_endpoint)
    (attempt,) = await deliverer.run_due()
    assert attempt.retry_after_s == 120
    pending = deliverer.store.get_delivery(delivery.id)
    assert pending is not None and pending.next_attempt_at is not None
    assert 119 <= (pending.next_attempt_at - attempt.at).total_seconds() <= 130


async def test_loopback_targets_are_refused_unless_allowed(
    store: DeliveryStore, hook_endpoint: Endpoint, verifier: tuple[HttpReceiver, WebhookVerifier]
) -> None:
    receiver, _ = verifier
    assert hook_endpoint.url is not None
    with pytest.raises(TargetRefused, match="loopback"):
        await check_url(hook_endpoint.url, TargetPolicy(allow_private=False))  # when saved
    await check_url(hook_endpoint.url, TargetPolicy(allow_private=True))
    delivery = store.enqueue(make_event(), hook_endpoint)
    async with Deliverer(store, allow_private_targets=False) as strict:  # and when sent
        (attempt,) = await strict.run_due()
    assert attempt.outcome == "refused" and "loopback" in (attempt.error or "")
    assert receiver.requests == []
    refused = store.get_delivery(delivery.id)
    assert refused is not None and refused.state == "failed"
    store.redeliver(delivery.id)
    async with Deliverer(store, allow_private_targets=True) as allowed:
        (attempt,) = await allowed.run_due()
    assert attempt.outcome == "delivered" and len(receiver.requests) == 1


async def test_pagerduty_follows_trigger_acknowledge_resolve_with_one_dedup_key(
    store: DeliveryStore, deliverer: Deliverer
) -> None:
    pd = PagerDutyReceiver("R0UTINGKEY")
    receiver = HttpReceiver(pd)
    receiver.fail_next = 1  # the trigger fails first: the acknowledge must not overtake it
    await receiver.start()
    try:
        endpoint = store.save_endpoint(Endpoint(kind="pagerduty", url=receiver.url, routing_key="R0UTINGKEY"))
        changes = [
            make_event(status, alert="pd", severity="warning") for status in ("firing", "acknowledged")
        ]
        for event in changes:
            store.enqueue(event, endpoint)
        await drain(deliverer)
        assert pd.incidents == {changes[0].alert_id: "acknowledged"}
        store.enqueue(make_event("resolved", alert="pd"), endpoint)
        await drain(deliverer)
    finally:
        await receiver.stop()
    assert pd.errors == []
    assert [e["event_action"] for e in pd.events] == ["trigger", "acknowledge", "resolve"]
    assert {e["dedup_key"] for e in pd.events} == {changes[0].alert_id}
    assert pd.incidents == {changes[0].alert_id: "resolved"}
    assert pd.events[0]["payload"]["severity"] == "warning"
    assert pd.events[0]["links"][0]["href"].startswith("https://vigie.example/")


async def test_slack_receives_a_readable_message(store: DeliveryStore, deliverer: Deliverer) -> None:
    slack = SlackReceiver()
    receiver = HttpReceiver(slack)
    await receiver.start()
    try:
        endpoint = store.save_endpoint(Endpoint(kind="slack", url=receiver.url))
        event = make_event(watchlist="globex", summary="Sentiment on globex fell to -0.6")
        store.enqueue(event, endpoint)
        (attempt,) = await deliverer.run_due()
    finally:
        await receiver.stop()
    assert attempt.outcome == "delivered" and attempt.status_code == 200
    (message,) = slack.messages
    assert "CRITICAL" in message["text"] and "globex" in message["text"]
    assert "Sentiment on globex fell to -0.6" in message["text"]
    assert f"https://vigie.example/#/alerts/{event.alert_id}" in message["text"]
    assert message["blocks"][0]["type"] == "section"


async def test_mail_reaches_a_real_smtp_server_even_after_it_was_down(store: DeliveryStore) -> None:
    smtp = SmtpReceiver()
    endpoint = store.save_endpoint(Endpoint(kind="email", address="oncall@example.com"))
    event = make_event(severity="warning", summary="Swarm #boycottacme: 38 authors")
    delivery = store.enqueue(event, endpoint)
    async with Deliverer(store, smtp=smtp_relay(smtp.port), attempt_timeout_s=5.0) as deliverer:
        (down,) = await deliverer.run_due()
        assert down.outcome == "failed" and down.error is not None and f"127.0.0.1:{smtp.port}" in down.error
        await asyncio.to_thread(smtp.start)
        try:
            (up,) = await deliverer.run_due(datetime.now(UTC) + timedelta(seconds=10))
        finally:
            await asyncio.to_thread(smtp.stop)
    assert up.outcome == "delivered" and up.number == 2
    (mail,) = smtp.messages
    assert mail["To"] == "oncall@example.com" and mail["From"] == "alerts@vigie.example"
    assert mail["Subject"] == "[Vigie] WARNING FIRING: Swarm #boycottacme: 38 authors"
    assert event.alert_id in mail["Message-ID"]
    assert "Swarm #boycottacme" in mail.get_content()
    assert smtp.handler.envelopes == [("alerts@vigie.example", ["oncall@example.com"])]
    assert store.get_delivery(delivery.id).state == "delivered"  # type: ignore[union-attr]


async def test_many_deliveries_run_concurrently_within_the_bound(
    store: DeliveryStore, hook_endpoint: Endpoint, verifier: tuple[HttpReceiver, WebhookVerifier]
) -> None:
    receiver, verify = verifier
    in_flight = peak = 0
    handle = receiver.handle

    async def counting(request, body):  # type: ignore[no-untyped-def]
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return await handle(request, body)

    receiver.handle = counting
    for _ in range(40):
        store.enqueue(make_event(), hook_endpoint)
    async with Deliverer(store, allow_private_targets=True, concurrency=8) as deliverer:
        attempts = await deliverer.run_due()
    assert len(attempts) == 40 and {a.outcome for a in attempts} == {"delivered"}
    assert len(verify.processed) == 40
    assert 1 < peak <= 8
    assert orjson.loads(receiver.requests[0][1])["type"] == "alert"


async def test_the_deliverer_is_built_from_the_settings(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {
            "data_dir": tmp_path,
            "delivery_retry_delays_s": [0, 1.5],
            "public_url": "https://room.example",
            "smtp_port": 2525,
            "delivery_attempt_timeout_s": 3,
        }
    )
    async with Deliverer.from_settings(settings) as deliverer:
        assert deliverer.store.policy.delays_s == (0, 1.5)
        assert deliverer.smtp.port == 2525 and deliverer.attempt_timeout_s == 3
        endpoint = deliverer.store.save_endpoint(Endpoint(kind="slack", url="http://127.0.0.1:9/x"))
        deliverer.store.enqueue(make_event(), endpoint)
        (attempt,) = await deliverer.run_due()
        assert attempt.outcome == "refused"  # private targets are off by default
    assert (tmp_path / "vigie.db").exists()


async def test_a_test_send_goes_through_the_guard_and_returns_the_receivers_answer(
    store: DeliveryStore, hook_endpoint: Endpoint, verifier: tuple[HttpReceiver, WebhookVerifier]
) -> None:
    receiver, verify = verifier
    async with Deliverer(store, allow_private_targets=False) as strict:
        refused = await strict.send_test(hook_endpoint)
    assert refused.outcome == "refused" and "loopback" in (refused.error or "")
    assert receiver.requests == []  # nothing left this process
    async with Deliverer(store, allow_private_targets=True) as allowed:
        answer = await allowed.send_test(hook_endpoint)
    assert (answer.outcome, answer.status_code, answer.error) == ("delivered", 204, None)
    [event] = verify.processed
    assert event["details"] == {"test": True} and event["event_id"] == answer.event_id
    assert store.attempts_for_endpoint(hook_endpoint.id, 10) == []  # a test is not a delivery
