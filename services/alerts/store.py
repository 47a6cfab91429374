"""Alert tables in the configuration database (services/storage.py): current alerts, their history (every
event, each once), silences, subscriptions and the rules of each watchlist.

`record(event)` is idempotent and order-tolerant: the history keeps each `event_id` once, the current state
of an alert only moves forward (services/alerts/lifecycle.order_key), so every api node can fold the whole
`vigie.alerts` topic in, redeliveries and all, and agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

import msgspec
import sqlalchemy as sa

from services.alerts.events import AlertEvent, decode_event, encode_event
from services.alerts.lifecycle import supersedes
from services.alerts.rules import RuleSet
from services.alerts.silences import Silence
from services.alerts.subscriptions import Subscription
from services.storage import metadata

T = TypeVar("T")

alerts_table = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("watchlist", sa.String(64), nullable=False, index=True),
    sa.Column("rule", sa.String(32), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("body", sa.Text, nullable=False),
)
alert_history_table = sa.Table(
    "alert_history",
    metadata,
    sa.Column("event_id", sa.String(160), primary_key=True),
    sa.Column("alert_id", sa.String(64), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)
silences_table = sa.Table(
    "silences",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("body", sa.Text, nullable=False),
)
subscriptions_table = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
)
alert_rules_table = sa.Table(
    "alert_rules",
    metadata,
    sa.Column("watchlist", sa.String(64), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
TABLES = [alerts_table, alert_history_table, silences_table, subscriptions_table, alert_rules_table]


def _encode(record: msgspec.Struct) -> str:
    return msgspec.json.encode(record).decode()


class AlertStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        metadata.create_all(engine, tables=TABLES)

    # -- alerts and history ------------------------------------------------------------------------------

    def record(self, event: AlertEvent) -> bool:
        """Keep the event in the history and move the alert's current state; False when seen before."""
        try:
            return self._record(event)
        except sa.exc.IntegrityError:  # another api node recorded the same event at the same moment
            return False

    def _record(self, event: AlertEvent) -> bool:
        with self.engine.begin() as connection:
            seen = connection.execute(
                sa.select(alert_history_table.c.event_id).where(
                    alert_history_table.c.event_id == event.event_id
                )
            ).first()
            if seen is not None:
                return False
            body = encode_event(event).decode()
            connection.execute(
                alert_history_table.insert().values(
                    event_id=event.event_id, alert_id=event.alert_id, at=event.at, body=body
                )
            )
            current = connection.execute(
                sa.select(alerts_table.c.body).where(alerts_table.c.id == event.alert_id)
            ).scalar_one_or_none()
            if current is not None and not supersedes(event, decode_event(current.encode())):
                return True
            values = {
                "watchlist": event.watchlist,
                "rule": event.rule,
                "severity": event.severity,
                "status": event.status,
                "updated_at": event.at,
                "body": body,
            }
            if current is None:
                connection.execute(alerts_table.insert().values(id=event.alert_id, **values))
            else:
                connection.execute(
                    alerts_table.update().where(alerts_table.c.id == event.alert_id).values(**values)
                )
        return True

    def get_alert(self, alert_id: str) -> AlertEvent | None:
        with self.engine.connect() as connection:
            body = connection.execute(
                sa.select(alerts_table.c.body).where(alerts_table.c.id == alert_id)
            ).scalar_one_or_none()
        return decode_event(body.encode()) if body is not None else None

    def list_alerts(
        self,
        *,
        status: str | None = None,
        watchlist: str | None = None,
        severity: str | None = None,
        rule: str | None = None,
        limit: int = 100,
    ) -> list[AlertEvent]:
        """Current alerts, most recently changed first."""
        query = sa.select(alerts_table.c.body).order_by(alerts_table.c.updated_at.desc()).limit(limit)
        for column, value in (
            (alerts_table.c.status, status),
            (alerts_table.c.watchlist, watchlist),
            (alerts_table.c.severity, severity),
            (alerts_table.c.rule, rule),
        ):
            if value is not None:
                query = query.where(column == value)
        with self.engine.connect() as connection:
            return [decode_event(row.body.encode()) for row in connection.execute(query)]

    def history(self, alert_id: str) -> list[AlertEvent]:
        """Every event of the alert, all episodes, oldest first."""
        query = (
            sa.select(alert_history_table.c.body)
            .where(alert_history_table.c.alert_id == alert_id)
            .order_by(alert_history_table.c.at, alert_history_table.c.event_id)
        )
        with self.engine.connect() as connection:
            return [decode_event(row.body.encode()) for row in connection.execute(query)]

    def history_since(self, since: datetime, limit: int = 20_000) -> list[AlertEvent]:
        """Every event of every alert changed since `since` (oldest first): what incidents are made of."""
        changed = sa.select(alerts_table.c.id).where(alerts_table.c.updated_at >= since)
        query = (
            sa.select(alert_history_table.c.body)
            .where(alert_history_table.c.alert_id.in_(changed))
            .order_by(alert_history_table.c.at, alert_history_table.c.event_id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [decode_event(row.body.encode()) for row in connection.execute(query)]

    # -- silences, subscriptions (records stored whole) --------------------------------------------------

    def save_silence(self, silence: Silence) -> Silence:
        self._put(silences_table, silence.id, _encode(silence), ends_at=silence.ends_at)
        return silence

    def get_silence(self, silence_id: str) -> Silence | None:
        return self._get(silences_table, silence_id, Silence)

    def list_silences(self, active_at: datetime | None = None) -> list[Silence]:
        """All silences, or those active at a time (the notifier's question)."""
        query = sa.select(silences_table.c.body).order_by(silences_table.c.ends_at.desc())
        if active_at is not None:
            query = query.where(silences_table.c.ends_at > active_at)
        silences = self._all(query, Silence)
        return [s for s in silences if active_at is None or s.active(active_at)]

    def delete_silence(self, silence_id: str) -> bool:
        return self._delete(silences_table, silence_id)

    def save_subscription(self, subscription: Subscription) -> Subscription:
        self._put(subscriptions_table, subscription.id, _encode(subscription))
        return subscription

    def get_subscription(self, subscription_id: str) -> Subscription | None:
        return self._get(subscriptions_table, subscription_id, Subscription)

    def list_subscriptions(self) -> list[Subscription]:
        return self._all(
            sa.select(subscriptions_table.c.body).order_by(subscriptions_table.c.id), Subscription
        )

    def delete_subscription(self, subscription_id: str) -> bool:
        return self._delete(subscriptions_table, subscription_id)

    # -- rules -------------------------------------------------------------------------------------------

    def get_rules(self, watchlist: str) -> RuleSet | None:
        """The watchlist's stored rules; None when it uses the defaults."""
        with self.engine.connect() as connection:
            body = connection.execute(
                sa.select(alert_rules_table.c.body).where(alert_rules_table.c.watchlist == watchlist)
            ).scalar_one_or_none()
        return msgspec.json.decode(body, type=RuleSet) if body is not None else None

    def save_rules(self, watchlist: str, rules: RuleSet) -> RuleSet:
        values = {"body": _encode(rules), "updated_at": datetime.now(UTC)}
        with self.engine.begin() as connection:
            updated = connection.execute(
                alert_rules_table.update().where(alert_rules_table.c.watchlist == watchlist).values(**values)
            )
            if updated.rowcount == 0:
                connection.execute(alert_rules_table.insert().values(watchlist=watchlist, **values))
        return rules

    def all_rules(self) -> dict[str, RuleSet]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(alert_rules_table.c.watchlist, alert_rules_table.c.body))
            return {row.watchlist: msgspec.json.decode(row.body, type=RuleSet) for row in rows}

    # -- helpers -----------------------------------------------------------------------------------------

    def _put(self, table: sa.Table, key: str, body: str, **columns: object) -> None:
        with self.engine.begin() as connection:
            updated = connection.execute(table.update().where(table.c.id == key).values(body=body, **columns))
            if updated.rowcount == 0:
                connection.execute(table.insert().values(id=key, body=body, **columns))

    def _get(self, table: sa.Table, key: str, type_: type[T]) -> T | None:
        with self.engine.connect() as connection:
            body = connection.execute(sa.select(table.c.body).where(table.c.id == key)).scalar_one_or_none()
        return msgspec.json.decode(body, type=type_) if body is not None else None

    def _all(self, query: sa.Select[tuple[str]], type_: type[T]) -> list[T]:
        with self.engine.connect() as connection:
            return [msgspec.json.decode(row.body, type=type_) for row in connection.execute(query)]

    def _delete(self, table: sa.Table, key: str) -> bool:
        with self.engine.begin() as connection:
            return connection.execute(table.delete().where(table.c.id == key)).rowcount > 0
