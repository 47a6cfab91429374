"""Several worker processes on one machine: how many, and `vigie worker --processes N` keeping them running.

A worker is one Python process, so one core: to use a machine, `vigie worker` starts one worker process per
core (VIGIE_WORKERS, 0 or `auto` by default), and `vigie run` one per core but one, since it also starts the
insights process (`INSIGHTS_CORES` in services/runtime/supervisor.py). They are ordinary members of the
workers' consumer group, sharing the partitions of the mention topics as separate machines would; a worker
beyond VIGIE_TOPIC_PARTITIONS would hold no partition, so the count stops there. `vigie run` starts each as a
role of its own (services/runtime/supervisor.py: `worker-1`, `worker-2`, ... each with its log); `vigie
worker` alone runs them under a `WorkerPool` (deploy/ runs one process per container and scales containers
instead).

Each worker process serves its health endpoints on a port of its own: the first on VIGIE_HEALTH_PORT, the
next on the port after, and so on (two on one port would leave one without them).

A worker started with GATE_ENV set is started ahead: it imports its code (most of its start: ~1.8 s of CPU,
several seconds on a loaded machine), then waits for a line "go" on its standard input before it reads its
settings' broker, database or saved state. `vigie run` starts the next workers that way while it renews the
embedded broker, so the wall's pipeline is back sooner after each renewal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import IO

from services.runtime.lifeline import SUPERVISOR_PID_ENV, die_with_parent
from services.settings import Settings

#: How often the pool looks at its processes.
POLL_S = 0.2
#: A stopping pool kills the workers still running after this long (Faust's clean stop takes seconds).
STOP_TIMEOUT_S = 15.0
#: Delay before each restart of a worker that exited on its own; back to the first after a minute of work.
RESTART_DELAYS_S = (1.0, 2.0, 5.0, 10.0, 30.0)
STEADY_AFTER_S = 60.0
#: Set (to anything) in its environment, a worker waits for "go" on its standard input (`wait_for_go`).
GATE_ENV = "VIGIE_WORKER_STARTED_AHEAD"
GO = b"go\n"
#: What a worker started ahead says (in its log) once its code is imported, as it begins to wait.
STARTED_AHEAD = "vigie worker: started ahead; waiting for go before reading the broker or the database"


def wait_for_go(stream: IO[str]) -> bool:
    """Block until the supervisor says go (True) or is gone, closing the pipe without a word (False)."""
    return stream.readline().strip() == GO.decode().strip()


def available_cores() -> int:
    """The cores this process may run on (a container's or taskset's limit included when Linux says)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def worker_count(settings: Settings, requested: int | None = None, beside: int = 0) -> int:
    """How many worker processes to run: `requested` (or VIGIE_WORKERS), 0 meaning one per core less the
    `beside` cores other busy processes started with them need (never fewer than one), never more than the
    topics have partitions."""
    wanted = settings.workers if requested is None else requested
    if wanted <= 0:
        wanted = available_cores() - beside
    return max(1, min(wanted, settings.topic_partitions))


def worker_argv() -> list[str]:
    """One worker process (whatever VIGIE_WORKERS says)."""
    return [sys.executable, "-m", "services.runtime.cli", "worker", "--processes", "1"]


def insights_argv() -> list[str]:
    """The insights process (`vigie insights`, streams/app.py): one per deployment."""
    return [sys.executable, "-m", "services.runtime.cli", "insights"]


def worker_env(env: dict[str, str], index: int, health_port: int) -> dict[str, str]:
    """The environment of the worker process `index` (0-based): its own health port when there is one."""
    own = dict(env)
    own["VIGIE_WORKERS"] = "1"
    if health_port:
        own["VIGIE_HEALTH_PORT"] = str(health_port + index)
    return own


def restart_delay_s(restarts: int, ran_s: float) -> float:
    """How long to wait before starting again a process that ran `ran_s` and was restarted `restarts`
    times in a row."""
    if ran_s > STEADY_AFTER_S:
        return RESTART_DELAYS_S[0]
    return RESTART_DELAYS_S[min(restarts, len(RESTART_DELAYS_S) - 1)]


def say(message: str) -> None:
    print(f"vigie worker: {message}", file=sys.stderr, flush=True)


@dataclass
class _Member:
    index: int
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start_at: float = 0.0


class WorkerPool:
    """`count` worker processes writing to this process's output, restarted when one exits, stopped
    (SIGTERM, then killed after STOP_TIMEOUT_S) when this process is told to stop."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.members = [_Member(index) for index in range(count)]
        self.stopping = False

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def _start(self, member: _Member) -> None:
        env = worker_env(dict(os.environ), member.index, self.settings.health_port)
        env[SUPERVISOR_PID_ENV] = str(os.getpid())  # a worker stops when the pool is gone
        member.process = subprocess.Popen(
            worker_argv(),
            env=env,
            stdin=subprocess.DEVNULL,
            # Its own session: Ctrl-C reaches the pool alone, which stops the workers in order.
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        member.started_at = time.monotonic()

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        say(f"starting {len(self.members)} worker processes")
        try:
            for member in self.members:
                self._start(member)
            while not self.stopping:
                self._tend(time.monotonic())
                time.sleep(POLL_S)
        finally:
            self.stop()
        return 0

    def _tend(self, now: float) -> None:
        """Restart the workers that exited, each after its delay."""
        for member in self.members:
            process = member.process
            if process is None or process.poll() is None:
                if process is None and now >= member.next_start_at:
                    member.restarts += 1
                    self._start(member)
                continue
            delay = restart_delay_s(member.restarts, now - member.started_at)
            if delay == RESTART_DELAYS_S[0]:
                member.restarts = 0
            say(
                f"worker {member.index + 1} exited with code {process.returncode}; "
                f"restarting in {delay:.0f} s"
            )
            member.process = None
            member.next_start_at = now + delay

    def stop(self) -> None:
        running = [m.process for m in self.members if m.process is not None and m.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"a worker (pid {process.pid}) did not stop in {STOP_TIMEOUT_S:.0f} s; killing it")
                process.kill()
                process.wait()
