"""The pieces of the shared connector loop: cursor file, track filter, backoff, counters, SSE framing."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from services.connectors.base import Backoff, ConnectorRunner, ConnectorStats, Event
from services.connectors.cursor import CursorError, CursorStore
from services.connectors.sse import ServerEvent, parse_sse
from services.connectors.track import Track
from services.ingest.records import Mention, parse_mention


def test_the_cursor_survives_a_restart_and_a_corrupt_file_is_named(tmp_path: Path) -> None:
    store = CursorStore.for_connector(tmp_path, "bluesky")
    assert store.load() == {}
    store.save({"time_us": 1725911162329308})
    assert CursorStore.for_connector(tmp_path, "bluesky").load() == {"time_us": 1725911162329308}
    assert [p.name for p in (tmp_path / "connectors").iterdir()] == ["bluesky.json"]  # no temp file left
    store.path.write_text("{half")
    with pytest.raises(CursorError, match=r"bluesky\.json"):
        store.load()


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Le Café Élan est fermé", True),  # "cafe elan", accents and case folded
        ("un cafe, elan!", True),
        ("café sans nom", False),
        ("voyage #AéroLis", True),
        ("aerolis sans dièse", False),  # #aerolis is a hashtag term only
    ],
)
def test_track_matches_folded_words_phrases_and_hashtags(text: str, kept: bool) -> None:
    track = Track.parse("café élan,#aerolis")
    mention = parse_mention({"text": text, "author": {"handle": "a"}})
    assert track.keeps(mention) is kept


def test_an_empty_track_keeps_everything() -> None:
    assert Track.parse("").keeps(parse_mention({"text": "anything", "author": {"handle": "a"}}))


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    backoff, rng = Backoff(base_s=1.0, cap_s=30.0), random.Random(7)
    delays = [backoff.delay_s(attempt, rng) for attempt in range(12)]
    assert all(0.1 <= d <= 1.0 for d in delays[:1])
    assert all(3.0 <= d <= 30.0 for d in delays[5:])
    assert len({round(d, 6) for d in delays[5:]}) > 1  # jittered, not a fixed schedule


def test_stats_rate_is_received_per_second_between_reports() -> None:
    stats = ConnectorStats(name="x", kind="rss")
    stats.refresh_rate(1000.0)
    stats.received = 50
    stats.refresh_rate(1010.0)
    assert stats.rate_per_s == 5.0
    assert "_rate_mark" not in stats.snapshot()


async def test_sse_frames_events_and_skips_heartbeats() -> None:
    async def lines() -> AsyncIterator[str]:
        for line in [
            ":thump",
            "event: update",
            'data: {"id":',
            'data: "1"}',
            "",
            "event: delete",
            "data: 9",
            "",
        ]:
            yield line

    assert [event async for event in parse_sse(lines())] == [
        ServerEvent("update", '{"id":\n"1"}'),
        ServerEvent("delete", "9"),
    ]


class QuietSource:
    """A source that connects and then hears nothing (events are put on the runner's queue by the test)."""

    kind = "test"

    def resume(self, cursor: dict[str, Any]) -> None:
        pass

    async def read(self, stats: ConnectorStats) -> AsyncIterator[Event]:
        await asyncio.Event().wait()
        yield Event(None)  # never reached

    def advance(self, cursor: dict[str, Any], token: Any) -> dict[str, Any]:
        return cursor


async def test_a_runner_stops_when_cancelled_even_as_an_event_arrives(tmp_path: Path) -> None:
    """Deleting a connector cancels its runner; an event arriving in the same instant must not swallow
    the cancellation (asyncio.wait_for does on Python 3.11), or the runner never stops."""

    async def publish(mentions: Sequence[Mention]) -> int:
        return len(mentions)

    runner = ConnectorRunner(
        QuietSource(), publish, CursorStore(tmp_path / "c.json"), ConnectorStats("t", "test"), batch_wait_s=60
    )
    task = asyncio.create_task(runner.run())
    runner.queue.put_nowait(Event(None))  # a batch is now pending, waiting up to 60 s for more
    for _ in range(5):
        await asyncio.sleep(0)
    runner.queue.put_nowait(Event(None))
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=5)
    assert done == {task} and task.cancelled()


def test_an_error_shown_in_the_status_carries_no_secret() -> None:
    stats = ConnectorStats(name="feeds", kind="rss")
    stats.error("https://intra.example/feed.xml?token=s3cr3t-feed-token: HTTPStatusError: 500")
    assert stats.last_error == "https://intra.example/feed.xml?token=*** HTTPStatusError: 500"
