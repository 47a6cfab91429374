"""The alert rules of a watchlist (services/alerts/rules.py). A watchlist without its own uses the defaults.

PUT takes the whole rule set; every part and field has a default, so `{"volume_spike": {"sensitivity":
"high"}}` changes one thing. Saved in the database and sent to workers on `vigie.config`.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, HTTPException, Request

from api.alert_feed import AlertsDep
from api.deps import RuntimeDep
from api.errors import FieldErrorRoute
from api.openapi import KEYED, body_doc, refusals
from api.routes.alerts import read_body
from services.alerts.rules import DEFAULT_RULES, RuleSet

router = APIRouter(
    prefix="/api/v1/watchlists", tags=["watchlists"], route_class=FieldErrorRoute, responses=KEYED
)

BODY_DOC = body_doc(
    RuleSet,
    {"volume_spike": {"sensitivity": "high", "min_count": 30}},
)


def _check_watchlist(watchlist_id: str, runtime: RuntimeDep) -> None:
    if runtime.store.get_watchlist(watchlist_id) is None:
        raise HTTPException(404, detail=[{"field": "id", "error": f"no watchlist with id {watchlist_id!r}"}])


def _out(rules: RuleSet, default: bool) -> dict[str, Any]:
    body: dict[str, Any] = msgspec.to_builtins(rules)
    body["default"] = default
    return body


@router.get("/{watchlist_id}/rules", summary="The alert rules of a watchlist", responses=refusals(404))
async def get_rules(watchlist_id: str, runtime: RuntimeDep, alerts: AlertsDep) -> dict[str, Any]:
    """The rule set; `default` says whether it is the defaults (nothing saved for this watchlist)."""
    _check_watchlist(watchlist_id, runtime)
    stored = alerts.store.get_rules(watchlist_id)
    return _out(stored or DEFAULT_RULES, stored is None)


@router.put(
    "/{watchlist_id}/rules",
    summary="Replace the alert rules of a watchlist",
    openapi_extra=BODY_DOC,
    responses=refusals(404, 413),
)
async def put_rules(
    watchlist_id: str, request: Request, runtime: RuntimeDep, alerts: AlertsDep
) -> dict[str, Any]:
    _check_watchlist(watchlist_id, runtime)
    rules = await read_body(request, RuleSet)
    alerts.store.save_rules(watchlist_id, rules)
    await alerts.publish_rules(watchlist_id, rules)
    return _out(rules, False)
