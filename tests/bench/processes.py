"""Child processes of the benchmark and their memory (Linux /proc)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from services.runtime.broker_watch import process_rss_mib as rss_mib


def children_of(pid: int) -> list[int]:
    """Direct children of a process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; the parent pid follows the state letter.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def stack_memory(supervisor_pid: int) -> dict[str, float | None]:
    """RSS (MiB) of each role of a `vigie run`: worker (all its processes together), api, broker (and the
    supervisor itself)."""
    memory: dict[str, float | None] = {"supervisor": rss_mib(supervisor_pid)}
    for pid in children_of(supervisor_pid):
        argv = command_line(pid).split()
        if any("tansu" in word for word in argv):
            memory["broker"] = rss_mib(pid)
        elif "services.runtime.cli" in argv[:-1]:
            role = argv[argv.index("services.runtime.cli") + 1]
            memory[role] = (memory.get(role) or 0.0) + (rss_mib(pid) or 0.0)
    return memory


def spawn(module_args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """`python -m <module_args>` in its own session, output appended to `log_path`."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", *module_args],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
