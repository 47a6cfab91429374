"""`vigie broker` alone: the embedded broker in the foreground, never outliving the command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from services.runtime.broker import port_in_use
from tests.stack import free_port


def eventually(predicate: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_sigterm_stops_the_command_and_its_broker() -> None:
    port = free_port()
    command = subprocess.Popen(
        [sys.executable, "-m", "services.runtime.cli", "broker"],
        env={**os.environ, "VIGIE_EMBEDDED_BROKER_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert eventually(lambda: port_in_use(port), timeout_s=30), "the broker never listened"
        command.send_signal(signal.SIGTERM)
        command.wait(timeout=15)
        assert eventually(lambda: not port_in_use(port), timeout_s=10), "the broker outlived `vigie broker`"
    finally:
        if command.poll() is None:
            command.kill()
