"""Holding ingest for a moment: while `vigie run` renews the embedded broker, nothing may be sent to the old
one after the pipeline has drained, nor to the new one before its topics exist.

The hold is a file in the data directory, so every process of this machine that publishes mentions (the api,
the demo, connectors, `vigie replay` in another terminal) sees it without a message of its own: the api
answers 503 with Retry-After, the others wait until it is lifted.

A publish under way when the hold begins must end before the pipeline is drained. Publishers hold a shared
lock on `ingest.lock` for the whole of each publish (`publishing`), and look for the hold file only once they
have it; the supervisor writes the hold file, then takes the lock exclusively (`wait_for_publishers`), which
it gets once every publish under way has been acknowledged. Every order of the two works: a publish either
ends before the exclusive lock is granted, or sees the hold file and does not send.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import NamedTuple

import orjson

HOLD_FILE = "ingest.hold"
LOCK_FILE = "ingest.lock"
#: What the api tells a client to wait before trying again.
RETRY_AFTER_S = 5
POLL_S = 0.05
#: What a wall says of a hold that gives no summary.
DEFAULT_SUMMARY = "new mentions are held for a moment"


class Paused(NamedTuple):
    """Ingest is held: why, in a few words for the wall, and since when (Unix time)."""

    summary: str
    since_ts: float


class IngestHeld(RuntimeError):
    """Raised instead of publishing when ingest is held and the caller may not wait."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"ingest is held for a moment: {reason}")
        self.reason = reason


class IngestHold:
    def __init__(self, data_dir: Path | str) -> None:
        self.path = Path(data_dir) / HOLD_FILE
        self.lock_path = Path(data_dir) / LOCK_FILE
        self._fd: int | None = None
        self._in_flight = 0

    # -- the supervisor's side ---------------------------------------------------------------------------

    def hold(self, reason: str, summary: str = DEFAULT_SUMMARY) -> None:
        """Hold ingest: `reason` for operators and clients (logs, 503 bodies), `summary` a few words for the
        wall. A hold already in place keeps the time it began."""
        since_ts = held.since_ts if (held := self.paused()) is not None else time.time()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(orjson.dumps({"reason": reason, "summary": summary, "since_ts": since_ts}))

    def release(self) -> None:
        self.path.unlink(missing_ok=True)

    def wait_for_publishers(self, timeout_s: float) -> bool:
        """After `hold`: wait until no publish is under way in any process; False after `timeout_s`."""
        fd = self._lock_fd()
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(POLL_S)
                continue
            fcntl.flock(fd, fcntl.LOCK_UN)
            return True

    # -- the publishers' side ----------------------------------------------------------------------------

    def paused(self) -> Paused | None:
        """What a wall shows while ingest is held, or None when it is not."""
        try:
            content = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        except orjson.JSONDecodeError:
            return Paused(DEFAULT_SUMMARY, time.time())
        if not isinstance(content, dict):
            return Paused(DEFAULT_SUMMARY, time.time())
        since = content.get("since_ts")
        return Paused(
            str(content.get("summary") or DEFAULT_SUMMARY),
            float(since) if isinstance(since, int | float) else time.time(),
        )

    def reason(self) -> str | None:
        """Why ingest is held, or None when it is not."""
        try:
            content = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            reason = orjson.loads(content).get("reason")
        except (orjson.JSONDecodeError, AttributeError):
            reason = None
        return str(reason or "held")

    @contextlib.asynccontextmanager
    async def publishing(self, wait: bool = True) -> AsyncIterator[None]:
        """Around one publish: holds the shared lock; while ingest is held, waits (or raises IngestHeld
        when `wait` is false)."""
        while True:
            reason = self._enter()
            if reason is None:
                break
            if not wait:
                raise IngestHeld(reason)
            await asyncio.sleep(POLL_S * 2)
        try:
            yield
        finally:
            self._leave()

    def _enter(self) -> str | None:
        """Count one more publish under way and return None, or return why ingest is held."""
        if self._in_flight == 0:
            try:
                fcntl.flock(self._lock_fd(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return self.reason() or "the embedded broker is being renewed"
        reason = self.reason()
        if reason is not None:
            if self._in_flight == 0:
                fcntl.flock(self._lock_fd(), fcntl.LOCK_UN)
            return reason
        self._in_flight += 1
        return None

    def _leave(self) -> None:
        self._in_flight -= 1
        if self._in_flight == 0:
            fcntl.flock(self._lock_fd(), fcntl.LOCK_UN)

    def _lock_fd(self) -> int:
        if self._fd is None:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd
