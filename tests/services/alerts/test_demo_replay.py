"""The demo's first 20 minutes through the real stages and rule engine in event time (replay.py,
what `make eval-alerts` runs for an hour): each scripted surge is one incident, paged once and detected
within a minute of its start, the first one too (60 s after the stream starts, with no baseline yet), and
nothing outside a surge is more than info."""

from __future__ import annotations

from services.alerts.evaluate import score
from services.alerts.replay import replay_demo


def test_each_demo_surge_is_detected_within_a_minute_paged_once_and_nothing_else_pages() -> None:
    replay = replay_demo(1200.0)
    result = score(replay)
    assert len(result.episodes) >= 5
    for row in result.episodes:
        episode = f"episode {row.episode.index} on {row.episode.watchlist_id}"
        assert row.delay_s is not None and 0 <= row.delay_s <= 60, f"{episode}: spike after {row.delay_s} s"
        assert row.pages == 1, f"{episode}: {row.pages} pages"
    assert result.outside.keys() <= {"info"}, result.outside_examples
    spikes = [e for e in replay.events if e.rule == "volume_spike" and e.status == "firing"]
    first = min(spikes, key=lambda e: e.at)
    # The summary quotes what it compares, and what the expected rate rests on.
    assert "mentions in the last" in first.summary and "x the expected" in first.summary
    assert "history" in first.summary or "median" in first.summary
    # An hour of demo traffic used to raise 31 alerts in its first two minutes.
    early = [e for e in replay.events if (e.at - replay.start).total_seconds() <= 120]
    assert len(early) <= 8, [e.summary for e in early]
