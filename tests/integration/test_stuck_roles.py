"""A role that hangs under `vigie run` (alive, its event loop stuck) is killed and started again, as one that
exits is: the room gets its alert rules and its api back without anyone at the terminal."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.runtime.supervisor import ROLES_WATCHED
from tests.conftest import posted_mention, wait_for
from tests.stack import Stack, child_pids, command_line, running_stack

STUCK_AFTER_S = 6


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {"VIGIE_ROLE_STUCK_AFTER_S": str(STUCK_AFTER_S)}
    with running_stack(Path(tmp_path_factory.mktemp("vigie-stuck")), extra_env=env) as s:
        yield s


def role_pid(stack: Stack, role: str) -> int | None:
    found = [
        pid
        for pid in child_pids(stack.process.pid)
        if command_line(pid)[2:4] == ["services.runtime.cli", role]
    ]
    return found[0] if found else None


def test_every_watched_role_beats_while_it_works(stack: Stack) -> None:
    folder = stack.data_dir / "heartbeats"
    names = ["worker-1", "insights", "api", "notifier", "archiver", "connectors"]
    assert {"worker", "api", "notifier", "archiver", "connectors"} <= set(ROLES_WATCHED)
    time.sleep(3)  # more than a beat interval: each file was touched again meanwhile
    ages = {name: time.time() - (folder / f"{name}.heartbeat").stat().st_mtime for name in names}
    assert all(age < 3 for age in ages.values()), ages


async def test_a_hung_insights_process_and_a_hung_api_are_killed_and_started_again(stack: Stack) -> None:
    hung = {role: role_pid(stack, role) for role in ("insights", "api")}
    assert None not in hung.values(), hung
    for pid in hung.values():
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)

    async def restarted() -> bool:
        said = stack.terminal()
        if not all(f"{role} has been stuck for" in said for role in hung):
            return False
        now = {role: role_pid(stack, role) for role in hung}
        return all(now[role] not in (None, hung[role]) for role in hung)

    await wait_for(restarted, timeout_s=60, interval_s=0.5)
    said = stack.terminal()
    assert "(alive, its event loop not running); killing it so that it starts again" in said, said
    assert "insights exited with code -9; restarting in" in said, said
    left = set(child_pids(stack.process.pid))
    assert not left & set(hung.values()), "a stopped process was left behind"

    async with stack.http() as client:

        async def insights_reporting() -> bool:
            try:
                ready = await client.get("/readyz")
            except httpx.HTTPError:
                return False
            return ready.status_code == 200 and ready.json().get("insights_alive", 0) >= 1

        await wait_for(insights_reporting, timeout_s=60, interval_s=0.5)
        accepted = await client.post("/api/v1/mentions", json=[posted_mention("after the restart")])
        assert accepted.status_code == 202, accepted.text
