"""People correct the machine: an operator sets a mention's sentiment, and the counts, the archive and the
training data follow.

A correction (`CorrectionStore.correct`) is one transaction in the database Vigie already uses:

- a row of `sentiment_corrections`: the mention, its event time and watchlists, the label before and after
  (the model's label for a first correction, the previous correction's after that), who (the API key's
  name, as in the audit of alerts), when, an optional note, and the text and language (kept for training
  when the archive has deleted the mention);
- the archived mention's label and score become the corrected ones (search, its `sentiment` filter and
  export show them; `annotate` adds who corrected what);
- history roll-ups of a minute the aggregate's windows no longer hold (older than an hour plus the grace,
  judged by the stream clock of the watchlist's last saved window state) move by the difference at once;
  younger minutes are rewritten by the aggregate from its windows (services/history/rollups.py).

The windows move through the aggregate stage: `partials` gives one partial aggregate per watchlist for the
mention's 10-second bucket (`[0, ±pos, ±neu, ±neg, score difference, 0]`), sourced at (`SOURCE_PARTITION`,
correction id) so the aggregate applies each correction once however often it is sent
(services/aggregation/windows.py `WindowState.already_applied`). It is published after the transaction and
marked `published` once the broker acknowledged it; what is not yet published is sent again (`unpublished`).

A corrected mention scores `LABEL_SCORE` of its label (the window's `mean` follows people's label).
`export_training` writes the latest label of each corrected mention as `neg|neu|pos<TAB>text` lines, one file
per language (`corrections_<lang>.tsv`), the format of the extra files services/understanding/sentiment trains
on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import orjson
import sqlalchemy as sa

from services.aggregation.windows import HISTORY_S, NEG, NEU, POS, SCORE_SUM, bucket_of, empty_bucket
from services.archive.records import ArchivedMention
from services.archive.store import Archive
from services.history.rollups import HOUR_S, MINUTE_S, minute_of
from services.history.store import metadata as history_metadata
from services.history.store import rollups_table, snapshots_table
from services.storage import create_tables
from services.understanding.enrich import Partial
from services.understanding.sentiment import LABELS

#: The raw "partition" correction partials are applied under (raw partitions are >= 0, the insights
#: stage's coordination corrections -1, -2, ...): the offset is the correction's id.
SOURCE_PARTITION = -1_000_000
#: The score a corrected mention counts with.
LABEL_SCORE = {"neg": -1.0, "neu": 0.0, "pos": 1.0}
_INDEX = {"neg": NEG, "neu": NEU, "pos": POS}
#: Minutes this close to the windows' horizon are also moved in the history tables by the correction itself
#: (the aggregate might not rewrite them any more by the time its partial arrives).
HORIZON_MARGIN_S = 120.0
MAX_NOTE_CHARS = 1000

metadata = sa.MetaData()
corrections_table = sa.Table(
    "sentiment_corrections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("mention_id", sa.String(512), nullable=False, index=True),
    sa.Column("ts", sa.Float(precision=53), nullable=False),
    sa.Column("watchlists", sa.Text, nullable=False),
    sa.Column("old_label", sa.String(8), nullable=False),
    sa.Column("new_label", sa.String(8), nullable=False),
    sa.Column("old_score", sa.Float, nullable=False),
    sa.Column("new_score", sa.Float, nullable=False),
    sa.Column("by", sa.String(512), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("at", sa.Float(precision=53), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("lang", sa.String(16)),
    sa.Column("published", sa.Boolean, nullable=False, default=False),
)


class MentionNotFound(LookupError):
    """No archived mention has this id (only archived mentions, those matched to a watchlist, count)."""


class LabelError(ValueError):
    """A label that is not one of services.understanding.sentiment.LABELS."""


@dataclass(frozen=True)
class Correction:
    id: int
    mention_id: str
    ts: float
    watchlists: list[str]
    old_label: str
    new_label: str
    old_score: float
    new_score: float
    by: str
    note: str | None
    at: float
    text: str
    lang: str | None

    def to_item(self, model_label: str | None = None) -> dict[str, Any]:
        """What the api answers and search shows of a correction."""
        item: dict[str, Any] = {
            "id": self.id,
            "mention_id": self.mention_id,
            "from": self.old_label,
            "to": self.new_label,
            "by": self.by,
            "note": self.note,
            "at": datetime.fromtimestamp(self.at, UTC).isoformat(),
            "watchlists": self.watchlists,
        }
        if model_label is not None:
            item["model_label"] = model_label
        return item


def _from_row(row: sa.Row[Any]) -> Correction:
    values = row._mapping
    return Correction(
        id=values["id"],
        mention_id=values["mention_id"],
        ts=values["ts"],
        watchlists=orjson.loads(values["watchlists"]),
        old_label=values["old_label"],
        new_label=values["new_label"],
        old_score=values["old_score"],
        new_score=values["new_score"],
        by=values["by"],
        note=values["note"],
        at=values["at"],
        text=values["text"],
        lang=values["lang"],
    )


def check_label(label: str) -> str:
    """The label, or LabelError saying what was expected."""
    if label not in LABELS:
        raise LabelError(f"expected one of {', '.join(LABELS)}, got {label!r}")
    return label


def delta_bucket(old_label: str, new_label: str, old_score: float, new_score: float) -> list[float]:
    """What a correction adds to the bucket of its mention: the old label out, the new one in, no count."""
    bucket = empty_bucket()
    bucket[_INDEX[old_label]] -= 1
    bucket[_INDEX[new_label]] += 1
    bucket[SCORE_SUM] = new_score - old_score
    return bucket


def partials(correction: Correction) -> list[tuple[bytes, bytes]]:
    """The (key, value) records of the partials topic that move the windows of each watchlist."""
    delta = delta_bucket(
        correction.old_label, correction.new_label, correction.old_score, correction.new_score
    )
    records = []
    for watchlist in correction.watchlists:
        partial = Partial(
            watchlist=watchlist,
            partition=SOURCE_PARTITION,
            offset=correction.id,
            buckets={bucket_of(correction.ts): list(delta)},
            max_ts=correction.ts,
        )
        records.append((watchlist.encode(), msgspec.json.encode(partial)))
    return records


class CorrectionStore:
    """Corrections in the archive's database (the same one as history and configuration)."""

    def __init__(self, archive: Archive, *, grace_s: float) -> None:
        self.archive = archive
        self.engine = archive.engine
        self.grace_s = grace_s
        create_tables(metadata, self.engine)
        create_tables(history_metadata, self.engine)  # read and moved here; written by the aggregate

    def correct(
        self, mention_id: str, label: str, *, by: str, note: str | None = None, now: float | None = None
    ) -> tuple[Correction | None, ArchivedMention]:
        """Set an archived mention's sentiment; (the correction, the mention as it now reads). The
        correction is None when the mention already had that label (nothing changes). MentionNotFound when
        no archived mention has this id."""
        check_label(label)
        now = now if now is not None else datetime.now(UTC).timestamp()
        with self.engine.connect() as connection:
            if not self.archive.postgres:
                connection.exec_driver_sql("BEGIN IMMEDIATE")  # one writer at a time, from the start
            found = self.archive.find(connection, mention_id)
            if found is None:
                connection.rollback()
                raise MentionNotFound(mention_id)
            key, mention = found
            if mention.sentiment == label:
                connection.rollback()
                return None, mention
            old_label, old_score = mention.sentiment, mention.score
            new_score = LABEL_SCORE[label]
            ts = mention.created_at.timestamp()
            inserted = connection.execute(
                corrections_table.insert().values(
                    mention_id=mention_id,
                    ts=ts,
                    watchlists=orjson.dumps(mention.watchlists).decode(),
                    old_label=old_label,
                    new_label=label,
                    old_score=old_score,
                    new_score=new_score,
                    by=by,
                    note=note,
                    at=now,
                    text=mention.text,
                    lang=mention.lang,
                    published=False,
                )
            )
            (correction_id,) = inserted.inserted_primary_key or (None,)
            assert correction_id is not None
            mention.sentiment, mention.score = label, new_score
            self.archive.relabel(connection, key, mention)
            delta = delta_bucket(old_label, label, old_score, new_score)
            self._move_old_rollups(connection, mention.watchlists, ts, delta, now)
            connection.commit()
        correction = Correction(
            correction_id, mention_id, ts, list(mention.watchlists), old_label, label, old_score,
            new_score, by, note, now, mention.text, mention.lang,
        )  # fmt: skip
        return correction, mention

    def _move_old_rollups(
        self, connection: sa.Connection, watchlists: Iterable[str], ts: float, delta: list[float], now: float
    ) -> None:
        """Move the history row of the mention's minute (or hour, once compacted) for each watchlist whose
        windows no longer hold that minute."""
        minute = minute_of(ts)
        columns = rollups_table.c
        changes = {
            "pos": columns.pos + int(delta[POS]),
            "neu": columns.neu + int(delta[NEU]),
            "neg": columns.neg + int(delta[NEG]),
            "score_sum": columns.score_sum + delta[SCORE_SUM],
        }
        for watchlist in watchlists:
            horizon = self._stream_clock(connection, watchlist, now) - HISTORY_S - self.grace_s
            if minute >= horizon + HORIZON_MARGIN_S:
                continue  # the aggregate rewrites this minute from its windows
            for step_s in (MINUTE_S, HOUR_S):
                start = int(ts // step_s) * step_s
                moved = connection.execute(
                    rollups_table.update()
                    .where(
                        columns.watchlist_id == watchlist, columns.step_s == step_s, columns.start_ts == start
                    )
                    .values(**changes)
                ).rowcount
                if moved:
                    break

    def _stream_clock(self, connection: sa.Connection, watchlist: str, now: float) -> float:
        """The aggregate's stream clock for a watchlist, as of its last saved window state (wall time when
        none was saved)."""
        columns = snapshots_table.c
        row = connection.execute(
            sa.select(columns.clock_ts, columns.saved_at).where(columns.watchlist_id == watchlist)
        ).first()
        if row is None or not row.clock_ts:
            return now
        return float(row.clock_ts + (now - row.saved_at))

    def mark_published(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self.engine.begin() as connection:
            connection.execute(
                corrections_table.update().where(corrections_table.c.id.in_(list(ids))).values(published=True)
            )

    def unpublished(self, limit: int = 1000) -> list[Correction]:
        """Corrections whose partials the broker has not acknowledged yet, oldest first."""
        query = (
            sa.select(corrections_table)
            .where(corrections_table.c.published.is_(False))
            .order_by(corrections_table.c.id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [_from_row(row) for row in connection.execute(query)]

    def history(self, mention_id: str) -> list[Correction]:
        """Every correction of a mention, oldest first."""
        query = (
            sa.select(corrections_table)
            .where(corrections_table.c.mention_id == mention_id)
            .order_by(corrections_table.c.id)
        )
        with self.engine.connect() as connection:
            return [_from_row(row) for row in connection.execute(query)]

    def latest_of(self, mention_ids: Sequence[str]) -> dict[str, tuple[Correction, str]]:
        """The latest correction of each corrected mention among `mention_ids`, with the model's label (the
        label before its first correction)."""
        if not mention_ids:
            return {}
        query = (
            sa.select(corrections_table)
            .where(corrections_table.c.mention_id.in_(sa.bindparam("ids", expanding=True)))
            .order_by(corrections_table.c.id)
        )
        found: dict[str, tuple[Correction, str]] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(mention_ids), 500):
                chunk = list(mention_ids[start : start + 500])
                for row in connection.execute(query, {"ids": chunk}):
                    correction = _from_row(row)
                    first = found.get(correction.mention_id)
                    found[correction.mention_id] = (correction, first[1] if first else correction.old_label)
        return found

    def annotate(self, mentions: Sequence[ArchivedMention]) -> None:
        """Set `correction` on the archived mentions people corrected (for search and export)."""
        latest = self.latest_of([m.id for m in mentions])
        for mention in mentions:
            if mention.id in latest:
                correction, model_label = latest[mention.id]
                mention.correction = correction.to_item(model_label)

    def labelled(self) -> list[Correction]:
        """The latest correction of every corrected mention, oldest mention first."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(corrections_table).order_by(corrections_table.c.id)).all()
        latest: dict[str, Correction] = {}
        for row in rows:
            correction = _from_row(row)
            latest[correction.mention_id] = correction
        return sorted(latest.values(), key=lambda c: (c.ts, c.mention_id))


_SPACE = re.compile(r"\s+")


def training_line(label: str, text: str) -> str:
    """`label<TAB>text` with the text on one line (tabs and line breaks become spaces)."""
    return f"{label}\t{_SPACE.sub(' ', text).strip()}\n"


def export_training(
    corrections: Sequence[Correction],
    folder: Path,
    mask: Callable[[str, list[str]], str] | None = None,
) -> dict[str, int]:
    """Write `corrections_<lang>.tsv` files (`neg|neu|pos<TAB>text`) into `folder`, replacing those of an
    earlier export; how many lines per language. A mention without a language is detected from its text.
    `mask(text, watchlist_ids)` takes the watched terms out, as the enrich stage does before scoring
    (services/understanding/matching.py `CompiledWatchlists.mask`), so the model learns from the words around
    a brand, as it reads them, not from the brand's name."""
    from services.understanding.language import detect_batch  # the model loads on first use only

    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("corrections_*.tsv"):
        old.unlink()
    langs = detect_batch([c.text for c in corrections], [c.lang for c in corrections])
    lines: dict[str, list[str]] = {}
    for correction, lang in zip(corrections, langs, strict=True):
        text = mask(correction.text, correction.watchlists) if mask is not None else correction.text
        lines.setdefault(lang, []).append(training_line(correction.new_label, text))
    for lang, texts in lines.items():
        (folder / f"corrections_{lang}.tsv").write_text("".join(texts), encoding="utf-8")
    return {lang: len(texts) for lang, texts in sorted(lines.items())}
