"""How current the archive is (services/archive/progress.py): what the archiver reports and what search
says of it, kept in SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from services.archive.progress import (
    PROGRESS_EVERY_S,
    STALE_AFTER_S,
    ArchiveProgress,
    ProgressTracker,
    freshness,
)
from services.archive.store import Archive

T0 = 1_796_600_000.0


def test_a_spike_leaves_the_archive_complete_only_up_to_the_newest_record_written() -> None:
    tracker = ProgressTracker()
    assert tracker.due(T0) is None  # nothing polled yet: nothing to say
    tracker.polled(asked_at=T0, newest_record_ts=T0 - 40.0)  # a backlog: the newest written is 40 s old
    report = tracker.due(T0 + 1)
    assert report == ArchiveProgress(complete_until=T0 - 40.0, reported_at=T0 + 1)
    said = freshness(report, now=T0 + 1)
    assert said is not None and said["behind_s"] == 41.0 and not said["stale"]


def test_an_empty_poll_means_complete_up_to_when_it_was_asked() -> None:
    tracker = ProgressTracker()
    tracker.polled(asked_at=T0, newest_record_ts=T0 - 40.0)
    tracker.polled(asked_at=T0 + 5, newest_record_ts=None)  # caught up: nothing after its position
    report = tracker.due(T0 + 6)
    assert report is not None and report.complete_until == T0 + 5


def test_reports_come_at_most_every_few_seconds_and_never_go_back() -> None:
    tracker = ProgressTracker()
    tracker.polled(asked_at=T0, newest_record_ts=T0 - 1)
    assert tracker.due(T0) is not None
    tracker.polled(asked_at=T0 + 0.5, newest_record_ts=T0 - 3)  # an older record (another producer's clock)
    assert tracker.due(T0 + 0.5) is None  # too soon
    later = tracker.due(T0 + PROGRESS_EVERY_S)
    assert later is not None and later.complete_until == T0 - 1


def test_an_archiver_that_stopped_reporting_is_called_stale() -> None:
    report = ArchiveProgress(complete_until=T0, reported_at=T0)
    fresh, old = freshness(report, T0 + 1), freshness(report, T0 + STALE_AFTER_S + 1)
    assert fresh is not None and old is not None
    assert not fresh["stale"] and old["stale"] and old["behind_s"] == STALE_AFTER_S + 1
    assert datetime.fromisoformat(old["complete_until"]).timestamp() == T0
    assert freshness(None, T0) is None  # never reported: search says nothing rather than guess


def test_the_latest_report_is_kept_in_the_database(database_url: str) -> None:
    archive = Archive(database_url)
    try:
        assert archive.progress() is None
        archive.note_progress(ArchiveProgress(T0 - 10, T0))
        archive.note_progress(ArchiveProgress(T0 - 2, T0 + 2))
        assert archive.progress() == ArchiveProgress(T0 - 2, T0 + 2)
    finally:
        archive.close()
    again = Archive(database_url)  # another process (the api) reads what the archiver wrote
    try:
        assert again.progress() == ArchiveProgress(T0 - 2, T0 + 2)
    finally:
        again.close()
