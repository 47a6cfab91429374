"""The history tables: minute (and, past `minute_keep_s`, hour) roll-ups per watchlist, and the last window
state of each watchlist.

Both are written by the aggregate stage in one transaction per flush (`save`), so a kill of any process
leaves the roll-ups and the state that produced them in agreement. Roll-up rows carry absolute figures
(services/history/rollups.py): writing one again replaces it. Minute rows older than `minute_keep_s` are
folded into hour rows (`compact`), and rows older than the retention are deleted, in bounded statements.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from services.aggregation.windows import COORD, COUNT, NEG, NEU, POS, SCORE_SUM, Bucket
from services.history.rollups import HOUR_S, MINUTE_S
from services.storage import create_db_engine, create_tables

metadata = sa.MetaData()

rollups_table = sa.Table(
    "history_rollups",
    metadata,
    sa.Column("watchlist_id", sa.String(64), primary_key=True),
    sa.Column("step_s", sa.Integer, primary_key=True),
    sa.Column("start_ts", sa.BigInteger, primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("pos", sa.BigInteger, nullable=False),
    sa.Column("neu", sa.BigInteger, nullable=False),
    sa.Column("neg", sa.BigInteger, nullable=False),
    sa.Column("score_sum", sa.Float, nullable=False),
    sa.Column("coordinated", sa.BigInteger, nullable=False),
)

snapshots_table = sa.Table(
    "window_snapshots",
    metadata,
    sa.Column("watchlist_id", sa.String(64), primary_key=True),
    #: The broker incarnation whose raw offsets the state's applied marks refer to.
    sa.Column("epoch", sa.String(64), nullable=False),
    sa.Column("state", sa.LargeBinary, nullable=False),
    #: The stream's clock (event time) when the state was saved, and the wall time then.
    sa.Column("clock_ts", sa.Float, nullable=False),
    sa.Column("saved_at", sa.Float, nullable=False),
)

#: Recent mention ids of each raw partition, saved by a worker that stops cleanly, so that a mention sent
#: again after the embedded broker was renewed (raw offsets start again from zero) is still recognised.
seen_ids_table = sa.Table(
    "dedupe_carry",
    metadata,
    sa.Column("partition", sa.Integer, primary_key=True),
    sa.Column("epoch", sa.String(64), nullable=False),
    sa.Column("ids", sa.Text, nullable=False),
)

#: Ids kept per raw partition when the saves of several workers are merged (one saves up to 50,000).
MERGED_IDS_PER_PARTITION = 200_000

FIGURES = ("count", "pos", "neu", "neg", "score_sum", "coordinated")
_INDEX = {"count": COUNT, "pos": POS, "neu": NEU, "neg": NEG, "score_sum": SCORE_SUM, "coordinated": COORD}


@dataclass(frozen=True)
class Snapshot:
    watchlist_id: str
    epoch: str
    state: bytes
    clock_ts: float = 0.0
    saved_at: float = 0.0


@dataclass(frozen=True)
class MinuteRow:
    watchlist_id: str
    start_ts: int
    figures: Bucket


@dataclass(frozen=True)
class Point:
    """Figures of one step of a history answer."""

    start_ts: int
    count: int
    pos: int
    neu: int
    neg: int
    score_sum: float
    coordinated: int


def _figures(bucket: Bucket) -> dict[str, float]:
    padded = list(bucket) + [0] * (6 - len(bucket))
    return {name: padded[index] for name, index in _INDEX.items()}


def _insert(engine: sa.Engine, table: sa.Table) -> sqlite.Insert | postgresql.Insert:
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class HistoryStore:
    def __init__(self, url: str, engine: sa.Engine | None = None) -> None:
        self.engine = engine if engine is not None else create_db_engine(url)
        self._owns_engine = engine is None
        create_tables(metadata, self.engine)

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()

    # -- written by the aggregate stage -------------------------------------------------------------------

    def save(self, snapshots: Sequence[Snapshot], minutes: Sequence[MinuteRow]) -> None:
        """Write window states and minute rows in one transaction (rows replace those of the same minute)."""
        if not snapshots and not minutes:
            return
        now = time.time()
        with self.engine.begin() as connection:
            if minutes:
                insert = _insert(self.engine, rollups_table)
                connection.execute(
                    insert.on_conflict_do_update(
                        index_elements=["watchlist_id", "step_s", "start_ts"],
                        set_={name: insert.excluded[name] for name in FIGURES},
                    ),
                    [
                        {"watchlist_id": m.watchlist_id, "step_s": MINUTE_S, "start_ts": m.start_ts}
                        | _figures(m.figures)
                        for m in minutes
                    ],
                )
            if snapshots:
                insert = _insert(self.engine, snapshots_table)
                connection.execute(
                    insert.on_conflict_do_update(
                        index_elements=["watchlist_id"],
                        set_={
                            "epoch": insert.excluded.epoch,
                            "state": insert.excluded.state,
                            "clock_ts": insert.excluded.clock_ts,
                            "saved_at": now,
                        },
                    ),
                    [
                        {
                            "watchlist_id": s.watchlist_id,
                            "epoch": s.epoch,
                            "state": s.state,
                            "clock_ts": s.clock_ts,
                            "saved_at": now,
                        }
                        for s in snapshots
                    ],
                )

    def snapshots_before(self, epoch: str) -> list[Snapshot]:
        """The window states saved under another broker epoch than `epoch` (those of this epoch are in
        its changelog, which is the authority while the broker lives)."""
        columns = snapshots_table.c
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(snapshots_table).where(columns.epoch != epoch)).all()
        return [
            Snapshot(row.watchlist_id, row.epoch, bytes(row.state), row.clock_ts, row.saved_at)
            for row in rows
        ]

    def save_seen_ids(self, epoch: str, ids: dict[int, list[str]]) -> None:
        """Save the recent ids of raw partitions under `epoch`. Several workers stop at once (a renewal, a
        stop of `vigie run`) and more than one may remember a partition (one that held it before a
        rebalance has an older memory of it): ids already saved for a partition under the same epoch are
        kept after the new ones (up to MERGED_IDS_PER_PARTITION), so no worker's save erases another's."""
        if not ids:
            return
        insert = _insert(self.engine, seen_ids_table)
        columns = seen_ids_table.c
        partitions = sorted(ids)  # one order for every writer: no deadlock between two
        with self.engine.begin() as connection:
            # Take the rows first (creating empty ones), so that a worker saving at the same moment waits for
            # this transaction to end and then reads what it saved: read-merge-write without a lost update.
            connection.execute(
                insert.on_conflict_do_update(index_elements=["partition"], set_={"epoch": columns.epoch}),
                [{"partition": p, "epoch": epoch, "ids": "[]"} for p in partitions],
            )
            saved = {
                int(row.partition): orjson.loads(row.ids)
                for row in connection.execute(
                    sa.select(columns.partition, columns.ids).where(
                        columns.epoch == epoch, columns.partition.in_(list(ids))
                    )
                )
            }
            rows = []
            for partition in partitions:
                new = ids[partition]
                fresh = set(new)
                merged = new + [i for i in saved.get(partition, ()) if i not in fresh]
                merged = merged[:MERGED_IDS_PER_PARTITION]
                rows.append({"partition": partition, "epoch": epoch, "ids": orjson.dumps(merged).decode()})
            connection.execute(
                insert.on_conflict_do_update(
                    index_elements=["partition"],
                    set_={"epoch": insert.excluded.epoch, "ids": insert.excluded.ids},
                ),
                rows,
            )

    def seen_ids_before(self, epoch: str) -> dict[int, list[str]]:
        """The ids saved under another broker epoch than `epoch`, per raw partition."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(seen_ids_table.c.partition, seen_ids_table.c.ids).where(
                    seen_ids_table.c.epoch != epoch
                )
            ).all()
        return {int(row.partition): list(orjson.loads(row.ids)) for row in rows}

    def forget(self, watchlist_id: str) -> None:
        """Drop a watchlist's state and history (the watchlist was deleted)."""
        with self.engine.begin() as connection:
            connection.execute(snapshots_table.delete().where(snapshots_table.c.watchlist_id == watchlist_id))
            connection.execute(rollups_table.delete().where(rollups_table.c.watchlist_id == watchlist_id))

    def compact(
        self, watchlist_ids: Iterable[str], *, now_ts: float, minute_keep_s: float, keep_s: float
    ) -> int:
        """Fold minute rows older than `minute_keep_s` into hour rows (added to any hour row already there)
        and delete rows older than `keep_s`; return how many minute rows were folded."""
        cutoff = int((now_ts - minute_keep_s) // HOUR_S) * HOUR_S
        oldest = int(now_ts - keep_s)
        hour = rollups_table.c.start_ts // HOUR_S * HOUR_S
        folded = 0
        for watchlist_id in watchlist_ids:
            minute_rows = sa.and_(
                rollups_table.c.watchlist_id == watchlist_id,
                rollups_table.c.step_s == MINUTE_S,
                rollups_table.c.start_ts < cutoff,
            )
            with self.engine.begin() as connection:
                sums = connection.execute(
                    sa.select(
                        hour.label("hour"), *[sa.func.sum(rollups_table.c[n]).label(n) for n in FIGURES]
                    )
                    .where(minute_rows)
                    .group_by(hour)
                ).all()
                if sums:
                    insert = _insert(self.engine, rollups_table)
                    connection.execute(
                        insert.on_conflict_do_update(
                            index_elements=["watchlist_id", "step_s", "start_ts"],
                            set_={n: rollups_table.c[n] + insert.excluded[n] for n in FIGURES},
                        ),
                        [
                            {"watchlist_id": watchlist_id, "step_s": HOUR_S, "start_ts": int(row.hour)}
                            | {n: row._mapping[n] for n in FIGURES}
                            for row in sums
                        ],
                    )
                    folded += connection.execute(rollups_table.delete().where(minute_rows)).rowcount
                connection.execute(
                    rollups_table.delete().where(
                        rollups_table.c.watchlist_id == watchlist_id, rollups_table.c.start_ts < oldest
                    )
                )
        return folded

    # -- read by the api ----------------------------------------------------------------------------------

    def points(self, watchlist_id: str, from_ts: int, to_ts: int, step_s: int) -> list[Point]:
        """The figures of every step of [from_ts, to_ts), oldest first, empty steps included (zeros). Hour
        rows (history older than the minute retention) fall in the step their hour starts in."""
        index = (rollups_table.c.start_ts - from_ts) // step_s
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(index.label("i"), *[sa.func.sum(rollups_table.c[n]).label(n) for n in FIGURES])
                .where(
                    rollups_table.c.watchlist_id == watchlist_id,
                    rollups_table.c.start_ts >= from_ts,
                    rollups_table.c.start_ts < to_ts,
                )
                .group_by(index)
            ).all()
        by_index: dict[int, Mapping[str, Any]] = {int(row.i): dict(row._mapping) for row in rows}
        points = []
        for i in range((to_ts - from_ts + step_s - 1) // step_s):
            row: Mapping[str, Any] = by_index.get(i, {})
            points.append(
                Point(
                    start_ts=from_ts + i * step_s,
                    count=int(row.get("count") or 0),
                    pos=int(row.get("pos") or 0),
                    neu=int(row.get("neu") or 0),
                    neg=int(row.get("neg") or 0),
                    score_sum=float(row.get("score_sum") or 0.0),
                    coordinated=int(row.get("coordinated") or 0),
                )
            )
        return points
