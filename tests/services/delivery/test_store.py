from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.delivery.attempts import Attempt, Delivery
from services.delivery.endpoints import Endpoint
from services.delivery.retry import Outcome
from services.delivery.store import DeliveryError, DeliveryStore
from tests.services.delivery.conftest import make_event

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _hook(store: DeliveryStore, name: str = "hook") -> Endpoint:
    return store.save_endpoint(Endpoint(id=name, kind="webhook", url="https://hooks.example.com/" + name))


def _attempt(
    delivery: Delivery, outcome: Outcome, at: datetime, status: int | None = 500, **fields: object
) -> Attempt:
    return Attempt(
        delivery_id=delivery.id,
        event_id=delivery.event_id,
        endpoint_id=delivery.endpoint_id,
        number=delivery.attempts + 1,
        at=at,
        outcome=outcome,
        status_code=status,
        latency_ms=12.5,
        error=None if outcome == "delivered" else f"HTTP {status}",
        **fields,  # type: ignore[arg-type]
    )


def test_enqueueing_the_same_event_twice_makes_one_delivery(store: DeliveryStore) -> None:
    hook, event = _hook(store), make_event()
    first = store.enqueue(event, hook, NOW)
    again = store.enqueue(event, hook, NOW + timedelta(seconds=3))
    assert again.id == first.id and again.event == event
    assert [d.id for d in store.due(NOW)] == [first.id]
    other = store.enqueue(event, _hook(store, "other"), NOW)
    assert other.id != first.id


def test_a_failing_delivery_follows_the_schedule_and_is_kept_when_retries_run_out(
    store: DeliveryStore,
) -> None:
    delivery = store.enqueue(make_event(), _hook(store), NOW)
    at = NOW
    seen_waits = []
    for _ in range(8):
        (due,) = store.due(at)
        delivery = store.record(_attempt(due, "failed", at))
        if delivery.next_attempt_at is None:
            break
        assert store.due(delivery.next_attempt_at - timedelta(seconds=1)) == []
        seen_waits.append(round((delivery.next_attempt_at - at).total_seconds(), 1))
        at = delivery.next_attempt_at
    assert seen_waits == [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0]
    assert delivery.state == "failed" and delivery.attempts == 8
    assert delivery.last_error is not None and "gave up after 8 attempts" in delivery.last_error
    assert [d.id for d in store.list_failed()] == [delivery.id]
    log = store.attempts_for_event(delivery.event_id)
    assert [a.number for a in log] == list(range(8, 0, -1))
    assert all(a.status_code == 500 and a.latency_ms == 12.5 for a in log)


def test_retry_after_pushes_the_next_attempt(store: DeliveryStore) -> None:
    delivery = store.enqueue(make_event(), _hook(store), NOW)
    delivery = store.record(_attempt(delivery, "failed", NOW, 429, retry_after_s=90.0))
    assert delivery.next_attempt_at is not None
    assert round((delivery.next_attempt_at - NOW).total_seconds()) == 90


def test_redelivery_of_a_failed_delivery_starts_a_fresh_schedule(store: DeliveryStore) -> None:
    delivery = store.enqueue(make_event(), _hook(store), NOW)
    for number in range(8):
        delivery = store.record(_attempt(delivery, "failed", NOW + timedelta(days=number)))
    assert delivery.state == "failed"
    later = NOW + timedelta(days=10)
    again = store.redeliver(delivery.id, later)
    assert again.state == "pending" and again.next_attempt_at == later and again.attempts == 8
    delivered = store.record(_attempt(again, "delivered", later, 200))
    assert delivered.state == "delivered" and delivered.attempts == 9 and delivered.last_error is None
    assert store.attempts(delivery_id=delivery.id, limit=1)[0].number == 9
    with pytest.raises(DeliveryError, match="no delivery with id 999"):
        store.redeliver(999)


def test_a_pending_delivery_cannot_be_redelivered(store: DeliveryStore) -> None:
    delivery = store.enqueue(make_event(), _hook(store), NOW)
    with pytest.raises(DeliveryError, match="already pending"):
        store.redeliver(delivery.id)


def test_gone_disables_the_endpoint_and_cancels_its_other_deliveries(store: DeliveryStore) -> None:
    hook = _hook(store)
    first = store.enqueue(make_event(), hook, NOW)
    second = store.enqueue(make_event(), hook, NOW)
    gone = store.record(_attempt(first, "gone", NOW, 410))
    assert gone.state == "failed"
    endpoint = store.get_endpoint(hook.id)
    assert endpoint is not None and not endpoint.enabled
    assert endpoint.disabled_reason is not None and "410" in endpoint.disabled_reason
    cancelled = store.get_delivery(second.id)
    assert cancelled is not None and cancelled.state == "cancelled"
    assert store.enqueue(make_event(), endpoint, NOW).state == "cancelled"
    with pytest.raises(DeliveryError, match="is disabled"):
        store.redeliver(first.id)
    store.enable_endpoint(hook.id)
    assert store.redeliver(first.id).state == "pending"


def test_changes_of_one_alert_go_out_in_order(store: DeliveryStore) -> None:
    hook = _hook(store)
    resolved = store.enqueue(make_event("resolved", alert="a"), hook, NOW)
    firing = store.enqueue(make_event("firing", alert="a"), hook, NOW)
    unrelated = store.enqueue(make_event("firing", alert="b"), hook, NOW)
    assert {d.id for d in store.due(NOW)} == {firing.id, unrelated.id}
    store.record(_attempt(firing, "failed", NOW))
    assert {d.id for d in store.due(NOW + timedelta(hours=1))} == {firing.id, unrelated.id}
    store.record(_attempt(firing, "delivered", NOW + timedelta(hours=1), 200))
    assert resolved.id in {d.id for d in store.due(NOW + timedelta(hours=1))}


def test_a_claimed_delivery_is_not_handed_out_twice_until_its_lease_ends(store: DeliveryStore) -> None:
    delivery = store.enqueue(make_event(), _hook(store), NOW)
    assert [d.id for d in store.claim_due(NOW, lease_s=60)] == [delivery.id]
    assert store.claim_due(NOW, lease_s=60) == []
    assert [d.id for d in store.claim_due(NOW + timedelta(seconds=61), lease_s=60)] == [delivery.id]


def test_deleting_an_endpoint_cancels_what_was_pending_and_keeps_the_log(store: DeliveryStore) -> None:
    hook = _hook(store)
    delivery = store.enqueue(make_event(), hook, NOW)
    store.record(_attempt(delivery, "failed", NOW))
    assert store.delete_endpoint(hook.id)
    kept = store.get_delivery(delivery.id)
    assert kept is not None and kept.state == "cancelled" and kept.last_error == "endpoint deleted"
    assert len(store.attempts_for_endpoint(hook.id)) == 1


def test_saving_an_endpoint_again_keeps_its_creation_time(store: DeliveryStore) -> None:
    hook = _hook(store)
    renamed = store.save_endpoint(
        Endpoint(id=hook.id, kind="webhook", url=hook.url, secret=hook.secret, name="x")
    )
    assert renamed.created_at == hook.created_at
    assert [e.name for e in store.list_endpoints()] == ["x"]
