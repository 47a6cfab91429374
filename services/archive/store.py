"""The archive's tables: SQLite (a table plus an FTS5 index) or PostgreSQL (a tsvector column with a GIN
index), chosen by the database URL, through SQLAlchemy Core.

Writes are idempotent by mention id (INSERT OR IGNORE / ON CONFLICT DO NOTHING), one transaction per
batch, so a batch read again after a crash changes nothing. Retention deletes the oldest keys in bounded
transactions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import orjson
import sqlalchemy as sa

from services.archive.prefilter import AllOf, Requirement, Term, to_fts5, to_tsquery
from services.archive.progress import ArchiveProgress
from services.archive.records import (
    MAX_KEY_MS,
    MAX_REACH_TIER,
    ArchivedMention,
    archive_key,
    key_at,
    lexemes,
    reach_tier,
)
from services.storage import create_db_engine

log = logging.getLogger(__name__)

TABLE = "archive_mentions"
FTS_TABLE = "archive_fts"
#: Ids or keys looked up in one IN (...) list.
LOOKUP_CHUNK = 500

metadata = sa.MetaData()
mentions_table = sa.Table(
    TABLE,
    metadata,
    # INTEGER PRIMARY KEY on SQLite: the rowid itself, shared with the FTS5 index.
    sa.Column(
        "key", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    sa.Column("id", sa.String(512), nullable=False, unique=True),
    sa.Column("ts", sa.Float(precision=53), nullable=False),
    sa.Column("watchlists", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("author_handle", sa.String(512), nullable=False),
    sa.Column("author_name", sa.String(512)),
    sa.Column("author_followers", sa.BigInteger, nullable=False),
    sa.Column("reach", sa.BigInteger, nullable=False),
    sa.Column("source", sa.String(512), nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("lang", sa.String(16)),
    sa.Column("sentiment", sa.String(16), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("coordinated", sa.Boolean),
    sa.Column("hashtags", sa.Text, nullable=False),
    sa.Column("mentioned", sa.Text, nullable=False),
    sa.Column("links", sa.Text, nullable=False),
    sa.Index("archive_mentions_reach", "reach", "key"),
)
#: How far the archive is complete, as the archiver last reported (services/archive/progress.py): one row.
progress_table = sa.Table(
    "archive_progress",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("complete_until", sa.Float(precision=53), nullable=False),
    sa.Column("reported_at", sa.Float(precision=53), nullable=False),
)
PROGRESS_ROW = "archiver"
COLUMNS = [column.name for column in mentions_table.columns]
_JSON_COLUMNS = ("watchlists", "hashtags", "mentioned", "links")

Sort = Literal["time", "reach"]


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ended: the last row's key (and reach, when sorted by reach)."""

    key: int
    reach: int = 0


def _row(key: int, mention: ArchivedMention) -> tuple[Any, ...]:
    """The values of a mention's row, in `COLUMNS` order."""
    return (
        key,
        mention.id,
        mention.created_at.timestamp(),
        orjson.dumps(mention.watchlists).decode(),
        mention.text,
        mention.author_handle,
        mention.author_name,
        mention.author_followers,
        mention.reach,
        mention.source,
        mention.url,
        mention.lang,
        mention.sentiment,
        mention.score,
        mention.coordinated,
        orjson.dumps(mention.hashtags).decode(),
        orjson.dumps(mention.mentioned).decode(),
        orjson.dumps(mention.links).decode(),
    )


def _from_row(row: sa.Row[Any]) -> tuple[int, ArchivedMention]:
    values = row._mapping
    mention = ArchivedMention(
        id=values["id"],
        created_at=datetime.fromtimestamp(values["ts"], UTC),
        watchlists=orjson.loads(values["watchlists"]),
        text=values["text"],
        author_handle=values["author_handle"],
        author_name=values["author_name"],
        author_followers=values["author_followers"],
        reach=values["reach"],
        source=values["source"],
        url=values["url"],
        lang=values["lang"],
        sentiment=values["sentiment"],
        score=values["score"],
        coordinated=None if values["coordinated"] is None else bool(values["coordinated"]),
        hashtags=orjson.loads(values["hashtags"]),
        mentioned=orjson.loads(values["mentioned"]),
        links=orjson.loads(values["links"]),
    )
    return values["key"], mention


