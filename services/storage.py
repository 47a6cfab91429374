"""The configuration database (SQLite by default, PostgreSQL by URL) through SQLAlchemy Core.

Records are stored as their JSON with a few indexed columns, so adding a field needs no migration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import msgspec
import sqlalchemy as sa

from services.connectors.specs import Spec, decode_spec, encode_spec, spec_name
from services.understanding.watchlists import Watchlist

metadata = sa.MetaData()

watchlists_table = sa.Table(
    "watchlists",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

_watchlist_decoder = msgspec.json.Decoder(Watchlist)

#: Connectors configured through the API (services/connectors/specs.py), by name; the body is the spec.
connectors_table = sa.Table(
    "connectors",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


def create_db_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _wal(connection: object, _: object) -> None:
            cursor = connection.cursor()  # type: ignore[attr-defined]
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            # WAL with synchronous=NORMAL: a commit survives the process (a crash, a kill, a restart) and
            # the file is never corrupted, but the last commits before a power loss or an OS crash may roll
            # back; a commit no longer waits for fsync, so the archiver and the workers' history writes hold
            # the write lock for less (history and archive on/off 0.905 -> 0.94, medians of 10 pairs).
            # Deployments that need every commit on disk use PostgreSQL (deploy/).
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def create_tables(metadata: sa.MetaData, engine: sa.Engine) -> None:
    """Create the tables that do not exist yet, when several processes (the roles of `vigie run`) may be
    creating them at the same moment: the one that loses the race finds them made."""
    try:
        metadata.create_all(engine)
    except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
        metadata.create_all(engine)  # made meanwhile by another process: now every check finds them


class Store:
    def __init__(self, url: str) -> None:
        self.engine = create_db_engine(url)
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def list_watchlists(self) -> list[Watchlist]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(watchlists_table.c.body).order_by(watchlists_table.c.id))
            return [_watchlist_decoder.decode(row.body) for row in rows]

    def get_watchlist(self, watchlist_id: str) -> Watchlist | None:
        with self.engine.connect() as connection:
            body = connection.execute(
                sa.select(watchlists_table.c.body).where(watchlists_table.c.id == watchlist_id)
            ).scalar_one_or_none()
        return _watchlist_decoder.decode(body) if body is not None else None

    def save_watchlist(self, watchlist: Watchlist) -> Watchlist:
        """Insert or replace; keeps the original creation time of an existing watchlist."""
        existing = self.get_watchlist(watchlist.id)
        now = datetime.now(UTC)
        watchlist = msgspec.structs.replace(
            watchlist, created_at=existing.created_at if existing else now, updated_at=now
        )
        values = {"body": msgspec.json.encode(watchlist).decode(), "updated_at": now}
        with self.engine.begin() as connection:
            if existing:
                connection.execute(
                    watchlists_table.update().where(watchlists_table.c.id == watchlist.id).values(**values)
                )
            else:
                connection.execute(watchlists_table.insert().values(id=watchlist.id, **values))
        return watchlist

    def delete_watchlist(self, watchlist_id: str) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(
                watchlists_table.delete().where(watchlists_table.c.id == watchlist_id)
            )
        return result.rowcount > 0

    # -- connectors configured through the API -----------------------------------------------------------

    def list_connectors(self) -> list[Spec]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(connectors_table.c.body).order_by(connectors_table.c.name))
            return [decode_spec(row.body) for row in rows]

    def get_connector(self, name: str) -> Spec | None:
        with self.engine.connect() as connection:
            body = connection.execute(
                sa.select(connectors_table.c.body).where(connectors_table.c.name == name)
            ).scalar_one_or_none()
        return decode_spec(body) if body is not None else None

    def add_connector(self, spec: Spec) -> bool:
        """Insert; False (and nothing changed) when a connector of that name exists already."""
        values = {"name": spec_name(spec), "body": encode_spec(spec), "updated_at": datetime.now(UTC)}
        try:
            with self.engine.begin() as connection:
                connection.execute(connectors_table.insert().values(**values))
        except sa.exc.IntegrityError:
            return False
        return True

    def delete_connector(self, name: str) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(connectors_table.delete().where(connectors_table.c.name == name))
        return result.rowcount > 0
