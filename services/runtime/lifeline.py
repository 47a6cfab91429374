"""Children of `vigie run` never outlive it, however it ends (Ctrl-C, SIGTERM, SIGKILL, a closed terminal).

Two guards, because either alone has a gap:
- `die_with_parent`, run in the child between fork and exec (Popen's `preexec_fn`), asks Linux to send the
  child SIGTERM when its parent dies (`prctl(PR_SET_PDEATHSIG)`); it holds across exec, so it guards the
  embedded broker (a Rust binary) too. It misses a parent that died before the call.
- `watch_parent`, a thread in each Python role, notices when the process it was started by is gone (its
  parent pid changes), sends itself SIGTERM for an orderly stop, and exits for good `grace_s` later if
  that stop hangs (a worker's stop waits on a broker that died with the supervisor).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

#: linux/prctl.h
PR_SET_PDEATHSIG = 1
#: The environment variable through which `vigie run` tells a role its pid.
SUPERVISOR_PID_ENV = "VIGIE_SUPERVISOR_PID"
#: How long a role whose supervisor died gets to stop by itself before it exits regardless.
GRACE_S = 3.0
POLL_S = 0.25


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def die_with_parent() -> Callable[[], None]:
    """A Popen `preexec_fn`: the child gets SIGTERM when this process dies, and exits at once if this
    process died before the call. libc is loaded here, in the parent: between fork and exec the child
    only calls prctl, getppid and _exit."""
    libc, parent_pid = _libc(), os.getpid()

    def in_child() -> None:
        if libc is not None:
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent_pid:
            os._exit(1)

    return in_child


def watch_parent(parent_pid: int, grace_s: float = GRACE_S) -> threading.Thread:
    """Start a daemon thread that stops this process once `parent_pid` is no longer its parent."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(POLL_S)
        print(f"vigie: the supervisor (pid {parent_pid}) is gone; stopping", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace_s)
        print(f"vigie: not stopped within {grace_s:.0f} s; exiting", file=sys.stderr, flush=True)
        os._exit(1)

    thread = threading.Thread(target=watch, name="vigie-parent-watch", daemon=True)
    thread.start()
    return thread


def watch_supervisor_from_env() -> threading.Thread | None:
    """`watch_parent` for a role started by `vigie run` (which sets VIGIE_SUPERVISOR_PID); else None."""
    value = os.environ.get(SUPERVISOR_PID_ENV, "")
    if not value.isdigit():
        return None
    return watch_parent(int(value))
