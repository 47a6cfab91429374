"""Watchlist queries end to end on the real stack: validated by the API, matched by the worker, counted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import create_watchlist, unique, wait_total


def mention(text: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": unique("m"),
        "text": text,
        "author": {"handle": "someone", "followers": 10},
        "created_at": datetime.now(UTC).isoformat(),
        **extra,
    }


def brand_name() -> str:
    return unique("q").replace("-", "")


async def test_a_watchlist_with_a_query_counts_exactly_the_mentions_it_describes(
    client: httpx.AsyncClient,
) -> None:
    brand = brand_name()
    query = f'{brand.upper()} AND (retard* OR "lost luggage") NOT refund'
    watchlist = await create_watchlist(client, name=brand, query=query)
    assert watchlist["query"] == query
    batch = [
        mention(f"{brand} encore en retard 😤"),  # yes
        mention(f"{brand}: lost-luggage again"),  # yes
        mention(f"Vol l'{brand.capitalize()} retardé de 2h"),  # yes: elision, case, prefix
        mention(f"{brand} lost my luggage"),  # no: not the phrase
        mention(f"{brand} retard, I want a refund"),  # no: excluded
        mention(f"{brand} is on time"),  # no
        mention("retard everywhere today"),  # no: not about the brand
    ]
    response = await client.post("/api/v1/mentions", json=batch)
    assert response.status_code == 202, response.text
    await wait_total(client, watchlist["id"], 3)


async def test_lang_queries_see_the_detected_language_and_trust_a_source_tag(
    client: httpx.AsyncClient,
) -> None:
    brand = brand_name()
    watchlist = await create_watchlist(client, name=brand, query=f"{brand} lang:fr")
    batch = [
        mention(f"{brand} a encore perdu mes bagages, c'est vraiment n'importe quoi ce matin"),  # detected fr
        mention(f"{brand} ok", lang="fr-FR"),  # tagged fr
        mention(f"{brand} lost my luggage again this morning, what a joke"),  # detected en
        mention(f"{brand} a encore perdu mes bagages, c'est vraiment n'importe quoi", lang="en"),  # tagged en
    ]
    response = await client.post("/api/v1/mentions", json=batch)
    assert response.status_code == 202, response.text
    await wait_total(client, watchlist["id"], 2)


async def test_a_bad_query_is_refused_with_its_position_and_nothing_is_saved(
    client: httpx.AsyncClient,
) -> None:
    brand = brand_name()
    query = f"{brand} AND (x OR"
    response = await client.post("/api/v1/watchlists", json={"name": brand, "query": query})
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["field"] == "query"
    assert problem["position"] == len(query)
    assert problem["expected"] == 'a term or "(" after OR'
    assert problem["found"] == "end of query"
    assert (await client.get(f"/api/v1/watchlists/{brand}")).status_code == 404
    put = await client.put(f"/api/v1/watchlists/{brand}", json={"name": brand, "query": "lang:klingon"})
    assert put.status_code == 422
    assert put.json()["detail"][0]["position"] == 5


async def test_a_query_can_be_checked_as_it_is_typed(client: httpx.AsyncClient) -> None:
    good = await client.post("/api/v1/queries/validate", json={"query": "Aerolis #FlyAerolis NOT boycot*"})
    assert good.status_code == 200
    assert good.json() == {
        "valid": True,
        "terms": ["aerolis", "#flyaerolis", "boycot*"],
        "normalized": "aerolis AND #flyaerolis AND NOT boycot*",
        "warnings": [],
    }
    lower = await client.post("/api/v1/queries/validate", json={"query": "Aerolis and delay"})
    assert lower.status_code == 200
    [warning] = lower.json()["warnings"]
    assert warning.startswith('"and" is read as a word to find, not as an operator: write AND'), warning
    bad = await client.post("/api/v1/queries/validate", json={"query": 'Aerolis NEAR/3 "en retard'})
    assert bad.status_code == 422
    [problem] = bad.json()["detail"]
    assert (problem["field"], problem["position"], problem["found"]) == ("query", 25, "end of query")
    assert problem["expected"] == "a closing quote for the phrase opened at character 16"
    missing = await client.post("/api/v1/queries/validate", json={"text": "Aerolis"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["field"] == "query"
