"""`vigie run` in a real terminal (a pty): what a person sees while it starts, Ctrl-C typed at the keyboard,
and a `vigie run` killed outright, whose roles must not live on."""

from __future__ import annotations

import os
import re
import select
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.stack import child_pids, command_line, free_port


@dataclass
class Terminal:
    """`vigie run` with a pty as its controlling terminal, in the terminal's foreground process group."""

    pid: int
    master_fd: int
    data_dir: Path
    output: bytearray = field(default_factory=bytearray)
    status: int | None = None
    #: Every descendant ever seen, so a failed test still stops those orphaned by a killed `vigie run`.
    seen: set[int] = field(default_factory=set)

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace").replace("\r\n", "\n")

    def read_until(self, pattern: str, timeout_s: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if found := re.search(pattern, self.text):
                return found
            if not self._read(0.2):
                break
        raise AssertionError(f"the terminal never showed {pattern!r}; it showed:\n{self.text}")

    def _read(self, wait_s: float) -> bool:
        """Read what is there; False once the terminal is closed (every process holding it exited)."""
        ready, _, _ = select.select([self.master_fd], [], [], wait_s)
        if not ready:
            return True
        try:
            chunk = os.read(self.master_fd, 65536)
        except OSError:  # EIO: the other side is closed
            return False
        self.output.extend(chunk)
        return bool(chunk)

    def type(self, keys: bytes) -> None:
        os.write(self.master_fd, keys)

    def hang_up(self, timeout_s: float) -> int:
        """Close the terminal (as closing its window does: SIGHUP to its foreground process group) and
        wait for `vigie run` to exit; its exit code."""
        os.close(self.master_fd)
        self.master_fd = -1
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                return self.status
            time.sleep(0.1)
        raise AssertionError(f"vigie run did not exit within {timeout_s:.0f} s of its terminal closing")

    def wait_exit(self, timeout_s: float) -> int:
        """Read the terminal until `vigie run` exits; its exit code."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self._read(0.1):
                    pass
                self.status = os.waitstatus_to_exitcode(status)
                return self.status
            self._read(0.2)
        raise AssertionError(f"vigie run did not exit within {timeout_s:.0f} s; the terminal:\n{self.text}")

    def owns(self, pid: int) -> bool:
        """Whether `pid` runs with this terminal's data directory (the roles and the broker inherit it)."""
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            return False
        return f"VIGIE_DATA_DIR={self.data_dir}".encode() in environ

    def descendants(self) -> list[int]:
        found, todo = [], [self.pid]
        while todo:
            children = child_pids(todo.pop())
            found.extend(children)
            todo.extend(children)
        self.seen.update(found)
        return found


def start_in_terminal(data_dir: Path) -> Terminal:
    env = dict(os.environ)
    env.update(
        {
            "VIGIE_PORT": str(free_port()),
            "VIGIE_EMBEDDED_BROKER_PORT": str(free_port()),
            "VIGIE_DATA_DIR": str(data_dir),
            "VIGIE_LOG_LEVEL": "INFO",  # what `make run` logs: the chatter must reach the files, not here
            "VIGIE_WORKERS": "2",  # two worker processes, whatever this machine's cores
            "TERM": "xterm",
        }
    )
    env.pop("VIGIE_KAFKA_BOOTSTRAP", None)
    argv = [sys.executable, "-m", "services.runtime.cli", "run"]
    pid, master_fd = os.forkpty()
    if pid == 0:  # the child: a session leader whose controlling terminal is the pty
        try:
            os.execve(sys.executable, argv, env)
        finally:
            os._exit(127)
    return Terminal(pid, master_fd, data_dir)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pids: list[int], timeout_s: float) -> list[int]:
    """The pids still running after `timeout_s` (none, once all have exited)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    return [pid for pid in pids if alive(pid)]


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    running = start_in_terminal(tmp_path / "var")
    try:
        yield running
    finally:
        running.descendants()
        # Only processes of this test's stack (a pid seen earlier may since belong to someone else).
        leftovers = [pid for pid in [running.pid, *running.seen] if alive(pid) and running.owns(pid)]
        for pid in leftovers:
            os.kill(pid, signal.SIGKILL)
        if running.status is None:
            os.waitpid(running.pid, 0)
        if running.master_fd >= 0:
            os.close(running.master_fd)


def test_ctrl_c_in_the_terminal_stops_everything_cleanly_broker_last(terminal: Terminal) -> None:
    terminal.read_until(r"the wall is live at http://\S+", timeout_s=120)
    started = terminal.text
    # A person sees progress and the addresses, not the roles' chatter (that is in var/logs/).
    assert len(started.splitlines()) < 20, started
    for detail in ("INFO", "aiokafka", "Unable connect", "DeprecationWarning", "lqqq", "┌"):
        assert detail not in started, f"{detail!r} reached the terminal:\n{started}"
    logs = terminal.data_dir / "logs"
    assert {path.name for path in logs.iterdir()} >= {
        f"{role}.log"
        for role in (
            "worker-1",
            "worker-2",
            "insights",
            "api",
            "notifier",
            "connectors",
            "demo",
            "broker",
            "supervisor",
        )
    }
    assert "INFO" in (logs / "worker-2.log").read_text(errors="replace")
    children = terminal.descendants()
    broker = [pid for pid in children if "--listener-url" in command_line(pid)]
    assert len(broker) == 1 and len(children) >= 7, [command_line(pid) for pid in children]
    workers = [pid for pid in children if command_line(pid)[2:4] == ["services.runtime.cli", "worker"]]
    assert len(workers) == 2, [command_line(pid) for pid in children]
    insights = [pid for pid in children if command_line(pid)[2:4] == ["services.runtime.cli", "insights"]]
    assert len(insights) == 1, [command_line(pid) for pid in children]

    terminal.type(b"\x03")  # Ctrl-C: SIGINT to the terminal's foreground process group
    typed_at = time.monotonic()
    code = terminal.wait_exit(timeout_s=30)
    print(f"stopped {time.monotonic() - typed_at:.1f} s after Ctrl-C")

    said = terminal.text[len(started) :]
    assert code == 0, terminal.text
    assert "ERROR" not in terminal.text and "Traceback" not in terminal.text, terminal.text
    assert "did not stop" not in said and "killing" not in said, said
    assert said.rstrip().endswith("vigie: stopped"), said
    print(terminal.text)
    assert wait_gone(children, timeout_s=5) == [], [command_line(pid) for pid in children]
    # The broker was stopped last: it logged no client of a role losing it (they had all left).
    for role in ("worker-1", "worker-2", "api", "notifier"):
        log = (logs / f"{role}.log").read_text(errors="replace")
        assert " ERROR " not in log, f"{role}.log:\n{log[-3000:]}"


def test_a_role_that_dies_is_reported_and_restarted_and_none_outlives_a_killed_vigie_run(
    terminal: Terminal,
) -> None:
    terminal.read_until(r"the wall is live at http://\S+", timeout_s=120)
    [demo] = [pid for pid in terminal.descendants() if command_line(pid)[-2:] == ["demo", ""]]
    os.kill(demo, signal.SIGKILL)
    terminal.read_until(r"demo exited with code -9; restarting in \d+ s", timeout_s=10)
    terminal.read_until(r"its last lines \(\S+demo\.log\)", timeout_s=5)
    deadline = time.monotonic() + 10
    while not [pid for pid in terminal.descendants() if command_line(pid)[-2:] == ["demo", ""]]:
        assert time.monotonic() < deadline, f"the demo was not restarted:\n{terminal.text}"
        time.sleep(0.2)

    children = terminal.descendants()
    assert len(children) >= 6, [command_line(pid) for pid in children]

    os.kill(terminal.pid, signal.SIGKILL)
    terminal.wait_exit(timeout_s=10)

    killed_at = time.monotonic()
    left = wait_gone(children, timeout_s=15)
    print(f"every role gone {time.monotonic() - killed_at:.1f} s after SIGKILL")
    assert left == [], [command_line(pid) for pid in left]


def test_closing_the_terminal_stops_everything_in_order(terminal: Terminal) -> None:
    terminal.read_until(r"the wall is live at http://\S+", timeout_s=120)
    children = terminal.descendants()
    assert len(children) >= 6, [command_line(pid) for pid in children]

    code = terminal.hang_up(timeout_s=30)

    assert code == 0
    assert wait_gone(children, timeout_s=5) == [], [command_line(pid) for pid in children]
    said = (terminal.data_dir / "logs" / "supervisor.log").read_text(errors="replace")
    assert "services.runtime.supervisor: stopped" in said and "killing" not in said, said[-2000:]
