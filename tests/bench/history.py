"""History in the database: how long the history route's queries take once the roll-up tables hold weeks
of minutes for many watchlists, and what one flush of the aggregate stage costs.

python -m tests.bench.history [--watchlists 50] [--days 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from services.aggregation.aggregate import encode_state
from services.aggregation.windows import WindowState
from services.history.rollups import DAY_S, HOUR_S, MINUTE_S
from services.history.store import HistoryStore, MinuteRow, Snapshot, rollups_table
from tests.bench.latency import percentile

QUERIES = 40


def fill(store: HistoryStore, watchlists: int, days: int, now_ts: int) -> None:
    """`days` of minute rows and 90 - `days` days of hour rows for each watchlist, as compaction leaves."""
    rng = random.Random(7)
    with store.engine.begin() as connection:
        for w in range(watchlists):
            rows: list[dict[str, Any]] = []
            for start in range(now_ts - days * DAY_S, now_ts, MINUTE_S):
                count = rng.randint(0, 40)
                neg = rng.randint(0, count)
                rows.append(
                    {"watchlist_id": f"w{w}", "step_s": MINUTE_S, "start_ts": start, "count": count, "pos": 0}
                    | {"neu": count - neg, "neg": neg, "score_sum": -0.3 * neg, "coordinated": 0}
                )
            for start in range(now_ts - 90 * DAY_S, now_ts - days * DAY_S, HOUR_S):
                rows.append(
                    {"watchlist_id": f"w{w}", "step_s": HOUR_S, "start_ts": start, "count": 900, "pos": 300}
                    | {"neu": 300, "neg": 300, "score_sum": 0.0, "coordinated": 10}
                )
            connection.execute(rollups_table.insert(), rows)


def timed_ms(action: Any) -> float:
    began = time.perf_counter()
    action()
    return (time.perf_counter() - began) * 1000


def measure_history(work: Path, watchlists: int = 50, days: int = 7) -> dict[str, Any]:
    store = HistoryStore(f"sqlite:///{work / 'history.db'}")
    now_ts = int(time.time()) // MINUTE_S * MINUTE_S
    try:
        fill(store, watchlists, days, now_ts)
        rng = random.Random(1)
        week = [
            timed_ms(
                lambda: store.points(f"w{rng.randrange(watchlists)}", now_ts - 7 * DAY_S, now_ts, HOUR_S)
            )
            for _ in range(QUERIES)
        ]
        quarter = [
            timed_ms(
                lambda: store.points(f"w{rng.randrange(watchlists)}", now_ts - 90 * DAY_S, now_ts, DAY_S)
            )
            for _ in range(QUERIES)
        ]
        state = encode_state(WindowState())
        snapshots = [Snapshot(f"w{w}", "bench", state) for w in range(200)]
        minutes = [MinuteRow(f"w{w}", now_ts, [5, 1, 3, 1, 0.1, 0]) for w in range(200)]
        flush = statistics.median(timed_ms(lambda: store.save(snapshots, minutes)) for _ in range(5))
        with store.engine.connect() as connection:
            rows = connection.execute(sa.select(sa.func.count()).select_from(rollups_table)).scalar_one()
        return {
            "watchlists": watchlists,
            "days": days,
            "rows": rows,
            "week_p50_ms": percentile(week, 0.5),
            "week_p95_ms": percentile(week, 0.95),
            "quarter_p50_ms": percentile(quarter, 0.5),
            "quarter_p95_ms": percentile(quarter, 0.95),
            "flush_ms": flush,
        }
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--watchlists", type=int, default=50)
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigie-history-") as tmp:
        print(measure_history(Path(tmp), args.watchlists, args.days))


if __name__ == "__main__":
    main()
