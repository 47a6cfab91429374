"""Endpoints, deliveries and attempts in the configuration database (SQLAlchemy Core, portable types).

The tables are defined on `services.storage.metadata`, so `metadata.create_all` creates them once this module
is imported. Enqueueing is idempotent on (event_id, endpoint_id): the at-least-once alert stream may hand the
same event over twice, and it is still delivered once. Deliveries of one alert to one endpoint go out in the
order of the alert's changes (trigger before acknowledge before resolve): a delivery is not due while an
earlier one of the same alert to the same endpoint is still pending.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa

from services.alerts.events import AlertEvent, decode_event, encode_event
from services.delivery.attempts import Attempt, Delivery, DeliveryState
from services.delivery.endpoints import Endpoint, decode_endpoint
from services.delivery.retry import RetryPolicy
from services.storage import metadata

endpoints_table = sa.Table(
    "delivery_endpoints",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

deliveries_table = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(200), nullable=False),
    sa.Column("alert_id", sa.String(64), nullable=False),
    sa.Column("endpoint_id", sa.String(64), nullable=False),
    sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("round_attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("event_id", "endpoint_id", name="uq_deliveries_event_endpoint"),
    sa.Index("ix_deliveries_due", "state", "next_attempt_at"),
    sa.Index("ix_deliveries_alert_endpoint", "alert_id", "endpoint_id"),
    sa.Index("ix_deliveries_endpoint", "endpoint_id"),
)

attempts_table = sa.Table(
    "delivery_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", sa.Integer, nullable=False, index=True),
    sa.Column("event_id", sa.String(200), nullable=False, index=True),
    sa.Column("endpoint_id", sa.String(64), nullable=False, index=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("retry_after_s", sa.Float, nullable=True),
)

_TABLES = [endpoints_table, deliveries_table, attempts_table]


class DeliveryError(ValueError):
    """A delivery operation that cannot be done as asked (unknown id, wrong state)."""


def _utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their zone: everything is stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def _disabled(endpoint: Endpoint) -> str:
    return f"endpoint disabled: {endpoint.disabled_reason or 'by hand'}"


def _delivery(row: sa.Row[Any]) -> Delivery:
    return Delivery(
        id=row.id,
        event_id=row.event_id,
        alert_id=row.alert_id,
        endpoint_id=row.endpoint_id,
        event=decode_event(row.event.encode()),
        state=row.state,
        attempts=row.attempts,
        round_attempts=row.round_attempts,
        next_attempt_at=_utc(row.next_attempt_at) if row.next_attempt_at is not None else None,
        last_error=row.last_error,
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
    )


def _attempt(row: sa.Row[Any]) -> Attempt:
    return Attempt(
        delivery_id=row.delivery_id,
        event_id=row.event_id,
        endpoint_id=row.endpoint_id,
        number=row.number,
        at=_utc(row.at),
        outcome=row.outcome,
        status_code=row.status_code,
        latency_ms=row.latency_ms,
        error=row.error,
        retry_after_s=row.retry_after_s,
    )


class DeliveryStore:
    """The delivery state of one database; thread-safe as its engine is (async code calls it in a thread)."""

    def __init__(self, engine: sa.Engine, policy: RetryPolicy | None = None) -> None:
        self.engine = engine
        self.policy = policy or RetryPolicy()
        self._write_lock = threading.Lock()
        metadata.create_all(engine, tables=_TABLES)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """A write transaction. Writers of this process take turns: SQLite allows one writer at a time and
        makes the others sleep and retry in coarse steps, which costs far more than waiting here."""
        with self._write_lock, self.engine.begin() as connection:
            yield connection

    # Endpoints.

    def save_endpoint(self, endpoint: Endpoint) -> Endpoint:
        """Insert or replace; an existing endpoint keeps its creation time."""
        existing = self.get_endpoint(endpoint.id)
        if existing is not None:
            endpoint = msgspec.structs.replace(endpoint, created_at=existing.created_at)
        values = {
            "kind": endpoint.kind,
            "enabled": endpoint.enabled,
            "body": msgspec.json.encode(endpoint).decode(),
            "updated_at": _now(),
        }
        with self._writing() as connection:
            if existing is not None:
                connection.execute(
                    endpoints_table.update().where(endpoints_table.c.id == endpoint.id).values(values)
                )
            else:
                connection.execute(endpoints_table.insert().values(id=endpoint.id, **values))
            if not endpoint.enabled:
                self._cancel_pending(connection, endpoint.id, _disabled(endpoint))
        return endpoint

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None:
        with self.engine.connect() as connection:
            body = connection.execute(
                sa.select(endpoints_table.c.body).where(endpoints_table.c.id == endpoint_id)
            ).scalar_one_or_none()
        return decode_endpoint(body) if body is not None else None

    def list_endpoints(self) -> list[Endpoint]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(endpoints_table.c.body).order_by(endpoints_table.c.id))
            return [decode_endpoint(row.body) for row in rows]

    def delete_endpoint(self, endpoint_id: str) -> bool:
        """Remove an endpoint; its pending deliveries are cancelled (the log stays)."""
        with self._writing() as connection:
            result = connection.execute(endpoints_table.delete().where(endpoints_table.c.id == endpoint_id))
            self._cancel_pending(connection, endpoint_id, "endpoint deleted")
        return result.rowcount > 0

    def disable_endpoint(self, endpoint_id: str, reason: str) -> Endpoint:
        """Stop delivering to an endpoint (its pending deliveries are cancelled), saying why."""
        endpoint = self._endpoint_or_raise(endpoint_id)
        return self.save_endpoint(msgspec.structs.replace(endpoint, enabled=False, disabled_reason=reason))

    def enable_endpoint(self, endpoint_id: str) -> Endpoint:
        endpoint = self._endpoint_or_raise(endpoint_id)
        return self.save_endpoint(msgspec.structs.replace(endpoint, enabled=True, disabled_reason=None))

    def _endpoint_or_raise(self, endpoint_id: str) -> Endpoint:
        endpoint = self.get_endpoint(endpoint_id)
        if endpoint is None:
            raise DeliveryError(f"no endpoint with id {endpoint_id!r}")
        return endpoint

    # Deliveries.

    def enqueue(self, event: AlertEvent, endpoint: Endpoint, now: datetime | None = None) -> Delivery:
        """The delivery of `event` to `endpoint`, created pending (or cancelled, when the endpoint is
        disabled) unless it exists already: enqueueing the same event twice changes nothing."""
        existing = self._find(event.event_id, endpoint.id)
        if existing is not None:
            return existing
        now = _utc(now or _now())
        state: DeliveryState = "pending" if endpoint.enabled else "cancelled"
        values = {
            "event_id": event.event_id,
            "alert_id": event.alert_id,
            "endpoint_id": endpoint.id,
            "event_at": _utc(event.at),
            "event": encode_event(event).decode(),
            "state": state,
            "attempts": 0,
            "round_attempts": 0,
            "next_attempt_at": self.policy.first_attempt_at(now) if state == "pending" else None,
            "last_error": None if endpoint.enabled else _disabled(endpoint),
            "created_at": now,
            "updated_at": now,
        }
        try:
            with self._writing() as connection:
                connection.execute(deliveries_table.insert().values(values))
        except sa.exc.IntegrityError:
            pass  # enqueued by someone else in between: theirs is the one
        found = self._find(event.event_id, endpoint.id)
        assert found is not None
        return found

    def _find(self, event_id: str, endpoint_id: str) -> Delivery | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(deliveries_table).where(
                    deliveries_table.c.event_id == event_id, deliveries_table.c.endpoint_id == endpoint_id
                )
            ).one_or_none()
        return _delivery(row) if row is not None else None

    def get_delivery(self, delivery_id: int) -> Delivery | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(deliveries_table).where(deliveries_table.c.id == delivery_id)
            ).one_or_none()
        return _delivery(row) if row is not None else None

    def _due_query(self, now: datetime, limit: int) -> sa.Select[Any]:
        earlier = deliveries_table.alias("earlier")
        blocked = sa.exists().where(
            earlier.c.alert_id == deliveries_table.c.alert_id,
            earlier.c.endpoint_id == deliveries_table.c.endpoint_id,
            earlier.c.state == "pending",
            sa.or_(
                earlier.c.event_at < deliveries_table.c.event_at,
                sa.and_(
                    earlier.c.event_at == deliveries_table.c.event_at, earlier.c.id < deliveries_table.c.id
                ),
            ),
        )
        return (
            sa.select(deliveries_table)
            .where(
                deliveries_table.c.state == "pending",
                deliveries_table.c.next_attempt_at <= _utc(now),
                ~blocked,
            )
            .order_by(deliveries_table.c.next_attempt_at, deliveries_table.c.id)
            .limit(limit)
        )

    def due(self, now: datetime, limit: int = 1000) -> list[Delivery]:
        """Pending deliveries whose time has come and that no earlier change of the same alert holds back."""
        with self.engine.connect() as connection:
            return [_delivery(row) for row in connection.execute(self._due_query(now, limit))]

    def claim_due(self, now: datetime, lease_s: float, limit: int = 1000) -> list[Delivery]:
        """Due deliveries, each taken for `lease_s` (its next_attempt_at pushed past the attempt) so that
        another notifier sharing the database does not send it at the same time. An attempt recorded
        within the lease sets the real next time; a notifier that dies mid-attempt leaves it due again."""
        now = _utc(now)
        lease_until = now + timedelta(seconds=lease_s)
        claimed: list[Delivery] = []
        with self._writing() as connection:
            for row in connection.execute(self._due_query(now, limit)).all():
                taken = connection.execute(
                    deliveries_table.update()
                    .where(
                        deliveries_table.c.id == row.id,
                        deliveries_table.c.state == "pending",
                        deliveries_table.c.next_attempt_at <= now,
                    )
                    .values(next_attempt_at=lease_until)
                )
                if taken.rowcount == 1:
                    claimed.append(msgspec.structs.replace(_delivery(row), next_attempt_at=lease_until))
        return claimed

    def record(self, attempt: Attempt) -> Delivery:
        """Log one attempt and move its delivery on: delivered; pending again at the next time of the
        schedule; failed when the schedule is over or the target was refused; HTTP 410 disables the
        endpoint."""
        finished = _utc(attempt.at) + timedelta(milliseconds=attempt.latency_ms)
        with self._writing() as connection:
            connection.execute(attempts_table.insert().values(msgspec.structs.asdict(attempt)))
            row = connection.execute(
                sa.select(deliveries_table).where(deliveries_table.c.id == attempt.delivery_id)
            ).one_or_none()
            if row is None:
                raise DeliveryError(f"attempt recorded for unknown delivery {attempt.delivery_id}")
            round_attempts = row.round_attempts + 1
            state: DeliveryState = row.state
            next_at: datetime | None = None
            error = attempt.error
            if attempt.outcome == "delivered":
                state, error = "delivered", None
            elif row.state == "pending":
                next_at = None
                if attempt.outcome == "failed":
                    next_at = self.policy.next_attempt_at(round_attempts, finished, attempt.retry_after_s)
                state = "pending" if next_at is not None else "failed"
                if attempt.outcome == "failed" and next_at is None:
                    error = f"gave up after {round_attempts} attempts; last: {attempt.error}"
            connection.execute(
                deliveries_table.update()
                .where(deliveries_table.c.id == attempt.delivery_id)
                .values(
                    state=state,
                    attempts=row.attempts + 1,
                    round_attempts=round_attempts,
                    next_attempt_at=next_at,
                    last_error=error,
                    updated_at=finished,
                )
            )
        if attempt.outcome == "gone":
            self.disable_endpoint(attempt.endpoint_id, f"HTTP 410 Gone at {finished.isoformat()}")
        delivery = self.get_delivery(attempt.delivery_id)
        assert delivery is not None
        return delivery

    def cancel(self, delivery_id: int, reason: str) -> Delivery:
        """Stop a pending delivery (its endpoint is gone); other states are left as they are."""
        with self._writing() as connection:
            connection.execute(
                deliveries_table.update()
                .where(deliveries_table.c.id == delivery_id, deliveries_table.c.state == "pending")
                .values(state="cancelled", next_attempt_at=None, last_error=reason, updated_at=_now())
            )
        delivery = self.get_delivery(delivery_id)
        if delivery is None:
            raise DeliveryError(f"no delivery with id {delivery_id}")
        return delivery

    def _cancel_pending(self, connection: sa.Connection, endpoint_id: str, reason: str) -> None:
        connection.execute(
            deliveries_table.update()
            .where(deliveries_table.c.endpoint_id == endpoint_id, deliveries_table.c.state == "pending")
            .values(state="cancelled", next_attempt_at=None, last_error=reason, updated_at=_now())
        )

    def redeliver(self, delivery_id: int, now: datetime | None = None) -> Delivery:
        """Send a delivery again (failed, cancelled, or delivered once more), with a fresh retry schedule.
        Receivers see the same event id and can deduplicate."""
        delivery = self.get_delivery(delivery_id)
        if delivery is None:
            raise DeliveryError(f"no delivery with id {delivery_id}")
        if delivery.state == "pending":
            raise DeliveryError(
                f"delivery {delivery_id} is already pending (next attempt {delivery.next_attempt_at})"
            )
        endpoint = self.get_endpoint(delivery.endpoint_id)
        if endpoint is None:
            raise DeliveryError(
                f"delivery {delivery_id}: its endpoint {delivery.endpoint_id!r} no longer exists"
            )
        if not endpoint.enabled:
            raise DeliveryError(
                f"delivery {delivery_id}: endpoint {endpoint.id!r} is disabled ({endpoint.disabled_reason}); "
                "enable it first"
            )
        now = _utc(now or _now())
        with self._writing() as connection:
            connection.execute(
                deliveries_table.update()
                .where(deliveries_table.c.id == delivery_id)
                .values(
                    state="pending",
                    round_attempts=0,
                    next_attempt_at=self.policy.first_attempt_at(now),
                    last_error=None,
                    updated_at=now,
                )
            )
        redelivered = self.get_delivery(delivery_id)
        assert redelivered is not None
        return redelivered

    def list_deliveries(
        self,
        *,
        event_id: str | None = None,
        endpoint_id: str | None = None,
        states: Sequence[DeliveryState] = (),
        limit: int = 100,
    ) -> list[Delivery]:
        """Newest first."""
        query = sa.select(deliveries_table).order_by(deliveries_table.c.id.desc()).limit(limit)
        if event_id is not None:
            query = query.where(deliveries_table.c.event_id == event_id)
        if endpoint_id is not None:
            query = query.where(deliveries_table.c.endpoint_id == endpoint_id)
        if states:
            query = query.where(deliveries_table.c.state.in_(states))
        with self.engine.connect() as connection:
            return [_delivery(row) for row in connection.execute(query)]

    def list_failed(self, endpoint_id: str | None = None, limit: int = 100) -> list[Delivery]:
        """Deliveries that exhausted their retries or were refused, newest first: candidates to redeliver."""
        return self.list_deliveries(endpoint_id=endpoint_id, states=("failed",), limit=limit)

    # Attempts.

    def attempts(
        self,
        *,
        delivery_id: int | None = None,
        event_id: str | None = None,
        endpoint_id: str | None = None,
        limit: int = 100,
    ) -> list[Attempt]:
        """The attempt log, newest first, filtered by delivery, event or endpoint."""
        query = sa.select(attempts_table).order_by(attempts_table.c.id.desc()).limit(limit)
        if delivery_id is not None:
            query = query.where(attempts_table.c.delivery_id == delivery_id)
        if event_id is not None:
            query = query.where(attempts_table.c.event_id == event_id)
        if endpoint_id is not None:
            query = query.where(attempts_table.c.endpoint_id == endpoint_id)
        with self.engine.connect() as connection:
            return [_attempt(row) for row in connection.execute(query)]

    def attempts_for_endpoint(self, endpoint_id: str, limit: int = 100) -> list[Attempt]:
        return self.attempts(endpoint_id=endpoint_id, limit=limit)

    def attempts_for_event(self, event_id: str, limit: int = 100) -> list[Attempt]:
        return self.attempts(event_id=event_id, limit=limit)
