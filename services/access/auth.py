"""API keys: who may see what.

A key is `vk_` and 32 random url-safe characters, shown once when created; the database keeps only its
SHA-256. A key carries 256 bits of randomness, so a slow password hash (bcrypt, argon2) would add nothing:
nobody can guess a key whose hash they stole, and a fast hash lets every request be checked cheaply.
Verifying looks the hash up by index, so the time taken does not depend on how much of a key is right.

Scopes, from the widest:
- `admin`: everything (delivery endpoints, which hold signing secrets and make the server call out, too).
- `operate`: what `read` allows, plus acting on alerts, silences, watchlists, rules, subscriptions and
  redeliveries (the operator console's writes).
- `read`: every GET and the websocket.
- `display`: the websocket and the GETs of what the wall shows (watchlists, their metrics, insights,
  alerts); for a screen in a room, nothing else.
- `ingest`: POST mentions and hooks, only.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

import sqlalchemy as sa

from services.storage import metadata

Scope = Literal["ingest", "read", "operate", "admin", "display"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
KEY_PREFIX = "vk_"
#: What each scope also grants (admin grants everything, including ingest).
IMPLIED: dict[Scope, frozenset[Scope]] = {
    "admin": frozenset(SCOPES),
    "operate": frozenset({"operate", "read", "display"}),
    "read": frozenset({"read", "display"}),
    "display": frozenset({"display"}),
    "ingest": frozenset({"ingest"}),
}
#: `last_used_at` is written at most this often per key, so checking a key rarely costs a write.
LAST_USED_RESOLUTION_S = 60.0
#: Keys `vigie run` creates for itself are named with this prefix, and the previous run's are revoked.
RUN_KEY_NAME_PREFIX = "vigie run "

api_keys_table = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("scopes", sa.String(200), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)


class ScopeError(ValueError):
    """A scope list that names something other than the known scopes."""


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def allows(self, needed: Scope) -> bool:
        return any(needed in IMPLIED[scope] for scope in self.scopes)


def parse_scopes(text: str) -> frozenset[Scope]:
    """`"read,operate"` -> {"read", "operate"}; raises ScopeError naming what is not a scope."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ScopeError(f"expected at least one scope of {', '.join(SCOPES)}, got {text!r}")
    unknown = [name for name in names if name not in SCOPES]
    if unknown:
        raise ScopeError(f"expected scopes among {', '.join(SCOPES)}, got {', '.join(map(repr, unknown))}")
    return frozenset(name for name in SCOPES if name in names)


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; they were written in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _record(row: sa.Row[tuple[object, ...]]) -> ApiKey:
    mapping = row._mapping
    created = _aware(mapping["created_at"])
    assert created is not None
    return ApiKey(
        id=mapping["id"],
        name=mapping["name"],
        scopes=parse_scopes(mapping["scopes"]),
        created_at=created,
        last_used_at=_aware(mapping["last_used_at"]),
        revoked_at=_aware(mapping["revoked_at"]),
    )


class KeyStore:
    """The `api_keys` table of the configuration database (services/storage.py)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        api_keys_table.create(engine, checkfirst=True)

    def create_key(self, name: str, scopes: frozenset[Scope] | set[Scope]) -> tuple[ApiKey, str]:
        """A new key: its record and its plaintext, which is not kept anywhere (show it once)."""
        if not name.strip():
            raise ValueError("expected a name for the key (who or what uses it), got nothing")
        if not scopes or not set(scopes) <= set(SCOPES):
            raise ScopeError(f"expected scopes among {', '.join(SCOPES)}, got {sorted(scopes)!r}")
        plaintext = KEY_PREFIX + secrets.token_urlsafe(24)
        record = ApiKey(
            id="key_" + secrets.token_hex(6),
            name=name.strip(),
            scopes=frozenset(scopes),
            created_at=datetime.now(UTC),
        )
        with self.engine.begin() as connection:
            connection.execute(
                api_keys_table.insert().values(
                    id=record.id,
                    name=record.name,
                    scopes=",".join(s for s in SCOPES if s in record.scopes),
                    hash=hash_key(plaintext),
                    created_at=record.created_at,
                )
            )
        return record, plaintext

    def verify(self, plaintext: str, now: datetime | None = None) -> ApiKey | None:
        """The live (not revoked) key with this plaintext, or None."""
        if not plaintext.startswith(KEY_PREFIX):
            return None
        now = now or datetime.now(UTC)
        table = api_keys_table
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(table).where(table.c.hash == hash_key(plaintext))).first()
        if row is None:
            return None
        record = _record(row)
        if record.revoked_at is not None:
            return None
        seen = record.last_used_at
        if seen is None or now - seen >= timedelta(seconds=LAST_USED_RESOLUTION_S):
            with self.engine.begin() as connection:
                connection.execute(table.update().where(table.c.id == record.id).values(last_used_at=now))
        return record

    def revoke(self, key_id: str) -> ApiKey | None:
        """Revoke a key (kept, listed as revoked); None when there is no key with that id."""
        table = api_keys_table
        with self.engine.begin() as connection:
            connection.execute(
                table.update()
                .where(table.c.id == key_id, table.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
            row = connection.execute(sa.select(table).where(table.c.id == key_id)).first()
        return _record(row) if row is not None else None

    def revoked_among(self, key_ids: Iterable[str]) -> set[str]:
        """Those of `key_ids` that are revoked now (or gone): one query, for open websockets to be closed."""
        wanted = set(key_ids)
        if not wanted:
            return set()
        table = api_keys_table
        with self.engine.connect() as connection:
            live = connection.execute(
                sa.select(table.c.id).where(table.c.id.in_(wanted), table.c.revoked_at.is_(None))
            )
            return wanted - {row.id for row in live}

    def list_keys(self) -> list[ApiKey]:
        """Every key, oldest first, revoked ones included."""
        table = api_keys_table
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(table).order_by(table.c.created_at, table.c.id))
            return [_record(row) for row in rows]

    def issue_run_keys(self, now: datetime | None = None, keep_display: str = "") -> tuple[str, str]:
        """`vigie run`'s display token and admin key for this run: (display, admin) plaintexts. The
        previous runs' admin keys are revoked, so a console address printed by an earlier run stops
        working. The wall's token `keep_display` (the previous run's) is kept while it is live, so a
        kiosk left open survives a restart; otherwise a new one replaces every previous run's."""
        kept = self.verify(keep_display) if keep_display else None
        if kept is not None and not (
            kept.scopes == {"display"} and kept.name.startswith(RUN_KEY_NAME_PREFIX)
        ):
            kept = None
        for key in self.list_keys():
            mine = key.name.startswith(RUN_KEY_NAME_PREFIX) and key.revoked_at is None
            if mine and (kept is None or key.id != kept.id):
                self.revoke(key.id)
        stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        display = keep_display if kept is not None else self._run_display_key(stamp)
        _, admin = self.create_key(f"{RUN_KEY_NAME_PREFIX}{stamp} (console)", {"admin"})
        return display, admin

    def rotate_display(self, now: datetime | None = None) -> str:
        """A new display token for `vigie run`'s wall; the one it replaces is revoked."""
        for key in self.list_keys():
            if (
                key.name.startswith(RUN_KEY_NAME_PREFIX)
                and key.name.endswith("(wall)")
                and not key.revoked_at
            ):
                self.revoke(key.id)
        return self._run_display_key((now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"))

    def _run_display_key(self, stamp: str) -> str:
        _, display = self.create_key(f"{RUN_KEY_NAME_PREFIX}{stamp} (wall)", {"display"})
        return display
