"""Between the aggregate stage and the history tables: what changed since the last flush, and a state
brought back from the database.

The aggregate agent notes the minutes each applied partial touched; a timer takes the batch (`take`),
encoding each changed state on the event loop, and writes it off the loop in one transaction
(`HistoryStore.save`). A state restored from the database keeps its marks of applied raw records only when
they refer to the same broker incarnation (`epoch`): a fresh embedded broker numbers raw offsets from zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from services.aggregation.aggregate import decode_state, encode_state
from services.aggregation.windows import WindowState
from services.history.rollups import minute_figures
from services.history.store import MinuteRow, Snapshot


class HistorySink:
    def __init__(self, epoch: str) -> None:
        self.epoch = epoch
        self._dirty: dict[str, set[int]] = {}

    def note(self, watchlist_id: str, minutes: Iterable[int]) -> None:
        self._dirty.setdefault(watchlist_id, set()).update(minutes)

    @property
    def pending(self) -> int:
        return len(self._dirty)

    def take(
        self,
        state_of: Callable[[str], WindowState | None],
        *,
        now_ts: float,
        grace_s: float,
        owned: Callable[[str], bool],
    ) -> tuple[list[Snapshot], list[MinuteRow]]:
        """The states and minute rows changed since the last call, for the watchlists this worker still
        owns (another worker's copy would overwrite newer figures)."""
        dirty, self._dirty = self._dirty, {}
        snapshots: list[Snapshot] = []
        minutes: list[MinuteRow] = []
        for watchlist_id, touched in dirty.items():
            state = state_of(watchlist_id)
            if state is None or not owned(watchlist_id):
                continue
            snapshots.append(Snapshot(watchlist_id, self.epoch, encode_state(state), now_ts))
            for start in sorted(touched):
                figures = minute_figures(state, start, now_ts=now_ts, grace_s=grace_s)
                if figures is not None:
                    minutes.append(MinuteRow(watchlist_id, start, figures))
        return snapshots, minutes

    def give_back(self, snapshots: list[Snapshot], minutes: list[MinuteRow]) -> None:
        """A write failed: note its watchlists and minutes again, so the next flush writes them."""
        for snapshot in snapshots:
            self._dirty.setdefault(snapshot.watchlist_id, set())
        for row in minutes:
            self.note(row.watchlist_id, (row.start_ts,))


def resumed_clock(snapshots: list[Snapshot], now: float) -> float | None:
    """Where the stream's clock would be now had it run on since the states were saved (None: no state):
    a worker on a fresh broker resumes from it, so windows read the same as before."""
    return max((s.clock_ts + (now - s.saved_at) for s in snapshots if s.clock_ts), default=None)


def restore_state(snapshot: Snapshot | None, epoch: str) -> WindowState:
    """The window state a watchlist had when last saved (empty when never saved); its applied marks are kept
    only when they refer to raw offsets of the same broker incarnation."""
    if snapshot is None:
        return WindowState()
    state = decode_state(snapshot.state)
    if snapshot.epoch != epoch:
        state.applied.clear()
        state.applied_above.clear()
    return state
