"""The history tables on SQLite and PostgreSQL: roll-ups written twice count once, states come back as
saved, old minutes fold into hours without changing any total, and periods answer with their comparison."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from services.aggregation.aggregate import apply_partial
from services.aggregation.windows import EventClock, WindowState
from services.history.period import PeriodError, history_answer, resolve_period
from services.history.rollups import HOUR_S, minutes_touched
from services.history.sink import HistorySink, restore_state, resumed_clock
from services.history.store import HistoryStore
from services.understanding.enrich import Partial

NOW = 1_764_997_200  # an hour-aligned moment (2025-12-06 05:00 UTC)
GRACE_S = 300


def partial(watchlist: str, offset: int, buckets: dict[int, list[float]], partition: int = 0) -> Partial:
    return Partial(
        watchlist=watchlist, partition=partition, offset=offset, buckets=buckets, max_ts=max(buckets) + 1
    )


def fold(state: WindowState, sink: HistorySink, clock: EventClock, p: Partial) -> None:
    if apply_partial(state, p, clock, GRACE_S):
        sink.note(p.watchlist, minutes_touched(p.buckets))


def flush(store: HistoryStore, sink: HistorySink, states: dict[str, WindowState], now_ts: float) -> None:
    snapshots, minutes = sink.take(states.get, now_ts=now_ts, grace_s=GRACE_S, owned=lambda _: True)
    store.save(snapshots, minutes)


@pytest.fixture
def store(database_url: str) -> HistoryStore:
    history = HistoryStore(database_url)
    yield history
    history.close()


def test_rollups_are_the_windows_figures_and_replays_change_nothing(store: HistoryStore) -> None:
    clock = EventClock(wall=NOW)
    sink = HistorySink(epoch="e1")
    state = WindowState()
    states = {"acme": state}
    minute = NOW - 600
    fold(
        state,
        sink,
        clock,
        partial("acme", 1, {minute: [3, 1, 1, 1, 0.2, 0], minute + 10: [2, 0, 0, 2, -1.4, 1]}),
    )
    fold(state, sink, clock, partial("acme", 2, {minute + 60: [1, 1, 0, 0, 0.7, 0]}))
    flush(store, sink, states, NOW)
    # The same raw records again (a redelivery after a kill), and a flush with nothing new: no change.
    fold(state, sink, clock, partial("acme", 1, {minute: [3, 1, 1, 1, 0.2, 0]}))
    sink.note("acme", {minute})
    flush(store, sink, states, NOW)

    points = store.points("acme", minute, minute + 120, 60)
    assert [(p.count, p.pos, p.neu, p.neg, p.coordinated) for p in points] == [
        (5, 1, 1, 3, 1),
        (1, 1, 0, 0, 0),
    ]
    assert points[0].score_sum == pytest.approx(-1.2)
    hourly = store.points("acme", NOW - HOUR_S, NOW, HOUR_S)
    assert [p.count for p in hourly] == [6]


def test_a_saved_state_comes_back_and_forgets_offsets_of_another_broker(store: HistoryStore) -> None:
    clock = EventClock(wall=NOW)
    sink = HistorySink(epoch="e1")
    state = WindowState()
    fold(state, sink, clock, partial("acme", 7, {NOW - 60: [4, 4, 0, 0, 3.0, 0]}))
    flush(store, sink, {"acme": state}, NOW)

    assert store.snapshots_before("e1") == []  # this broker's changelog holds it: nothing to restore
    [saved] = store.snapshots_before("e2")
    fresh_broker = restore_state(saved, "e2")
    assert fresh_broker.total[0] == 4 and not fresh_broker.already_applied(0, 7)
    assert fresh_broker.buckets == state.buckets
    assert restore_state(None, "e2").total[0] == 0
    # The stream's clock goes on from where it was when saved.
    assert resumed_clock([saved], now=saved.saved_at + 60) == pytest.approx(saved.clock_ts + 60)


def test_old_minutes_fold_into_hours_and_totals_stay(store: HistoryStore) -> None:
    sink = HistorySink(epoch="e1")
    day_s = 86_400
    states: dict[str, WindowState] = {}
    # Three minutes ten days ago and one an hour ago, each flushed while the stream was at its time.
    for start, figures in [
        (NOW - 10 * day_s, [2, 1, 0, 1, 0.0, 0]),
        (NOW - 10 * day_s + 60, [3, 0, 3, 0, 0.0, 0]),
        (NOW - 10 * day_s + 2 * HOUR_S, [1, 0, 0, 1, -0.5, 1]),
        (NOW - HOUR_S, [5, 5, 0, 0, 4.0, 0]),
    ]:
        state = states.setdefault("acme", WindowState())
        fold(state, sink, EventClock(wall=start + 30), partial("acme", start, {start: figures}))
        flush(store, sink, states, start + 30)
        states.clear()

    before = store.points("acme", NOW - 11 * day_s, NOW, day_s)
    folded = store.compact(["acme"], now_ts=NOW, minute_keep_s=7 * day_s, keep_s=90 * day_s)
    after = store.points("acme", NOW - 11 * day_s, NOW, day_s)
    assert folded == 3
    assert [p.count for p in after] == [p.count for p in before]
    assert sum(p.count for p in after) == 11
    # Retention: with 5 days kept, the days-old hours are gone and the recent minute stays.
    store.compact(["acme"], now_ts=NOW, minute_keep_s=7 * day_s, keep_s=5 * day_s)
    assert sum(p.count for p in store.points("acme", NOW - 11 * day_s, NOW, day_s)) == 5


def test_a_period_answers_with_the_one_before_it(store: HistoryStore) -> None:
    sink = HistorySink(epoch="e1")
    state = WindowState()
    clock = EventClock(wall=NOW)
    # A replay: the stream's clock follows event time, and each flush writes what it just applied.
    fold(state, sink, clock, partial("acme", 1, {NOW - 2 * HOUR_S + 120: [4, 0, 0, 4, -3.0, 0]}))
    flush(store, sink, {"acme": state}, NOW - 2 * HOUR_S + 121)
    fold(state, sink, clock, partial("acme", 2, {NOW - 1800: [2, 2, 0, 0, 1.5, 0]}))
    flush(store, sink, {"acme": state}, NOW - 1799)

    period = resolve_period(str(NOW - HOUR_S), str(NOW), 900, now_ts=NOW, keep_s=90 * 86_400)
    answer = history_answer(
        "acme",
        period,
        store.points("acme", period.from_ts, period.to_ts, period.step_s),
        store.points("acme", period.previous.from_ts, period.previous.to_ts, period.step_s),
        minute_since_ts=NOW - 7 * 86_400,
    )
    assert [p["count"] for p in answer["points"]] == [0, 0, 2, 0]
    assert answer["totals"]["net"] == 1.0
    assert answer["previous"]["totals"]["count"] == 4 and answer["previous"]["totals"]["net"] == -1.0


def test_the_previous_period_starts_on_the_minute_when_asked_in_the_middle_of_one() -> None:
    # "The last 24 h" asked 37 s into a minute: the console reads "Sun 05:00 -> Mon 05:00" against
    # "Sat 05:00 -> Sun 05:00", not "Sat 04:59 -> Sun 05:00".
    period = resolve_period(None, None, None, now_ts=NOW + 37, keep_s=90 * 86_400)
    assert (period.from_ts, period.to_ts) == (NOW - 86_400, NOW + 37)
    assert (period.previous.from_ts, period.previous.to_ts) == (NOW - 2 * 86_400, NOW - 86_400)
    # A period of whole minutes compares with one exactly as long.
    hour = resolve_period(str(NOW - HOUR_S), str(NOW), None, now_ts=NOW, keep_s=90 * 86_400)
    assert (hour.previous.from_ts, hour.previous.to_ts) == (NOW - 2 * HOUR_S, NOW - HOUR_S)


@pytest.mark.parametrize(
    ("from_", "to", "step", "field"),
    [
        ("yesterday", None, None, "from"),
        ("inf", None, None, "from"),
        (str(NOW), "1e30", None, "to"),
        (str(NOW), str(NOW - 60), None, "from"),
        (str(NOW - 3600), str(NOW), 30, "step"),
        (str(NOW - 3600), str(NOW), 10**20, "step"),
        (str(NOW - 30 * 86_400), str(NOW), 60, "step"),
        (str(NOW - 200 * 86_400), str(NOW), None, "from"),
    ],
)
def test_a_period_that_cannot_be_answered_names_its_field(
    from_: str, to: str | None, step: int | None, field: str
) -> None:
    with pytest.raises(PeriodError) as refused:
        resolve_period(from_, to, step, now_ts=NOW, keep_s=90 * 86_400)
    assert refused.value.field == field


def test_periods_accept_iso_times_and_choose_a_step() -> None:
    period = resolve_period(
        "2025-12-06T00:00:00+01:00", "2025-12-06T23:00:00Z", None, now_ts=NOW, keep_s=86_400 * 9
    )
    assert period.to_ts - period.from_ts == 24 * 3600
    assert period.step_s == 60
    week = resolve_period(None, None, None, now_ts=NOW, keep_s=86_400 * 90)
    assert week.to_ts == NOW and week.step_s == 60
    seven_days = resolve_period(str(NOW - 7 * 86_400), str(NOW), None, now_ts=NOW, keep_s=86_400 * 90)
    assert seven_days.step_s == 900  # 5-minute steps would be 2,016 points, over the 2,000 allowed


def test_workers_saving_mention_ids_together_keep_each_others(store: HistoryStore) -> None:
    # Two workers stop at once; each remembers partitions it held, and both remember partition 1 (one of
    # them held it before a rebalance). Every id saved under this epoch comes back, none overwritten.
    store.save_seen_ids("old", {0: ["stale"]})
    saves = [{0: ["a1", "a2"], 1: ["a3"]}, {1: ["b1"], 2: ["b2"]}] * 4
    other = HistoryStore("", engine=store.engine)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda ids: (store if ids[1][0] == "a3" else other).save_seen_ids("e1", ids), saves))
    carried = store.seen_ids_before("e2")
    assert {p: sorted(ids) for p, ids in carried.items()} == {0: ["a1", "a2"], 1: ["a3", "b1"], 2: ["b2"]}
    # Under a later epoch the earlier ids are replaced, not merged: they belong to a broker that is gone.
    store.save_seen_ids("e2", {1: ["c1"]})
    assert store.seen_ids_before("e3")[1] == ["c1"]
    assert store.seen_ids_before("e2") == {0: ["a1", "a2"], 2: ["b2"]}
