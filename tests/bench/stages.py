"""Cost per mention and memory of the swarm, influence and coordination stages, in process.

One hour of demo traffic (`DemoGenerator` at its default rate, about 20 mentions a second, matched to the
demo watchlists and scored by the linear sentiment model beforehand: that part is not measured) is fed in
one-second batches to each stage. Time: `observe` per mention; the swarm snapshot (taken every
`snapshot_every_s`, as the wiring would) per call and amortised per mention; the coordination and
influence reads once at the end. Memory: tracemalloc of the stage's state after the hour (a second pass).

python -m bench.stages [--seconds 3600]
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

from services.demo import DemoGenerator, demo_watchlists
from services.insights.coordination import CoordinationDetector
from services.insights.influence import InfluenceBoard
from services.insights.swarms import SwarmTracker
from services.understanding.enrich import EnrichedMention
from services.understanding.matching import CompiledWatchlists
from services.understanding.sentiment.linear import LinearScorer
from services.understanding.text import tokens

T0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


def demo_hour(seconds: int = 3600, seed: int = 7) -> list[list[EnrichedMention]]:
    """One-second batches of enriched demo mentions (only those matching a watchlist, as in production)."""
    generator = DemoGenerator(seed=seed, start=T0)
    matcher = CompiledWatchlists(demo_watchlists())
    scorer = LinearScorer()
    batches: list[list[EnrichedMention]] = []
    for second in range(1, seconds + 1):
        mentions = generator.batch(T0 + timedelta(seconds=second), 1.0)
        matched = [(m, ids) for m in mentions if (ids := matcher.match(m, tokens(m.text)))]
        scores = scorer.score_batch([m.text for m, _ in matched], [m.lang for m, _ in matched])
        batches.append(
            [
                EnrichedMention(mention=m, watchlists=ids, score=score, label=label)
                for (m, ids), (score, label) in zip(matched, scores, strict=True)
            ]
        )
    return batches


def _feed(
    stage: str, batches: list[list[EnrichedMention]], snapshot_every_s: int
) -> tuple[Any, float, float, int]:
    """Feed the batches; return the stage, seconds in observe, seconds in reads, number of reads."""
    observe_s = read_s = 0.0
    reads = 0
    if stage == "swarms":
        tracker = SwarmTracker()
        for second, batch in enumerate(batches, 1):
            started = time.perf_counter()
            tracker.observe(batch)
            observe_s += time.perf_counter() - started
            if second % snapshot_every_s == 0:
                started = time.perf_counter()
                tracker.snapshot()
                read_s += time.perf_counter() - started
                reads += 1
        return tracker, observe_s, read_s, reads
    detector: CoordinationDetector | InfluenceBoard = (
        CoordinationDetector() if stage == "coordination" else InfluenceBoard()
    )
    for batch in batches:
        started = time.perf_counter()
        detector.observe(batch)
        observe_s += time.perf_counter() - started
    started = time.perf_counter()
    if isinstance(detector, CoordinationDetector):
        detector.snapshot()
    else:
        for watchlist in demo_watchlists():
            detector.board(watchlist.id, limit=20)
    read_s = time.perf_counter() - started
    return detector, observe_s, read_s, 1


def measure_stages(seconds: int = 3600, snapshot_every_s: int = 5) -> dict[str, Any]:
    batches = demo_hour(seconds)
    mentions = sum(len(batch) for batch in batches)
    result: dict[str, Any] = {
        "mentions": mentions,
        "event_time_s": seconds,
        "snapshot_every_s": snapshot_every_s,
    }
    for stage in ("swarms", "influence", "coordination"):
        gc.collect()
        state, observe_s, read_s, reads = _feed(stage, batches, snapshot_every_s)
        tracked = state.tracked
        del state
        gc.collect()
        tracemalloc.start()
        kept, *_ = _feed(stage, batches, snapshot_every_s)
        gc.collect()
        memory_b = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del kept
        result[stage] = {
            "observe_us_per_mention": round(observe_s / mentions * 1e6, 2),
            "read_ms": round(read_s / max(1, reads) * 1e3, 2),
            "total_us_per_mention": round((observe_s + read_s) / mentions * 1e6, 2),
            "memory_mib": round(memory_b / 2**20, 2),
            "tracked": tracked,
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=3600)
    args = parser.parse_args()
    print(json.dumps(measure_stages(args.seconds), indent=2))


if __name__ == "__main__":
    main()
