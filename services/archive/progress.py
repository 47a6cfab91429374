"""How current the archive is: what the archiver last reported, as search shows it.

In a spike the archive (niced, behind the wall's path) can fall behind the wall, and a search would miss the
newest mentions without saying so. The archiver therefore reports how far its archive is complete
(`ProgressTracker`), at most every PROGRESS_EVERY_S:

- a poll that came back empty (nothing after its position once the fetch wait ran out) means everything the
  workers had produced when the poll was asked is archived: complete up to that moment;
- while records keep coming, it is complete up to the newest record written (the record's timestamp, as the
  worker produced it): how far behind a spike has left it.

Search answers with `freshness` of the last report; a report older than STALE_AFTER_S means the archiver is
not running (or cannot write), and the archive falls further behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

PROGRESS_EVERY_S = 2.0
STALE_AFTER_S = 30.0


@dataclass(frozen=True, slots=True)
class ArchiveProgress:
    """The archive holds every mention the workers had produced by `complete_until` (epoch seconds), as the
    archiver reported at `reported_at`."""

    complete_until: float
    reported_at: float


class ProgressTracker:
    """The archiver's side: what each poll says, and when to report."""

    def __init__(self, every_s: float = PROGRESS_EVERY_S) -> None:
        self.every_s = every_s
        self.complete_until: float | None = None
        self._reported_at = float("-inf")

    def polled(self, asked_at: float, newest_record_ts: float | None) -> None:
        """A poll asked at `asked_at` gave records up to `newest_record_ts` (None: none), all now written."""
        if newest_record_ts is None:
            self.complete_until = asked_at
        else:
            self.complete_until = max(self.complete_until or newest_record_ts, newest_record_ts)

    def due(self, now: float) -> ArchiveProgress | None:
        """The report to write now, if one is due."""
        if self.complete_until is None or now - self._reported_at < self.every_s:
            return None
        self._reported_at = now
        return ArchiveProgress(self.complete_until, now)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def freshness(progress: ArchiveProgress | None, now: float) -> dict[str, Any] | None:
    """What search says of the archive: complete up to when, how far behind now, and whether the archiver
    still reports (None: it never has)."""
    if progress is None:
        return None
    return {
        "complete_until": _iso(progress.complete_until),
        "behind_s": round(max(0.0, now - progress.complete_until), 1),
        "reported_at": _iso(progress.reported_at),
        "stale": now - progress.reported_at > STALE_AFTER_S,
    }
