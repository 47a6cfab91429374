"""Several worker processes on one machine (VIGIE_WORKERS): `vigie run` starts them as roles of their own and
they share the partitions; one killed mid-replay is restarted and no mention is lost or counted twice.
`vigie worker --processes 2` does the same alone, each process with its own health port, and stops both
cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from services.runtime.kafka import RAW, MentionPublisher, make_producer
from services.settings import Settings
from tests.conftest import unique, wait_for
from tests.integration.test_scale_out_worker_kill import (
    assert_totals_settle,
    chunks_of,
    replay,
    watched_brands,
)
from tests.stack import Stack, child_pids, command_line, free_port, running_stack, start_role, stop_role


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(Path(tmp_path_factory.mktemp("vigie-workers")), extra_env={"VIGIE_WORKERS": "2"}) as s:
        yield s


@pytest.fixture(scope="module")
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with stack.http() as http:
        yield http


def worker_pids(parent: int) -> list[int]:
    return [pid for pid in child_pids(parent) if command_line(pid)[2:4] == ["services.runtime.cli", "worker"]]


async def test_two_workers_share_the_partitions_and_one_killed_mid_replay_loses_and_doubles_nothing(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    # Ready means both hold partitions, and so does the insights process: the api hears from the three,
    # each with a log of its own.
    ready = (await client.get("/readyz")).json()
    assert (ready["workers_alive"], ready["insights_alive"]) == (3, 1), ready
    assert "started worker-1, worker-2, insights, api" in stack.terminal(), stack.terminal()
    logs = stack.data_dir / "logs"
    assert (logs / "worker-1.log").exists() and (logs / "worker-2.log").exists()
    workers = worker_pids(stack.process.pid)
    assert len(workers) == 2, [command_line(pid) for pid in child_pids(stack.process.pid)]

    brands = await watched_brands(client, 3)
    mentions, expected = replay(brands, 20_000, unique("two"))
    chunks = chunks_of(mentions)
    producer = make_producer(Settings.model_validate({"kafka_bootstrap": stack.bootstrap}))
    await producer.start()
    try:
        publisher = MentionPublisher(producer, Settings.model_validate({}).topic(RAW), 500)
        for number, chunk in enumerate(chunks):
            if number == len(chunks) // 2:
                os.kill(workers[1], signal.SIGKILL)  # no goodbye: the other takes its partitions meanwhile
            await publisher.publish(chunk)
            await asyncio.sleep(0.1)
    finally:
        await producer.stop()
    await assert_totals_settle(client, expected, stack)

    # The supervisor said so, restarted it, and the room is back to two workers.
    assert "exited with code -9; restarting" in stack.terminal(), stack.terminal()

    async def two_again() -> bool:
        now = worker_pids(stack.process.pid)
        return len(now) == 2 and workers[1] not in now and workers[0] in now

    await wait_for(two_again, timeout_s=30, interval_s=0.5)


async def test_vigie_worker_with_two_processes_serves_two_health_ports_and_stops_both(
    stack: Stack, tmp_path: Path
) -> None:
    port = free_port()  # the first process's; the second takes the next one
    log = tmp_path / "pool.log"
    pool = start_role(
        stack,
        "worker",
        log,
        {"VIGIE_WORKERS": "2", "VIGIE_HEALTH_PORT": str(port), "VIGIE_DATA_DIR": str(tmp_path)},
    )
    try:

        async def both_ready() -> bool:
            assert pool.poll() is None, log.read_text()[-3000:]
            answers = []
            async with httpx.AsyncClient(timeout=2) as http:
                for url in (f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"):
                    try:
                        answers.append((await http.get(f"{url}/readyz")).status_code)
                    except httpx.HTTPError:
                        return False
            return answers == [200, 200]

        # Both processes of the pool hold partitions of the stack's topics, each on its own port.
        await wait_for(both_ready, timeout_s=90, interval_s=0.5)
        processes = worker_pids(pool.pid)
        assert len(processes) == 2, log.read_text()[-3000:]
    finally:
        stop_role(pool, timeout_s=30)
    assert pool.returncode == 0, log.read_text()[-3000:]
    assert not any(command_line(pid) for pid in processes)  # gone (a zombie has no command line)
    assert "killing" not in log.read_text() and "Traceback" not in log.read_text(), log.read_text()[-3000:]
