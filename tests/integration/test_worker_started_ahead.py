"""A worker started ahead (while `vigie run` renews the embedded broker) imports its code, then waits: it
touches neither the broker nor the database until told to go, and leaves quietly when it is not needed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.runtime.worker_pool import GATE_ENV, GO, STARTED_AHEAD

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """Where the worker is told the broker is: a loopback port of this test that counts who connects."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield server


def started_ahead(listener: socket.socket, data_dir: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        {
            GATE_ENV: "1",
            "VIGIE_KAFKA_BOOTSTRAP": f"127.0.0.1:{listener.getsockname()[1]}",
            "VIGIE_DATA_DIR": str(data_dir),
            "VIGIE_WORKERS": "1",
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "services.runtime.cli", "worker", "--processes", "1"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    said = process.stderr.readline().decode().strip()
    assert said == STARTED_AHEAD, said
    return process


def connected(listener: socket.socket) -> bool:
    try:
        connection, _ = listener.accept()
    except BlockingIOError:
        return False
    connection.close()
    return True


def test_a_worker_started_ahead_waits_and_leaves_quietly_when_not_needed(
    listener: socket.socket, tmp_path: Path
) -> None:
    process = started_ahead(listener, tmp_path)
    try:
        assert process.poll() is None
        assert not connected(listener)
        assert list(tmp_path.iterdir()) == []  # no database, no log, no saved state read
        assert process.stdin is not None
        process.stdin.close()  # the supervisor is gone, or the renewal needs it no more
        assert process.wait(timeout=30) == 0
        assert not connected(listener)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_worker_started_ahead_goes_to_the_broker_once_told(listener: socket.socket, tmp_path: Path) -> None:
    process = started_ahead(listener, tmp_path)
    try:
        assert not connected(listener)
        assert process.stdin is not None
        process.stdin.write(GO)
        process.stdin.close()
        listener.setblocking(True)
        listener.settimeout(60)
        connection, _ = listener.accept()  # it looks for the broker now
        connection.close()
    finally:
        process.kill()
        process.wait()
