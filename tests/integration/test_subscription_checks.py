"""Subscriptions are checked when saved: what they name must exist, and an inline URL target is an endpoint
(the `admin` scope, the address guard), so nothing fails only when an alert fires."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from services.access.auth import KeyStore
from services.settings import Settings
from services.storage import Store
from tests.conftest import create_watchlist, unique
from tests.stack import running_stack


def refused(response: httpx.Response, status: int, field: str) -> str:
    assert response.status_code == status, response.text
    [problem] = response.json()["detail"]
    assert problem["field"] == field, problem
    reason: str = problem["error"]
    return reason


async def test_a_subscription_naming_what_does_not_exist_or_an_unguarded_target_is_refused_when_saved(
    tmp_path: Path,
) -> None:
    # A stack with the default guard (private targets refused), unlike the session's.
    with running_stack(tmp_path / "vigie") as stack:
        store = Store(Settings(_env_file=None, data_dir=stack.data_dir).db_url)
        try:
            operate_key = KeyStore(store.engine).create_key("on-call lead", {"operate"})[1]
        finally:
            store.close()
        async with stack.http() as admin:
            operator = {"Authorization": f"Bearer {operate_key}"}
            watchlist = (await create_watchlist(admin, name=unique("checked")))["id"]
            email = await admin.post(
                "/api/v1/endpoints", json={"kind": "email", "address": "ana@example.com"}
            )
            assert email.status_code == 201, email.text
            endpoint = email.json()["id"]
            good: dict[str, Any] = {"name": "Ana", "channel": endpoint, "watchlists": [watchlist]}

            async def post(body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
                return await admin.post("/api/v1/subscriptions", json=body, headers=headers)

            reason = refused(await post({**good, "watchlists": [watchlist, "nope"]}), 422, "watchlists[1]")
            assert "'nope'" in reason
            assert "'ep_gone'" in refused(await post({**good, "channel": "ep_gone"}), 422, "channel")
            escalation = [{"after_min": 5, "contacts": [{"name": "Lead", "channel": "ep_gone"}]}]
            refused(await post({**good, "escalation": escalation}), 422, "escalation[0].contacts[0].channel")
            put = await admin.put("/api/v1/subscriptions/sub-x", json={**good, "channel": "ep_gone"})
            refused(put, 422, "channel")

            # An inline webhook is an endpoint created in passing: admin only, as POST /endpoints is.
            hook = {"kind": "webhook", "target": "http://127.0.0.1:9/hook"}
            reason = refused(await post({**good, "channel": hook}, operator), 403, "authorization")
            assert "`admin`" in reason
            # ...and the address guard refuses it as it refuses such an endpoint (it sends nothing).
            reason = refused(await post({**good, "channel": hook}), 422, "channel.target")
            assert "loopback" in reason
            inline_email = {"kind": "email", "target": "not an address"}
            refused(await post({**good, "channel": inline_email}, operator), 422, "channel.target")

            # What exists and is allowed saves, inline e-mail included, with the operate scope.
            created = await post(
                {
                    **good,
                    "escalation": [
                        {
                            "after_min": 5,
                            "contacts": [
                                {"name": "Lead", "channel": {"kind": "email", "target": "lead@example.com"}}
                            ],
                        }
                    ],
                },
                operator,
            )
            assert created.status_code == 201, created.text
            listed = (await admin.get("/api/v1/subscriptions")).json()
            assert [s["id"] for s in listed] == [created.json()["id"]], "nothing refused was saved"
