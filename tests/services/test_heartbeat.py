"""The heartbeat `vigie run` judges hung roles by (services/runtime/heartbeat.py): when a process counts as
stuck, and that a role's loop really beats while it runs."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from services.runtime.heartbeat import (
    BEAT_EVERY_S,
    FIRST_BEAT_ALLOWANCE_S,
    HEARTBEAT_FILE_ENV,
    beating,
    last_beat,
    stuck_for,
)

START = 1_000_000.0
AFTER = 60.0


@pytest.mark.parametrize(
    ("case", "last", "watched_since", "now", "stuck"),
    [
        ("beat a second ago", START + 99, START, START + 100, None),
        ("silent exactly as long as allowed", START + 40, START, START + 100, None),
        ("silent past what is allowed", START + 30, START, START + 100, 70.0),
        (
            "its predecessor's beat does not count, but its start gives it time",
            START - 5,
            START,
            START + 100,
            None,
        ),
        ("never beaten: the first-beat allowance", None, START, START + FIRST_BEAT_ALLOWANCE_S, None),
        (
            "never beaten past the first-beat allowance",
            None,
            START,
            START + FIRST_BEAT_ALLOWANCE_S + 1,
            121.0,
        ),
        (
            "the supervisor was paused: silence counts from its return",
            START + 10,
            START + 90,
            START + 100,
            None,
        ),
        ("silent since the supervisor's return too", START + 10, START + 30, START + 100, 70.0),
    ],
)
def test_a_process_is_stuck_once_its_loop_has_not_beaten_for_longer_than_allowed(
    case: str, last: float | None, watched_since: float, now: float, stuck: float | None
) -> None:
    assert stuck_for(last, START, watched_since, now, AFTER) == stuck, case


def test_never_stuck_when_the_watch_is_off() -> None:
    assert stuck_for(None, START, START, START + 10_000, 0) is None


async def test_a_loop_beats_while_its_main_runs_and_stops_when_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    heartbeat = tmp_path / "heartbeats" / "notifier.heartbeat"
    monkeypatch.setenv(HEARTBEAT_FILE_ENV, str(heartbeat))
    seen: list[float | None] = []

    async def main() -> str:
        await asyncio.sleep(0.1)
        seen.append(last_beat(heartbeat))
        os.utime(heartbeat, (0, 0))  # an old beat: the next one must replace it
        await asyncio.sleep(BEAT_EVERY_S + 0.5)
        seen.append(last_beat(heartbeat))
        return "done"

    assert await beating(main()) == "done"
    first, again = seen
    assert first is not None and again is not None and again > 0, seen
    os.utime(heartbeat, (0, 0))
    await asyncio.sleep(BEAT_EVERY_S + 0.5)
    assert last_beat(heartbeat) == 0, "it beat after its main returned"


async def test_without_a_file_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HEARTBEAT_FILE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)

    async def main() -> int:
        return 7

    assert await beating(main()) == 7
    assert not await asyncio.to_thread(lambda: list(tmp_path.iterdir()))
