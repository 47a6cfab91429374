"""The host of API-configured connectors: config records in, one task per connector, stopped on delete."""

from __future__ import annotations

import asyncio

import pytest

from services.connectors.base import Backoff
from services.connectors.board import ConnectorBoard
from services.connectors.host import ConnectorHost
from services.connectors.specs import Spec, parse_spec, spec_name
from services.runtime.config_feed import connector_record, connector_tombstone
from services.updates import ConnectorStatus


class Runs:
    """What the host asked to run: each connector's spec while it runs, and which ones were stopped."""

    def __init__(self, failures: int = 0) -> None:
        self.running: dict[str, Spec] = {}
        self.started: list[str] = []
        self.stopped: list[str] = []
        self.failures = failures

    async def run(self, spec: Spec) -> None:
        name = spec_name(spec)
        self.started.append(name)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("a bug in the source")
        self.running[name] = spec
        try:
            await asyncio.Event().wait()
        finally:
            del self.running[name]
            self.stopped.append(name)


def rss(name: str, interval_s: float = 60.0) -> Spec:
    return parse_spec(
        {"kind": "rss", "name": name, "urls": ["https://a.example/feed"], "interval_s": interval_s}
    )


async def settle(host: ConnectorHost) -> None:
    await host.reconcile()
    await asyncio.sleep(0)  # let new tasks start


async def test_connectors_start_when_configured_and_stop_when_deleted() -> None:
    runs = Runs()
    host = ConnectorHost(runs.run)
    host.apply(*connector_record(rss("news")))
    host.apply(*connector_record(rss("blogs")))
    host.apply(b"watchlist:acme", b'{"id": "acme"}')  # other config records are not ours
    await settle(host)
    assert sorted(runs.running) == ["blogs", "news"]

    host.apply(*connector_tombstone("news"))
    assert host.changed.is_set()
    await settle(host)
    assert sorted(runs.running) == ["blogs"] and runs.stopped == ["news"]

    host.apply(*connector_record(rss("blogs", interval_s=5)))  # a changed spec restarts it
    await settle(host)
    assert runs.started.count("blogs") == 2 and runs.running["blogs"] == rss("blogs", interval_s=5)

    host.apply(*connector_record(rss("blogs", interval_s=5)))  # the same spec again changes nothing
    host.changed.clear()
    host.apply(*connector_record(rss("blogs", interval_s=5)))
    assert not host.changed.is_set()

    task = asyncio.create_task(host.run())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert runs.running == {} and sorted(runs.stopped) == ["blogs", "blogs", "news"]


async def test_a_bad_record_is_ignored_and_a_failing_connector_is_started_again() -> None:
    runs = Runs(failures=2)
    host = ConnectorHost(runs.run, Backoff(base_s=0.001, cap_s=0.001))
    host.apply(b"connector:broken", b'{"kind": "rss", "urls": []}')
    host.apply(b"connector:other-name", connector_record(rss("news"))[1])  # key and spec disagree
    assert host.configured == {}
    host.apply(*connector_record(rss("news")))
    await settle(host)
    for _ in range(200):
        if "news" in runs.running:
            break
        await asyncio.sleep(0.005)
    assert runs.started == ["news", "news", "news"] and "news" in runs.running
    host.apply(*connector_tombstone("news"))
    await settle(host)
    assert runs.running == {}


def test_a_connector_stopped_on_purpose_leaves_the_board() -> None:
    board = ConnectorBoard(silent_after_s=10)
    board.apply(ConnectorStatus(id="news", at_ts=100.0, name="news", kind="rss", received=3))
    board.apply(ConnectorStatus(id="blogs", at_ts=100.0, name="blogs", kind="rss", received=1))
    board.apply(ConnectorStatus(id="news", at_ts=101.0, name="news", kind="rss", received=3, stopped=True))
    assert [item["id"] for item in board.items(now_ts=105.0)] == ["blogs"]
