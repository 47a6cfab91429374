"""A real Vigie on this machine for tests: `vigie run` on free ports with its own data directory.

Before it starts, an admin key and a display token are written to its database (as `vigie keys create`
would), so tests hold keys without reading them off the terminal: `stack.headers` for HTTP, `stack.ws_url`
(with `?token=`) for the websocket. `stack.log_path` holds what `vigie run` said on its terminal; each
role's whole log is in `stack.data_dir / "logs" / "<role>.log"`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from services.access.auth import KeyStore
from services.settings import Settings
from services.storage import Store


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports, all held open while they are chosen: a port closed and asked for again
    can come back (once the api was given the broker's port)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def free_consecutive_ports(count: int) -> int:
    """The first of `count` consecutive free ports (VIGIE_HEALTH_PORT: `vigie run` gives its roles the next
    ones), from a random free port upwards."""
    for _ in range(50):
        base = free_port()
        probes = [socket.socket() for _ in range(count)]
        try:
            for offset, probe in enumerate(probes):
                probe.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise RuntimeError(f"no {count} consecutive free ports found")


@dataclass
class Stack:
    base_url: str
    bootstrap: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str]
    admin_key: str
    display_token: str

    @property
    def headers(self) -> dict[str, str]:
        """What an admin's HTTP requests carry."""
        return {"Authorization": f"Bearer {self.admin_key}"}

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + f"/ws?token={self.display_token}"

    def http(self, base_url: str | None = None) -> httpx.AsyncClient:
        """An HTTP client of this stack (or of another api on its broker) with the admin key."""
        return httpx.AsyncClient(base_url=base_url or self.base_url, headers=self.headers, timeout=30)

    def terminal(self) -> str:
        """What `vigie run` itself said (its `vigie: ` lines, without the roles' logs)."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(line for line in lines if line.startswith("vigie: "))

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def create_keys(env: dict[str, str], data_dir: Path) -> tuple[str, str]:
    """An admin key and a display token in the database `vigie run` will use with this environment."""
    settings = Settings(_env_file=None, data_dir=data_dir, database_url=env.get("VIGIE_DATABASE_URL", ""))
    store = Store(settings.db_url)
    try:
        keys = KeyStore(store.engine)
        return keys.create_key("tests admin", {"admin"})[1], keys.create_key("tests wall", {"display"})[1]
    finally:
        store.close()


def start_stack(
    data_dir: Path, *, demo: bool = False, extra_env: dict[str, str] | None = None, api_port: int = 0
) -> Stack:
    """`vigie run` on free ports (the api on `api_port` when given: a restart on the same address)."""
    chosen, broker_port = free_ports(2)
    api_port = api_port or chosen
    if broker_port == api_port:  # the api's port was given and happens to be the one just found free
        broker_port = chosen
    env = dict(os.environ)
    env.update(
        {
            "VIGIE_PORT": str(api_port),
            "VIGIE_EMBEDDED_BROKER_PORT": str(broker_port),
            "VIGIE_DATA_DIR": str(data_dir),
            # INFO shows the workers' rebalances and rewinds when a scale-out test needs explaining.
            "VIGIE_LOG_LEVEL": os.environ.get("VIGIE_TEST_STACK_LOG_LEVEL", "WARNING"),
        }
    )
    env.pop("VIGIE_KAFKA_BOOTSTRAP", None)
    env.update(extra_env or {})
    data_dir.mkdir(parents=True, exist_ok=True)
    admin_key, display_token = create_keys(env, data_dir)
    log_path = data_dir / "vigie-run.log"
    argv = [sys.executable, "-m", "services.runtime.cli", "run", *([] if demo else ["--no-demo"])]
    with log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    stack = Stack(
        f"http://127.0.0.1:{api_port}",
        f"127.0.0.1:{broker_port}",
        data_dir,
        process,
        log_path,
        env,
        admin_key,
        display_token,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"vigie run exited with {process.returncode}:\n{stack.log_tail()}")
        try:
            ready = httpx.get(f"{stack.base_url}/readyz", timeout=2)
            # `vigie run` says it is ready once every worker process holds partitions.
            if ready.status_code == 200 and "vigie: ready in" in stack.terminal():
                return stack
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stack.stop()
    raise RuntimeError(f"vigie run was not ready within 90 s:\n{stack.log_tail()}")


@contextmanager
def running_stack(
    data_dir: Path, *, demo: bool = False, extra_env: dict[str, str] | None = None
) -> Iterator[Stack]:
    """`start_stack`, stopped when the block ends (a fixture's whole life)."""
    running = start_stack(data_dir, demo=demo, extra_env=extra_env)
    try:
        yield running
    finally:
        running.stop()


def start_role(
    stack: Stack, role: str, log_path: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """One more `vigie <role>` (worker, api) on the stack's broker, as a second machine would run it: one
    process (a worker too, whatever the cores; VIGIE_WORKERS in `extra_env` for more)."""
    env = {**stack.env, "VIGIE_WORKERS": "1", **(extra_env or {})}
    with log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "services.runtime.cli", role],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def stop_role(process: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not stopped within `timeout_s`."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (from /proc: psutil is not installed)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def stack_child(stack: Stack, *words: str) -> int:
    """The pid of the `vigie run` child whose command line holds all `words` (e.g. "services.runtime.cli",
    "api"
    for the api role, "broker", "--listener-url" for the embedded broker); raises if there is none."""
    for pid in child_pids(stack.process.pid):
        argv = command_line(pid)
        if all(word in argv for word in words):
            return pid
    raise LookupError(f"no child of vigie run ({stack.process.pid}) runs {' '.join(words)}")


def rss_mib(pid: int) -> float:
    """Resident memory of a running process in MiB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"process {pid} has no VmRSS (is it a zombie?)")


def spike_fired(watchlist: str, alert_id: str) -> Any:
    """The firing event a worker's volume-spike rule publishes for `watchlist` (an AlertEvent)."""
    from services.alerts.events import AlertEvent

    now = datetime.now(UTC)
    return AlertEvent(
        event_id=AlertEvent.make_id(alert_id, now, "firing"),
        alert_id=alert_id,
        rule="volume_spike",
        watchlist=watchlist,
        severity="warning",
        status="firing",
        summary=f"{watchlist}: mentions at 30/min, 6x the usual",
        started_at=now,
        at=now,
    )


async def publish_alert_events(stack: Stack, events: list[Any]) -> None:
    """Put alert events (services.alerts.events.AlertEvent) on the stack's `vigie.alerts`, as the rule
    engine of a worker does: keyed by alert id, each acknowledged by the broker."""
    from services.alerts.events import encode_event
    from services.runtime.kafka import ALERTS, make_producer

    settings = Settings(_env_file=None, kafka_bootstrap=stack.bootstrap)
    producer = make_producer(settings)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                settings.topic(ALERTS), encode_event(event), key=event.alert_id.encode()
            )
    finally:
        await producer.stop()
