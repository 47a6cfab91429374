"""Sentiment corrections on both database engines: the archive shows and filters the new label, who set it is
kept, the windows move by the old label out and the new one in (once, however often the partial comes),
history minutes the windows no longer hold move at once, and the export is what training reads."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa

from services.aggregation.aggregate import apply_partial
from services.aggregation.windows import POS, EventClock, WindowState, bucket_of, window_stats
from services.archive.records import ArchivedMention
from services.archive.search import Searcher, build_search
from services.archive.store import Archive
from services.history.store import HistoryStore, MinuteRow, rollups_table
from services.understanding.corrections import (
    CorrectionStore,
    LabelError,
    MentionNotFound,
    export_training,
    partials,
)
from services.understanding.enrich import Partial
from services.understanding.matching import CompiledWatchlists
from services.understanding.sentiment.corrections import read_folder
from services.understanding.watchlists import Watchlist
from tests.services.test_archive import archived


@pytest.fixture
def archive(database_url: str) -> Iterator[Archive]:
    store = Archive(database_url)
    try:
        yield store
    finally:
        store.close()


def search_ids(archive: Archive, **params: object) -> list[str]:
    page = Searcher(archive, max_scan=1000).search(build_search(**params))  # type: ignore[arg-type]
    return [m.id for m in page.items]


def test_a_correction_relabels_the_archive_and_keeps_who_and_what_it_was(archive: Archive) -> None:
    mention = archived("@aerolis still on hold after 2 hours", label="neu")
    other = archived("@aerolis lovely crew today", label="pos")
    archive.write([mention, other])
    store = CorrectionStore(archive, grace_s=300)

    correction, shown = store.correct(mention.id, "neg", by="ana's console key", note="a complaint")
    assert correction is not None and (correction.old_label, correction.new_label) == ("neu", "neg")
    assert correction.by == "ana's console key" and correction.note == "a complaint"
    assert shown.sentiment == "neg" and shown.score == -1.0
    assert search_ids(archive, sentiment="neg") == [mention.id]
    assert search_ids(archive, sentiment="neu") == []
    assert search_ids(archive, query="hold", sentiment="negative") == [mention.id]

    again, _ = store.correct(mention.id, "pos", by="bob")
    assert again is not None and (again.old_label, again.new_label, again.old_score) == ("neg", "pos", -1.0)
    assert store.correct(mention.id, "pos", by="bob")[0] is None  # already that label: nothing recorded
    assert [(c.old_label, c.new_label, c.by) for c in store.history(mention.id)] == [
        ("neu", "neg", "ana's console key"),
        ("neg", "pos", "bob"),
    ]

    page = Searcher(archive, max_scan=1000).search(build_search("aerolis"))
    store.annotate(page.items)
    items = {m.id: m.to_item() for m in page.items}
    corrected = items[mention.id]["sentiment"]
    assert corrected["label"] == "pos"
    assert corrected["correction"]["model_label"] == "neu" and corrected["correction"]["from"] == "neg"
    assert corrected["correction"]["by"] == "bob"
    assert "correction" not in items[other.id]["sentiment"]


def test_unknown_mentions_and_labels_are_refused(archive: Archive) -> None:
    store = CorrectionStore(archive, grace_s=300)
    with pytest.raises(MentionNotFound):
        store.correct("never-archived", "neg", by="ana")
    mention = archived("aerolis", label="neu")
    archive.write([mention])
    with pytest.raises(LabelError, match="expected one of neg, neu, pos, got 'negative'"):
        store.correct(mention.id, "negative", by="ana")


def counted(mention: ArchivedMention, label_index: int) -> Partial:
    bucket = [1, 0, 0, 0, mention.score, 0]
    bucket[label_index] = 1
    ts = mention.created_at.timestamp()
    return Partial(watchlist="aerolis", partition=0, offset=7, buckets={bucket_of(ts): bucket}, max_ts=ts)


def test_the_windows_move_from_the_old_label_to_the_new_one_once(archive: Archive) -> None:
    mention = archived("@aerolis thanks for nothing", label="pos", watchlists=("aerolis", "skyvane"))
    archive.write([mention])
    store = CorrectionStore(archive, grace_s=300)
    state, clock = WindowState(), EventClock()
    assert apply_partial(state, counted(mention, POS), clock, 300)  # counted positive by the model
    correction, _ = store.correct(mention.id, "neg", by="ana")
    assert correction is not None
    records = partials(correction)
    assert [key for key, _ in records] == [b"aerolis", b"skyvane"]
    partial = msgspec.json.decode(records[0][1], type=Partial)
    assert apply_partial(state, partial, clock, 300)
    assert not apply_partial(state, partial, clock, 300)  # sent again: applied once
    hour = window_stats(state, clock.now())["60m"]
    assert (hour.count, hour.pos, hour.neu, hour.neg) == (1, 0, 0, 1)
    assert hour.mean == -1.0 and hour.net == -1.0

    second, _ = store.correct(mention.id, "neu", by="bob")
    assert second is not None
    assert apply_partial(state, msgspec.json.decode(partials(second)[0][1], type=Partial), clock, 300)
    hour = window_stats(state, clock.now())["60m"]
    assert (hour.count, hour.pos, hour.neu, hour.neg) == (1, 0, 1, 0)


def rollup(archive: Archive, watchlist: str, start_ts: int) -> tuple[int, int, int, int]:
    columns = rollups_table.c
    with archive.engine.connect() as connection:
        row = connection.execute(
            sa.select(columns["count"], columns.pos, columns.neu, columns.neg).where(
                columns.watchlist_id == watchlist, columns.step_s == 60, columns.start_ts == start_ts
            )
        ).one()
    return (row[0], row[1], row[2], row[3])


def test_history_minutes_the_windows_no_longer_hold_move_at_once(archive: Archive, database_url: str) -> None:
    old = archived("aerolis lost my bag", label="neu", minutes_ago=180)
    recent = archived("aerolis lost my bag again", label="neu", minutes_ago=1)
    archive.write([old, recent])
    history = HistoryStore(database_url)
    minutes = [int(m.created_at.timestamp() // 60) * 60 for m in (old, recent)]
    history.save([], [MinuteRow("aerolis", start, [3, 1, 2, 0, 0.5, 0]) for start in minutes])
    history.close()
    store = CorrectionStore(archive, grace_s=300)
    store.correct(old.id, "neg", by="ana")
    store.correct(recent.id, "neg", by="ana")
    assert rollup(archive, "aerolis", minutes[0]) == (3, 1, 1, 1)  # moved by the correction itself
    assert rollup(archive, "aerolis", minutes[1]) == (
        3,
        1,
        2,
        0,
    )  # the aggregate rewrites it from its windows


def test_the_export_is_what_training_reads(archive: Archive, tmp_path: Path) -> None:
    english = archived("@aerolis still waiting for my refund,\n3 weeks\tnow", label="neu", lang="en")
    french = archived("Aerolis, des idées ? Comment marche le programme exactement ?", label="neg", lang="fr")
    archive.write([english, french])
    store = CorrectionStore(archive, grace_s=300)
    store.correct(english.id, "pos", by="ana")
    store.correct(english.id, "neg", by="bob")  # the latest label counts
    store.correct(french.id, "neu", by="ana")
    watched = CompiledWatchlists(
        [Watchlist(id="aerolis", name="Aerolis", handles=["aerolis"], keywords=["aerolis"])]
    )
    counts = export_training(store.labelled(), tmp_path / "corrections", watched.mask)
    assert counts == {"en": 1, "fr": 1}
    assert (tmp_path / "corrections" / "corrections_en.tsv").read_text() == (
        "neg\tstill waiting for my refund, 3 weeks now\n"  # the brand masked, as before scoring
    )
    splits = {split.lang: split for split in read_folder(tmp_path / "corrections")}
    assert splits["en"].labels == [0] and splits["fr"].labels == [1]
    assert splits["fr"].texts == [", des idées ? Comment marche le programme exactement ?"]


def tiny_corpus(root: Path) -> None:
    """A few labelled tweets per language in the layout of shared/data/sentiment (xlmt/<language>/)."""
    from services.understanding.sentiment.data import LANGUAGES

    texts = {0: "awful delay, never again", 1: "the flight leaves at noon", 2: "great crew, thank you"}
    for folder in LANGUAGES.values():
        (root / "xlmt" / folder).mkdir(parents=True)
        lines = [(f"{texts[label]} {n}", label) for n in range(4) for label in (0, 1, 2)]
        (root / "xlmt" / folder / "train_text.txt").write_text("".join(f"{t}\n" for t, _ in lines))
        (root / "xlmt" / folder / "train_labels.txt").write_text("".join(f"{y}\n" for _, y in lines))


def test_training_includes_the_exported_corrections(tmp_path: Path) -> None:
    tiny_corpus(tmp_path / "data")
    (tmp_path / "corrections").mkdir()
    (tmp_path / "corrections" / "corrections_en.tsv").write_text(
        "neg\t@united still on hold after 2 hours\nneg\tthanks for nothing\n"
    )
    env = {"VIGIE_SENTIMENT_DATA": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    argv = [
        sys.executable,
        "-m",
        "services.understanding.sentiment.train",
        "--output",
        str(tmp_path / "model.npz"),
    ]
    plain = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=True)
    with_corrections = subprocess.run(
        [*argv, "--corrections", str(tmp_path / "corrections")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "+ 2 corrected en texts" in with_corrections.stdout
    trained = [int(out.stdout.split("trained on ")[1].split()[0]) for out in (plain, with_corrections)]
    assert trained[1] == trained[0] + 2, (plain.stdout, with_corrections.stdout)


def test_a_bad_corrections_file_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "corrections_en.tsv").write_text("neg\tfine\nnegative\toops\n")
    with pytest.raises(ValueError, match=r"corrections_en.tsv:2: expected 'neg\|neu\|pos<TAB>text'"):
        read_folder(tmp_path)
    with pytest.raises(FileNotFoundError, match="corrections_"):
        read_folder(tmp_path / "empty")
