"""The garbage collector of a long-running server process, tuned once its start-up is done.

CPython's full (generation-2) collection walks every tracked object and stops the event loop meanwhile: in an
api holding 1,000 websockets it took 0.2-0.7 s (issue 17), and every wall froze for that long. Two levers:

- `gc.freeze()` after start-up moves what start-up built (modules, the app, its schemas, the broker clients)
  out of the collector's sight for good: a full collection walks only what was made since.
- A larger generation-0 threshold: objects that live for one send (frames, futures, buffers) die before a
  young collection sees them, so fewer are promoted, and full collections, triggered by promotions, are rare.
"""

from __future__ import annotations

import gc

_THRESHOLDS_BEFORE: list[tuple[int, int, int]] = []

#: Allocations (minus deallocations) between two young collections; CPython's default is 700.
YOUNG_THRESHOLD = 20_000
#: Young collections between two generation-1 collections, and those between two full ones (defaults).
MIDDLE_THRESHOLD = 10
OLD_THRESHOLD = 10


def settle_heap() -> int:
    """Collect once, freeze what survived start-up, raise the young threshold; how many objects froze."""
    gc.collect()
    gc.freeze()
    _THRESHOLDS_BEFORE.append(gc.get_threshold())
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
    return gc.get_freeze_count()


def release_heap() -> None:
    """Undo `settle_heap` when the app stops: a process that starts apps again and again (the tests) would
    otherwise never collect the cycles of the apps it stopped."""
    gc.unfreeze()
    if _THRESHOLDS_BEFORE:
        gc.set_threshold(*_THRESHOLDS_BEFORE.pop())
