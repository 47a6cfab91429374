"""A restart of `vigie run` (a fresh embedded broker that remembers nothing) does not leave the previous run's
alerts firing forever: the engine re-evaluates them and resolves those whose condition no longer holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.alerts.events import fingerprint
from services.alerts.store import AlertStore
from services.settings import Settings
from services.storage import Store
from tests.conftest import wait_for
from tests.stack import running_stack, spike_fired


async def test_an_alert_left_firing_by_the_previous_run_resolves_after_the_clear_period_saying_why(
    tmp_path: Path,
) -> None:
    # What the previous run left in the database: a spike alert still firing.
    alert_id = fingerprint("volume_spike", "gone-quiet")
    store = Store(Settings(_env_file=None, data_dir=tmp_path).db_url)
    try:
        AlertStore(store.engine).record(spike_fired("gone-quiet", alert_id))
    finally:
        store.close()
    resolve_after = {"VIGIE_ALERT_RESOLVE_AFTER_S": "4", "VIGIE_ALERT_TICK_INTERVAL_S": "1"}
    with running_stack(tmp_path, extra_env=resolve_after) as stack:
        async with stack.http() as client:

            async def resolved() -> dict[str, Any] | None:
                response = await client.get(f"/api/v1/alerts/{alert_id}")
                assert response.status_code == 200, response.text
                alert: dict[str, Any] = response.json()
                return alert if alert["status"] == "resolved" else None

            alert = await wait_for(resolved, timeout_s=60)
            assert alert["by"] is None, "resolved by the rule engine, not by a person"
            history = (await client.get(f"/api/v1/alerts/{alert_id}/history")).json()
            assert [event["status"] for event in history] == ["firing", "resolved"]
            reason = history[-1]["details"]["reason"]
            assert "after a restart" in reason and "not seen again" in reason
