"""services/runtime/heap.py: once start-up is done, a full collection no longer walks start-up's objects."""

from __future__ import annotations

import gc

from services.runtime.heap import YOUNG_THRESHOLD, release_heap, settle_heap


def test_settle_heap_freezes_what_start_up_built_and_raises_the_young_threshold() -> None:
    thresholds = gc.get_threshold()
    built_at_start_up = [{"watchlist": n} for n in range(1_000)]
    try:
        frozen = settle_heap()
        assert frozen >= len(built_at_start_up)
        assert gc.get_freeze_count() == frozen
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        # A full collection now walks only what came after: far fewer objects than the frozen ones.
        assert len(gc.get_objects(generation=2)) < frozen
    finally:
        release_heap()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds
