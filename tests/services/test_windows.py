from hypothesis import given
from hypothesis import strategies as st

from services.aggregation.windows import (
    BUCKET_S,
    HISTORY_S,
    SERIES_POINTS,
    SERIES_STEP_S,
    WINDOWS_S,
    EventClock,
    Series,
    WindowState,
    WindowStats,
    add_into,
    bucket_of,
    empty_bucket,
    minute_series,
    share_of_voice,
    stats_of,
    window_stats,
)

NOW = 1_800_000_000.0


def counts(n: int, pos: int = 0, neu: int = 0, neg: int = 0, score: float = 0.0) -> list[float]:
    return [n, pos, neu, neg, score]


def test_rolling_windows_count_only_what_falls_inside_them() -> None:
    state = WindowState()
    state.apply(
        {
            bucket_of(NOW - 5): counts(2, pos=2, score=1.6),
            bucket_of(NOW - 200): counts(3, neg=3, score=-2.1),
            bucket_of(NOW - 1800): counts(5, neu=5),
        },
        now_ts=NOW,
        grace_s=0,
    )
    stats = window_stats(state, NOW)
    assert stats["1m"].count == 2
    assert stats["1m"].net == 1.0
    assert stats["5m"].count == 5
    assert stats["5m"].net == round((2 - 3) / 5, 4)
    assert stats["5m"].mean == round((1.6 - 2.1) / 5, 4)
    assert stats["15m"].count == 5
    assert stats["60m"].count == 10
    assert stats["60m"].per_min == round(10 / 60, 3)


def test_an_empty_window_has_no_sentiment_rather_than_zero() -> None:
    stats = window_stats(WindowState(), NOW)
    assert stats["1m"].count == 0
    assert stats["1m"].net is None
    assert stats["1m"].mean is None


def test_mentions_older_than_the_history_are_counted_late_not_dropped_silently() -> None:
    state = WindowState()
    late = state.apply({bucket_of(NOW - HISTORY_S - 400): counts(4, neu=4)}, now_ts=NOW, grace_s=300)
    assert late == 4
    assert state.late == 4
    assert state.total[0] == 4
    assert window_stats(state, NOW)["60m"].count == 0


def test_grace_keeps_recent_out_of_order_mentions() -> None:
    state = WindowState()
    late = state.apply({bucket_of(NOW - HISTORY_S - 100): counts(1, neu=1)}, now_ts=NOW, grace_s=300)
    assert late == 0
    assert len(state.buckets) == 1


def test_state_stays_bounded_as_time_passes() -> None:
    state = WindowState()
    for minute in range(600):
        now = NOW + minute * 60
        state.apply({bucket_of(now): counts(1, pos=1, score=0.5)}, now_ts=now, grace_s=300)
    assert len(state.buckets) <= (HISTORY_S + 300) // BUCKET_S + 1
    assert state.total[0] == 600


def test_minute_series_covers_the_last_hour_oldest_first() -> None:
    now = NOW + 30  # half a minute into the current minute
    state = WindowState()
    state.apply(
        {bucket_of(now - 1): counts(2, pos=1, neg=1), bucket_of(now - 59 * 60): counts(1, neg=1)},
        now_ts=now,
        grace_s=0,
    )
    series = minute_series(state, now)
    assert len(series.count) == 60
    assert series.count[-1] == 2
    assert series.net[-1] == 0.0
    assert series.count[0] == 1
    assert series.net[0] == -1.0
    assert series.net[30] is None
    assert series.start_ts + 59 * 60 <= now < series.start_ts + 60 * 60


def test_share_of_voice_splits_a_group() -> None:
    assert share_of_voice({"a": 3, "b": 1}) == {"a": 0.75, "b": 0.25}
    assert share_of_voice({"a": 0, "b": 0}) == {"a": None, "b": None}


def test_clock_follows_event_time_in_a_replay_and_wall_time_when_quiet() -> None:
    clock = EventClock(wall=NOW)
    clock.observe(NOW - 86_400, wall=NOW)  # a replay of yesterday
    assert clock.now(wall=NOW) == NOW - 86_400
    clock.observe(NOW - 86_400 + 30, wall=NOW + 1)
    assert clock.now(wall=NOW + 1) == NOW - 86_400 + 30
    assert clock.now(wall=NOW + 11) == NOW - 86_400 + 40  # quiet: time still passes


def test_clock_ignores_events_from_the_future() -> None:
    clock = EventClock(wall=NOW)
    clock.observe(NOW + 3600, wall=NOW)
    assert clock.now(wall=NOW) == NOW


def test_clock_does_not_go_back_for_an_older_event() -> None:
    clock = EventClock(wall=NOW)
    clock.observe(NOW - 10, wall=NOW)
    clock.observe(NOW - 500, wall=NOW + 1)
    assert clock.now(wall=NOW + 1) == NOW - 9


def test_coordinated_mentions_are_shown_beside_the_organic_ones() -> None:
    state = WindowState()
    state.apply({bucket_of(NOW - 5): [10, 2, 5, 3, -0.5, 4]}, now_ts=NOW, grace_s=0)
    counted = window_stats(state, NOW)["1m"]
    assert (counted.count, counted.coordinated, counted.organic) == (10, 4, 6)
    # With coordinated mentions left out of the count (the corrections removed them), all counted are organic.
    apart = window_stats(state, NOW, count_coordinated=False)["1m"]
    assert (apart.count, apart.coordinated, apart.organic) == (10, 4, 10)


def test_buckets_from_before_coordinated_existed_still_add_up() -> None:
    state = WindowState(buckets={bucket_of(NOW - 5): [3, 3, 0, 0, 1.5]}, total=[3, 3, 0, 0, 1.5])
    state.apply({bucket_of(NOW - 5): [*counts(1, neg=1, score=-0.5), 1]}, now_ts=NOW, grace_s=0)
    stats = window_stats(state, NOW)["1m"]
    assert (stats.count, stats.pos, stats.neg, stats.coordinated) == (4, 3, 1, 1)
    assert state.total == [4, 3, 0, 1, 1.0, 1]


def test_a_correction_of_a_bucket_older_than_the_history_is_not_a_late_mention() -> None:
    state = WindowState()
    late = state.apply({bucket_of(NOW - HISTORY_S - 400): [-1, 0, -1, 0, 0.0, 1]}, now_ts=NOW, grace_s=300)
    assert late == 0 and state.late == 0


# -- the windows and the series read column by column: the same figures as adding bucket after bucket --------


def reference_window_stats(
    state: WindowState, now_ts: float, count_coordinated: bool
) -> dict[str, WindowStats]:
    """The windows as first written: every bucket added into each window it falls in, one after the other."""
    sums = {name: empty_bucket() for name in WINDOWS_S}
    for start, bucket in state.buckets.items():
        age = now_ts - start
        if age < -BUCKET_S:
            continue
        for name, size in WINDOWS_S.items():
            if age < size:
                add_into(sums[name], bucket)
    return {name: stats_of(sums[name], size, count_coordinated) for name, size in WINDOWS_S.items()}


def reference_minute_series(state: WindowState, now_ts: float) -> Series:
    last = int(now_ts // SERIES_STEP_S) * SERIES_STEP_S
    start = last - (SERIES_POINTS - 1) * SERIES_STEP_S
    minutes = [empty_bucket() for _ in range(SERIES_POINTS)]
    for bucket_start, bucket in state.buckets.items():
        index = (bucket_start - start) // SERIES_STEP_S
        if 0 <= index < SERIES_POINTS:
            add_into(minutes[index], bucket)
    return Series(
        start_ts=start,
        step_s=SERIES_STEP_S,
        count=[int(m[0]) for m in minutes],
        net=[round((m[1] - m[3]) / m[0], 4) if m[0] else None for m in minutes],
    )


bucket_values = st.lists(st.integers(-3, 40), min_size=6, max_size=6).map(
    lambda v: [v[0], v[1], v[2], v[3], v[4] / 7.3, v[5]]
)


#: Bucket ages (in buckets) at the edges of the windows and of the series, and anywhere.
edge_ages = st.sampled_from([-3, -2, -1, 0, 5, 6, 29, 30, 89, 90, 359, 360, 361])


@given(
    st.lists(
        st.tuples(
            st.one_of(edge_ages, st.integers(-3, HISTORY_S // BUCKET_S + 30)),
            st.one_of(bucket_values, bucket_values.map(lambda b: b[:5])),  # five values: an older bucket
        ),
        max_size=400,
    ),
    st.one_of(st.sampled_from([0.0, 0.5, 9.999, 10.0]), st.floats(0, BUCKET_S * 3)),
    st.booleans(),
)
def test_windows_and_series_are_the_sums_of_their_buckets_in_order(
    buckets: list[tuple[int, list[float]]], offset_s: float, count_coordinated: bool
) -> None:
    state = WindowState(buckets={bucket_of(NOW) - age * BUCKET_S: values for age, values in buckets})
    now_ts = NOW + offset_s
    assert window_stats(state, now_ts, count_coordinated) == reference_window_stats(
        state, now_ts, count_coordinated
    )
    assert minute_series(state, now_ts) == reference_minute_series(state, now_ts)
