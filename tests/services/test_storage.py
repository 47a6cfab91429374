"""The configuration database on both engines Vigie supports: SQLite (default) and PostgreSQL (by URL)."""

from __future__ import annotations

from services.storage import Store
from services.understanding.watchlists import Watchlist


def test_watchlists_are_saved_listed_replaced_and_deleted(database_url: str) -> None:
    store = Store(database_url)
    try:
        assert store.list_watchlists() == []
        first = store.save_watchlist(Watchlist(id="aerolis", name="Aerolis", keywords=["aerolis"]))
        store.save_watchlist(Watchlist(id="skyvane", name="Skyvane", kind="competitor", group="airlines"))
        assert [w.id for w in store.list_watchlists()] == ["aerolis", "skyvane"]

        renamed = Watchlist(id="aerolis", name="Aerolis Airlines", keywords=["aerolis"])
        replaced = store.save_watchlist(renamed)
        assert replaced.created_at == first.created_at
        assert replaced.updated_at >= first.updated_at
        loaded = store.get_watchlist("aerolis")
        assert loaded is not None and loaded.name == "Aerolis Airlines"

        assert store.delete_watchlist("aerolis") is True
        assert store.delete_watchlist("aerolis") is False
        assert store.get_watchlist("aerolis") is None
        assert [w.id for w in store.list_watchlists()] == ["skyvane"]
    finally:
        store.close()


def test_text_in_any_language_survives_the_round_trip(database_url: str) -> None:
    store = Store(database_url)
    try:
        name = "Crème brûlée 🍮 «Ça va» — 東京"
        store.save_watchlist(Watchlist(id="dessert", name=name, keywords=["crème brûlée", "🍮"]))
        loaded = store.get_watchlist("dessert")
        assert loaded is not None and loaded.name == name and loaded.keywords == ["crème brûlée", "🍮"]
    finally:
        store.close()
