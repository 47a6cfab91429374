"""API keys (services/access/auth.py) on each database Vigie supports.

Shown once, kept hashed, scoped, revocable.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from services.access.auth import KeyStore, ScopeError, api_keys_table, hash_key, parse_scopes
from services.storage import Store


@pytest.fixture
def keys(database_url: str) -> KeyStore:
    return KeyStore(Store(database_url).engine)


def test_a_key_is_shown_once_and_only_its_hash_is_kept(keys: KeyStore) -> None:
    record, plaintext = keys.create_key("ci pipeline", {"ingest"})
    assert plaintext.startswith("vk_") and len(plaintext) >= 3 + 24
    with keys.engine.connect() as connection:
        stored = connection.execute(sa.select(api_keys_table)).one()._mapping
    assert plaintext not in str(dict(stored))
    assert stored["hash"] == hash_key(plaintext)
    found = keys.verify(plaintext)
    assert found is not None
    assert (found.id, found.name, found.scopes) == (record.id, "ci pipeline", {"ingest"})
    assert keys.list_keys()[0].last_used_at is not None  # using a key is recorded


def test_unknown_altered_and_revoked_keys_are_refused(keys: KeyStore) -> None:
    record, plaintext = keys.create_key("wall", {"display"})
    assert keys.verify("vk_" + "A" * 32) is None
    assert keys.verify(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
    assert keys.verify("") is None and keys.verify("not-a-key") is None
    revoked = keys.revoke(record.id)
    assert revoked is not None and revoked.revoked_at is not None
    assert keys.verify(plaintext) is None
    assert keys.revoke("key_nope") is None
    assert [k.revoked_at is not None for k in keys.list_keys()] == [True]  # listed, as revoked


def test_two_keys_never_share_a_secret(keys: KeyStore) -> None:
    plaintexts = {keys.create_key(f"k{i}", {"read"})[1] for i in range(20)}
    assert len(plaintexts) == 20


def test_each_scope_allows_what_it_says(keys: KeyStore) -> None:
    allowed = {
        scope: {needed for needed in ("ingest", "read", "operate", "admin", "display") if key.allows(needed)}
        for scope in ("ingest", "read", "operate", "admin", "display")
        for key in [keys.create_key(scope, {scope})[0]]
    }
    assert allowed == {
        "admin": {"ingest", "read", "operate", "admin", "display"},
        "operate": {"operate", "read", "display"},
        "read": {"read", "display"},
        "display": {"display"},
        "ingest": {"ingest"},
    }
    both = keys.create_key("tool", {"ingest", "read"})[0]
    assert both.allows("ingest") and both.allows("display") and not both.allows("operate")


def test_scope_lists_name_what_is_wrong() -> None:
    assert parse_scopes(" read, operate ") == {"read", "operate"}
    with pytest.raises(ScopeError, match="'writer'"):
        parse_scopes("read,writer")
    with pytest.raises(ScopeError, match="at least one"):
        parse_scopes(" , ")


def test_each_vigie_run_revokes_the_previous_runs_keys(keys: KeyStore) -> None:
    _, own = keys.create_key("ops team", {"operate"})
    first_display, first_admin = keys.issue_run_keys(datetime(2026, 1, 1, tzinfo=UTC))
    wall, console = keys.verify(first_display), keys.verify(first_admin)
    assert wall is not None and wall.scopes == {"display"} and wall.name.startswith("vigie run 2026-01-01")
    assert console is not None and console.scopes == {"admin"}
    display, admin = keys.issue_run_keys(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=1))
    assert keys.verify(first_display) is None and keys.verify(first_admin) is None
    assert keys.verify(display) is not None and keys.verify(admin) is not None
    assert keys.verify(own) is not None  # keys people made are left alone


def test_the_walls_token_survives_a_restart_until_rotated(keys: KeyStore) -> None:
    display, first_admin = keys.issue_run_keys()
    kept, admin = keys.issue_run_keys(keep_display=display)
    assert kept == display and keys.verify(display) is not None
    assert keys.verify(first_admin) is None and keys.verify(admin) is not None
    # A key that is not a run's wall token is not kept as one (an admin key would widen the wall's view).
    replaced, _ = keys.issue_run_keys(keep_display=admin)
    assert replaced != admin and keys.verify(admin) is None
    assert keys.verify(display) is None  # a new wall token replaces every previous one
    rotated = keys.rotate_display()
    assert keys.verify(replaced) is None and keys.verify(rotated) is not None
    refused, _ = keys.issue_run_keys(keep_display=replaced)  # a revoked token is not brought back
    assert refused != replaced and keys.verify(refused) is not None and keys.verify(rotated) is None
