"""The hub's fan-out: a snapshot shared between clients while nothing changes, never stale; each update
serialised once for every client; a client that falls behind keeps the latest message per key, bounded.
Websocket clients that really stall and resume: tests/integration/test_stalled_clients.py."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import msgspec
import orjson
import pytest
from starlette.websockets import WebSocket

from api import hub as hub_module
from api.hub import CLIENT_KEYS_MAX, CLIENT_QUEUE_MAX, Client, Hub
from services.aggregation.aggregate import metrics_message
from services.aggregation.windows import WindowState
from services.settings import Settings
from services.understanding.enrich import ItemAuthor, ItemSentiment, MentionItem
from services.updates import (
    Alert,
    Correction,
    Heartbeat,
    Mentions,
    Metrics,
    Snapshot,
    Swarms,
    WallMessage,
    WorkerStatus,
    decode_update,
    encode,
)

NO_SOCKET = cast(WebSocket, None)
NOW = 1_800_000_000.0  # the hub only queues text for a client here; nothing is sent


def next_text(hub: Hub, client: Client) -> str:
    text = client.next_text(hub.snapshot_text)
    assert text is not None, "nothing waits for the client"
    return text


def first_message(hub: Hub) -> dict[str, Any]:
    message: dict[str, Any] = orjson.loads(next_text(hub, hub.connect(NO_SOCKET)))
    return message


def everything_sent(hub: Hub, client: Client) -> list[dict[str, Any]]:
    """What the client gets when it reads again, in order."""
    sent = []
    while (text := client.next_text(hub.snapshot_text)) is not None:
        sent.append(orjson.loads(text))
    return sent


def metrics(watchlist: str, total: int) -> Metrics:
    message = metrics_message(watchlist, WindowState(), NOW)
    message.total = total
    return message


def swarms(total: int) -> Swarms:
    return Swarms(now_ts=NOW, total=total, items=[])


def item(mention_id: str, label: str = "pos") -> MentionItem:
    return MentionItem(
        id=mention_id, watchlists=["acme"], text="hello", source="demo", author=ItemAuthor("ana", None, 3),
        created_at=None, lang=None, url=None, hashtags=[], sentiment=ItemSentiment(0.5, label),
    )  # fmt: skip


def alert(alert_id: str) -> dict[str, Any]:
    return {"alert_id": alert_id, "status": "firing"}


def test_clients_connecting_between_two_changes_share_one_snapshot() -> None:
    hub = Hub(Settings.model_validate({}))
    first = next_text(hub, hub.connect(NO_SOCKET))
    second = next_text(hub, hub.connect(NO_SOCKET))
    assert first is second  # built once


def test_readiness_counts_the_live_workers_and_tells_the_insights_process_apart() -> None:
    hub = Hub(Settings.model_validate({}))
    for worker, stage, seen in (("w1", "pipeline", 0), ("w2", "pipeline", 9), ("i1", "insights", 3)):
        status = decode_update(encode(WorkerStatus(id=worker, at_ts=NOW - seen, partitions=6, stage=stage)))
        assert hub.apply_update(status) is None  # not for the walls
    assert (hub.workers_alive(NOW), hub.workers_alive(NOW, stage="insights")) == (3, 1)
    # Silent for more than 10 s: the insights process is gone (swarms and alerts with it), w2 too.
    assert (hub.workers_alive(NOW + 8), hub.workers_alive(NOW + 8, stage="insights")) == (1, 0)
    # A worker of an older version says no stage: it is a pipeline worker.
    old = b'{"type":"status","v":1,"role":"worker","id":"w0","at_ts":%d,"partitions":6}' % int(NOW)
    hub.apply_update(decode_update(old))
    assert hub.workers_alive(NOW, stage="pipeline") == 3


def test_walls_are_told_when_the_insights_process_falls_silent_and_when_it_reports_again() -> None:
    hub = Hub(Settings.model_validate({}))
    hub.resumed_ts = NOW - 100  # the api started a while ago

    def status(worker: str, stage: str, at_ts: float) -> None:
        hub.apply_update(WorkerStatus(id=worker, at_ts=at_ts, partitions=6, stage=stage))

    status("w1", "pipeline", NOW)
    assert hub.insights_silent_since(NOW) == NOW - 100, "never heard from since the api started"
    status("i1", "insights", NOW)
    assert hub.insights_silent_since(NOW + 9) is None
    # Pipeline workers alone do not count: alerts, swarms and influencers stand still without it.
    status("w1", "pipeline", NOW + 11)
    assert hub.insights_silent_since(NOW + 11) == NOW, "silent since it was last heard from"
    status("i2", "insights", NOW + 12)  # a new process (a restart) reports
    assert hub.insights_silent_since(NOW + 12) is None


def test_an_insights_process_restarted_with_the_broker_has_time_to_report_again() -> None:
    hub = Hub(Settings.model_validate({}))
    hub.resumed_ts = NOW - 100
    hub.apply_update(WorkerStatus(id="i1", at_ts=NOW - 1, partitions=6, stage="insights"))
    hub.ingest_resumed(NOW)  # a backlog caught up: the insights process reported throughout
    assert hub.insights_silent_since(NOW + 12) == NOW - 1, "no grace for a process that was not restarted"
    hub.apply_update(WorkerStatus(id="i1", at_ts=NOW - 30, partitions=6, stage="insights"))
    hub.ingest_resumed(NOW)  # after a broker renewal, during which it was restarted
    assert hub.insights_silent_since(NOW + 40) is None
    assert hub.insights_silent_since(NOW + 46) == NOW - 30


def test_a_client_connecting_after_a_change_sees_it() -> None:
    hub = Hub(Settings.model_validate({}))
    assert first_message(hub)["alerts"] == []
    hub.alerts["a1"] = alert("a1")
    hub.broadcast(Alert(alert=hub.alerts["a1"]))
    assert first_message(hub)["alerts"] == [alert("a1")]
    outgoing = hub.apply_update(metrics("acme", 7))
    assert outgoing is not None
    hub.broadcast(outgoing)
    assert first_message(hub)["metrics"] == {}  # acme is not a known watchlist: not shown
    ticker = hub.apply_update(Mentions(items=[item("m1")]))
    assert ticker is not None
    hub.broadcast(ticker)
    assert [m["id"] for m in first_message(hub)["mentions"]] == ["m1"]


def test_what_the_hub_sends_is_the_protocols_wall_messages() -> None:
    hub = Hub(Settings.model_validate({}))
    client = hub.connect(NO_SOCKET)
    hub.alerts["a1"] = alert("a1")
    for update in (metrics("acme", 7), Mentions(items=[item("m1")]), swarms(2)):
        outgoing = hub.apply_update(update)
        assert outgoing is not None
        hub.broadcast(outgoing)
    hub.broadcast(Alert(alert=hub.alerts["a1"]))
    hub.broadcast(Heartbeat(server_time="now"))
    texts = [next_text(hub, client) for _ in range(6)] + [next_text(hub, hub.connect(NO_SOCKET))]
    decoded = [msgspec.json.decode(text, type=WallMessage) for text in texts]
    assert [type(m) for m in decoded] == [Snapshot, Metrics, Mentions, Swarms, Alert, Heartbeat, Snapshot]
    last = decoded[-1]
    assert isinstance(last, Snapshot) and last.mentions == [item("m1")] and last.alerts == [alert("a1")]


def test_heartbeats_do_not_rebuild_the_snapshot() -> None:
    hub = Hub(Settings.model_validate({}))
    before = next_text(hub, hub.connect(NO_SOCKET))
    hub.broadcast(Heartbeat(server_time="now"))
    assert next_text(hub, hub.connect(NO_SOCKET)) is before


def test_an_update_is_serialised_once_for_every_client() -> None:
    hub = Hub(Settings.model_validate({}))
    clients = [hub.connect(NO_SOCKET) for _ in range(3)]
    for client in clients:
        next_text(hub, client)  # the snapshot
    hub.broadcast(metrics("acme", 7))
    texts = [next_text(hub, client) for client in clients]
    assert texts[0] is texts[1] is texts[2]  # the same text object: one orjson.dumps for all
    assert orjson.loads(texts[0])["total"] == 7


def test_a_client_behind_gets_the_latest_state_per_key_with_bounded_memory() -> None:
    hub = Hub(Settings.model_validate({}))
    stalled, reading = hub.connect(NO_SOCKET), hub.connect(NO_SOCKET)
    watchlists = [f"w{i}" for i in range(5)]
    sent_to_reading = 0
    most_pending = 0
    for total in range(1, 2001):  # 10,000 updates, far more than a queue holds
        for watchlist in watchlists:
            hub.broadcast(metrics(watchlist, total))
        hub.broadcast(swarms(total))
        sent_to_reading += len(everything_sent(hub, reading))
        most_pending = max(most_pending, stalled.pending)
    assert sent_to_reading == 1 + 2000 * 6  # the snapshot, then every update: the reader misses nothing
    # The stalled client holds its queue and one message per key (5 watchlists' metrics, swarms), no more.
    assert most_pending == CLIENT_QUEUE_MAX + len(watchlists) + 1
    assert stalled.behind and not reading.behind
    caught_up = everything_sent(hub, stalled)
    assert len(caught_up) == most_pending
    latest = caught_up[CLIENT_QUEUE_MAX:]  # after what was queued before it fell behind: the latest state
    assert {(m["type"], m.get("watchlist"), m["total"]) for m in latest} == {
        ("metrics", w, 2000) for w in watchlists
    } | {("swarms", None, 2000)}
    assert not stalled.behind
    hub.broadcast(metrics("w0", 2001))  # caught up: every update again, in order
    assert [m["total"] for m in everything_sent(hub, stalled)] == [2001]


def test_a_client_behind_by_more_keys_than_it_may_hold_gets_a_fresh_snapshot() -> None:
    hub = Hub(Settings.model_validate({}))
    stalled = hub.connect(NO_SOCKET)
    for i in range(CLIENT_QUEUE_MAX + CLIENT_KEYS_MAX + 10):
        hub.alerts[f"a{i}"] = alert(f"a{i}")
        hub.broadcast(Alert(alert=hub.alerts[f"a{i}"]))
        assert stalled.pending <= CLIENT_QUEUE_MAX + CLIENT_KEYS_MAX
    caught_up = everything_sent(hub, stalled)
    assert len(caught_up) == CLIENT_QUEUE_MAX + 1  # what was queued, then one snapshot with every alert
    assert caught_up[-1]["type"] == "snapshot"
    assert len(caught_up[-1]["alerts"]) == CLIENT_QUEUE_MAX + CLIENT_KEYS_MAX + 10


def test_a_correction_from_any_api_relabels_the_ticker_and_each_reaches_a_client_behind() -> None:
    hub = Hub(Settings.model_validate({}))
    hub.apply_update(Mentions(items=[item("m1")]))
    client = hub.connect(NO_SOCKET)
    next_text(hub, client)  # the snapshot
    for mention, label in (("m1", "neg"), ("m2", "neu")):  # from the updates topic, as every hub reads it
        correction = Correction(mention=mention, sentiment=ItemSentiment(-1.0, label))
        outgoing = hub.apply_update(decode_update(encode(correction)))
        assert outgoing is not None
        hub.broadcast(outgoing)
    [shown] = first_message(hub)["mentions"]
    assert (shown["id"], shown["sentiment"]) == ("m1", {"score": -1.0, "label": "neg"})
    assert [m["mention"] for m in everything_sent(hub, client)] == ["m1", "m2"]


def test_an_update_the_hub_cannot_fold_in_is_skipped_and_the_next_still_arrives(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = Hub(Settings.model_validate({}))
    client = hub.connect(NO_SOCKET)
    next_text(hub, client)  # the snapshot
    bad = (
        b"[1, 2]",
        b'"text"',
        b"{not json",
        b'{"type": "metrics", "v": 1}',
        b'{"type": "mentions", "items": 5}',
    )
    for value in (*bad, b'{"type": "forecast", "v": 1}'):
        hub._on_update_record(None, value)
    hub._on_update_record(None, encode(swarms(3)))
    assert [m["type"] for m in everything_sent(hub, client)] == ["swarms"]
    skipped = [record.getMessage() for record in caplog.records if "update skipped" in record.getMessage()]
    assert len(skipped) == len(bad) + 1  # one line each, naming the type and what did not fit
    assert "got type 'metrics'" in skipped[3] and "missing required field" in skipped[3]
    assert "got type 'forecast'" in skipped[5] and "Invalid value 'forecast'" in skipped[5]


async def test_a_hub_loop_that_fails_is_started_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub_module, "LOOP_RESTART_DELAY_S", 0.01)
    hub = Hub(Settings.model_validate({}))
    runs: list[int] = []
    running = asyncio.Event()

    async def flaky() -> None:
        runs.append(len(runs))
        if len(runs) < 3:
            raise ConnectionError("the broker went away")
        running.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(hub._keep_running("hub-updates", flaky))
    await asyncio.wait_for(running.wait(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert hub.loop_restarts == {"hub-updates": 2}