def _chunks(items: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Archive:
    """The archive in one database; `postgres` when the URL is PostgreSQL, SQLite otherwise."""

    def __init__(self, url: str) -> None:
        self.engine = create_db_engine(url)
        self.postgres = self.engine.dialect.name == "postgresql"
        metadata.create_all(self.engine)
        with self.engine.begin() as connection:
            if self.postgres:
                connection.exec_driver_sql(f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS tsv tsvector")
                connection.exec_driver_sql(
                    f"CREATE INDEX IF NOT EXISTS {TABLE}_tsv ON {TABLE} USING gin (tsv)"
                )
            else:
                # `ascii`: every non-ASCII character and #@:._- stay inside a token, so each index term
                # (already folded by services/understanding/text.py) is one token; detail=none: no positions
                # needed.
                connection.exec_driver_sql(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
                    "terms, tokenize=\"ascii tokenchars '#@:._-'\", detail=none)"
                )

    def close(self) -> None:
        self.engine.dispose()

    # -- writing ----------------------------------------------------------------------------------------

    def write(self, mentions: Sequence[ArchivedMention], keep_since: datetime | None = None) -> int:
        """Archive mentions not archived yet (by id) in one transaction; return how many were new. Those
        older than `keep_since` are left out (retention would delete them at once)."""
        unique = {m.id: m for m in mentions if keep_since is None or m.created_at >= keep_since}
        if not unique:
            return 0
        with self.engine.connect() as connection:
            if not self.postgres:
                connection.exec_driver_sql("BEGIN IMMEDIATE")  # one writer at a time, from the start
            existing = self._existing_ids(connection, list(unique))
            fresh = [m for m in unique.values() if m.id not in existing]
            keyed = self._assign_keys(connection, fresh)
            if keyed:
                self._insert(connection, keyed)
            connection.commit()
        return len(keyed)

    def _existing_ids(self, connection: sa.Connection, ids: list[str]) -> set[str]:
        found: set[str] = set()
        query = sa.select(mentions_table.c.id).where(
            mentions_table.c.id.in_(sa.bindparam("ids", expanding=True))
        )
        for chunk in _chunks(ids):
            found.update(connection.execute(query, {"ids": list(chunk)}).scalars())
        return found

    def _assign_keys(
        self, connection: sa.Connection, mentions: list[ArchivedMention]
    ) -> list[tuple[int, ArchivedMention]]:
        """Each mention's key; the rare one whose key is taken (same millisecond, same hash bits) takes
        the next free one."""
        mentions = [m for m in mentions if 0 <= m.created_at.timestamp() * 1000 < MAX_KEY_MS]
        wanted = [archive_key(m) for m in mentions]
        query = sa.select(mentions_table.c.key).where(
            mentions_table.c.key.in_(sa.bindparam("keys", expanding=True))
        )
        taken: set[int] = set()
        for chunk in _chunks(wanted):
            taken.update(connection.execute(query, {"keys": list(chunk)}).scalars())
        looked_up = set(wanted)

        def free(key: int) -> bool:
            if key not in looked_up:
                looked_up.add(key)
                if connection.execute(query, {"keys": [key]}).first() is not None:
                    taken.add(key)
            return key not in taken

        keyed = []
        for key, mention in zip(wanted, mentions, strict=True):
            while not free(key):
                key += 1
            taken.add(key)
            keyed.append((key, mention))
        return keyed

    def _insert(self, connection: sa.Connection, keyed: list[tuple[int, ArchivedMention]]) -> None:
        names = ", ".join(COLUMNS)
        if self.postgres:
            params = ", ".join(f":{name}" for name in COLUMNS)
            statement = (
                f"INSERT INTO {TABLE} ({names}, tsv) VALUES ({params}, "
                "array_to_tsvector(CAST(:lexemes AS text[]))) ON CONFLICT DO NOTHING"
            )
            rows = [
                {**dict(zip(COLUMNS, _row(key, mention), strict=True)), "lexemes": lexemes(mention)}
                for key, mention in keyed
            ]
            connection.execute(sa.text(statement), rows)
            return
        # Positional rows straight to the driver's executemany: SQLAlchemy's per-row processing of named
        # parameters cost as much CPU as SQLite's own inserts and indexing.
        marks = ", ".join("?" for _ in COLUMNS)
        connection.exec_driver_sql(
            f"INSERT OR IGNORE INTO {TABLE} ({names}) VALUES ({marks})",
            [_row(key, mention) for key, mention in keyed],
        )
        connection.exec_driver_sql(
            f"INSERT INTO {FTS_TABLE} (rowid, terms) VALUES (?, ?)",
            [(key, " ".join(lexemes(mention))) for key, mention in keyed],
        )

    # -- corrections (services/understanding/corrections.py)
    # ------------------------------------------------------------

    def find(self, connection: sa.Connection, mention_id: str) -> tuple[int, ArchivedMention] | None:
        """The archived mention with this id and its key (None when not archived), read in the caller's
        transaction."""
        columns = ", ".join(COLUMNS)
        lock = " FOR UPDATE" if self.postgres else ""
        row = connection.execute(
            sa.text(f"SELECT {columns} FROM {TABLE} WHERE id = :id{lock}"), {"id": mention_id}
        ).first()
        return _from_row(row) if row is not None else None

    def relabel(self, connection: sa.Connection, key: int, mention: ArchivedMention) -> None:
        """Write a mention's sentiment label and score again (a person corrected it), with its index term
        `sentiment:<label>`, in the caller's transaction."""
        values = {"key": key, "sentiment": mention.sentiment, "score": mention.score}
        if self.postgres:
            connection.execute(
                sa.text(
                    f"UPDATE {TABLE} SET sentiment = :sentiment, score = :score, "
                    "tsv = array_to_tsvector(CAST(:lexemes AS text[])) WHERE key = :key"
                ),
                {**values, "lexemes": lexemes(mention)},
            )
            return
        connection.execute(
            sa.text(f"UPDATE {TABLE} SET sentiment = :sentiment, score = :score WHERE key = :key"), values
        )
        connection.execute(
            sa.text(f"UPDATE {FTS_TABLE} SET terms = :terms WHERE rowid = :key"),
            {"key": key, "terms": " ".join(lexemes(mention))},
        )

    def note_progress(self, progress: ArchiveProgress) -> None:
        """Keep the archiver's latest report (one row)."""
        values = {"complete_until": progress.complete_until, "reported_at": progress.reported_at}
        with self.engine.begin() as connection:
            updated = connection.execute(
                progress_table.update().where(progress_table.c.name == PROGRESS_ROW).values(**values)
            )
            if not updated.rowcount:
                connection.execute(progress_table.insert().values(name=PROGRESS_ROW, **values))

    # -- reading ----------------------------------------------------------------------------------------

    def progress(self) -> ArchiveProgress | None:
        """The archiver's latest report (None: it never reported)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(progress_table.c.complete_until, progress_table.c.reported_at).where(
                    progress_table.c.name == PROGRESS_ROW
                )
            ).first()
        return ArchiveProgress(float(row[0]), float(row[1])) if row is not None else None

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(sa.select(sa.func.count()).select_from(mentions_table)).scalar_one()
            )

    def candidates(
        self,
        formula: Requirement | None,
        sort: Sort,
        low_key: int,
        high_key: int,
        after: Position | None,
        limit: int,
    ) -> list[tuple[int, ArchivedMention]]:
        """Up to `limit` rows with `low_key <= key < high_key` that satisfy `formula` (all rows when None),
        newest first (`time`) or largest reach first (`reach`), strictly after `after`."""
        params: dict[str, Any] = {"low": low_key, "high": high_key, "limit": limit}
        where = ["m.key >= :low", "m.key < :high"]
        if sort == "time":
            order = "m.key DESC"
            if after is not None:
                params["high"] = min(high_key, after.key)
        else:
            order = "m.reach DESC, m.key DESC"
            if after is not None:
                where.append("(m.reach < :after_reach OR (m.reach = :after_reach AND m.key < :after_key))")
                params.update(after_reach=after.reach, after_key=after.key)
        columns = ", ".join(f"m.{name}" for name in COLUMNS)
        source = f"{TABLE} m"
        if formula is not None and self.postgres:
            where.append("m.tsv @@ CAST(:match AS tsquery)")
            params["match"] = to_tsquery(formula)
        elif formula is not None and sort == "time":
            # The index yields its rowids (keys) newest first and stops at the limit.
            source = f"{FTS_TABLE} f CROSS JOIN {TABLE} m ON m.key = f.rowid"
            where = [f"{FTS_TABLE} MATCH :match", "f.rowid >= :low", "f.rowid < :high"]
            order = "f.rowid DESC"  # m.key would sort the whole match in a temporary b-tree
            params["match"] = to_fts5(formula)
        elif formula is not None:
            return self._by_reach_tiers(formula, where, params, after, limit)
        statement = (
            f"SELECT {columns} FROM {source} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT :limit"
        )
        with self.engine.connect() as connection:
            return [_from_row(row) for row in connection.execute(sa.text(statement), params)]

    def _by_reach_tiers(
        self,
        formula: Requirement,
        where: list[str],
        params: dict[str, Any],
        after: Position | None,
        limit: int,
    ) -> list[tuple[int, ArchivedMention]]:
        """SQLite, by reach: one reach tier at a time from the top (`reach:<bit length>` index terms), so
        a wide match is never sorted whole; the first tiers of a common term hold a page already."""
        columns = ", ".join(f"m.{name}" for name in COLUMNS)
        statement = (
            f"SELECT {columns} FROM {TABLE} m WHERE {' AND '.join(where)} AND m.key IN "
            f"(SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match AND rowid >= :low "
            "AND rowid < :high) ORDER BY m.reach DESC, m.key DESC LIMIT :limit"
        )
        found: list[tuple[int, ArchivedMention]] = []
        top = after.reach.bit_length() if after is not None else MAX_REACH_TIER
        with self.engine.connect() as connection:
            for tier in range(top, -1, -1):
                tiered = AllOf((formula, Term(reach_tier(tier))))
                values = {**params, "match": to_fts5(tiered), "limit": limit - len(found)}
                found.extend(_from_row(row) for row in connection.execute(sa.text(statement), values))
                if len(found) >= limit:
                    break
        return found

    # -- retention --------------------------------------------------------------------------------------

    def delete_before(self, cutoff: datetime, batch: int) -> int:
        """Delete at most `batch` of the mentions older than `cutoff` (the oldest), in one transaction;
        return how many."""
        high = key_at(cutoff)
        with self.engine.connect() as connection:
            if not self.postgres:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            last = connection.execute(
                sa.text(
                    f"SELECT max(key) FROM (SELECT key FROM {TABLE} WHERE key < :high "
                    "ORDER BY key LIMIT :n) oldest"
                ),
                {"high": high, "n": batch},
            ).scalar_one_or_none()
            if last is None:
                connection.rollback()
                return 0
            deleted = connection.execute(
                sa.text(f"DELETE FROM {TABLE} WHERE key <= :last"), {"last": last}
            ).rowcount
            if not self.postgres:
                connection.execute(sa.text(f"DELETE FROM {FTS_TABLE} WHERE rowid <= :last"), {"last": last})
            connection.commit()
        return int(deleted)

    def apply_retention(self, now: datetime, days: float, batch: int) -> int:
        """Delete every mention older than `days` before `now`, `batch` rows per transaction; return how
        many."""
        cutoff = now - timedelta(days=days)
        total = 0
        while (deleted := self.delete_before(cutoff, batch)) > 0:
            total += deleted
            if deleted < batch:
                break
        return total
