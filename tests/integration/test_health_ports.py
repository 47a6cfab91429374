"""`vigie run` with VIGIE_HEALTH_PORT: every role that serves health checks answers on a port of its own
(they used to share worker-1's, so only one of them could)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import wait_for
from tests.stack import free_consecutive_ports, running_stack

ROLES = ["worker", "insights", "notifier", "archiver", "connectors"]


async def test_each_role_answers_its_health_checks_on_the_port_vigie_run_names(tmp_path: Path) -> None:
    base = free_consecutive_ports(len(ROLES))
    env = {"VIGIE_HEALTH_PORT": str(base), "VIGIE_WORKERS": "1"}
    with running_stack(tmp_path, extra_env=env) as stack:
        said = (
            "health checks (/healthz, /readyz, /metrics) on 127.0.0.1: "
            f"worker-1 {base}, insights {base + 1}, notifier {base + 2}"
        )
        assert said in stack.terminal(), stack.terminal()
        async with httpx.AsyncClient(timeout=5) as client:
            for offset, role in enumerate(ROLES):

                async def answers(port: int = base + offset) -> dict[str, str] | None:
                    try:
                        response = await client.get(f"http://127.0.0.1:{port}/healthz")
                    except httpx.TransportError:
                        return None
                    return dict(response.json()) if response.status_code == 200 else None

                body = await wait_for(answers, timeout_s=30)
                assert body is not None and body["role"].startswith(role), (role, body)
