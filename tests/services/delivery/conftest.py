from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.alerts.events import AlertEvent, fingerprint
from services.delivery.attempts import Delivery
from services.delivery.retry import RetryPolicy
from services.delivery.sender import Deliverer, SmtpRelay
from services.delivery.store import DeliveryStore
from services.storage import create_db_engine

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_seq = itertools.count()


def make_event(
    status: str = "firing", *, watchlist: str = "acme", subject: str = "", alert: str = "", **fields: Any
) -> AlertEvent:
    """An alert event; the same `alert` name gives the same alert id (one alert, several changes)."""
    alert_id = fingerprint("volume_spike", watchlist, alert or subject or f"s{next(_seq)}")
    started_at = fields.pop("started_at", T0)
    at = fields.pop(
        "at", started_at + timedelta(minutes={"firing": 0, "acknowledged": 5, "resolved": 9}[status])
    )
    values: dict[str, Any] = {
        "rule": "volume_spike",
        "severity": "critical",
        "summary": f"Mentions of {watchlist} up 4.2x in 5 min",
        "details": {"ratio": 4.2, "window_s": 300},
    }
    values.update(fields)
    return AlertEvent(
        event_id=AlertEvent.make_id(alert_id, started_at, status),
        alert_id=alert_id,
        watchlist=watchlist,
        subject=subject,
        status=status,  # type: ignore[arg-type]
        started_at=started_at,
        at=at,
        **values,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DeliveryStore]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'vigie.db'}")
    yield DeliveryStore(engine, RetryPolicy())
    engine.dispose()


@pytest.fixture
async def deliverer(store: DeliveryStore) -> AsyncIterator[Deliverer]:
    """A deliverer allowed to reach loopback receivers (tests only), with the default retry schedule."""
    async with Deliverer(
        store, allow_private_targets=True, attempt_timeout_s=5.0, public_url="https://vigie.example"
    ) as running:
        yield running


def smtp_relay(port: int) -> SmtpRelay:
    return SmtpRelay(host="127.0.0.1", port=port, sender="alerts@vigie.example")


async def drain(deliverer: Deliverer, *, rounds: int = 20, step_s: float = 3600.0) -> list[Delivery]:
    """Run the deliverer as the notifier does, with the clock moved `step_s` further each round (so the
    real retry schedule is followed without waiting), until nothing is pending; returns the deliveries."""
    now = datetime.now(UTC)
    for _ in range(rounds):
        await deliverer.run_due(now)
        pending = await asyncio.to_thread(deliverer.store.list_deliveries, states=("pending",))
        if not pending:
            break
        now += timedelta(seconds=step_s)
    return await asyncio.to_thread(deliverer.store.list_deliveries, limit=1000)
