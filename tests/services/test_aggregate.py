import msgspec
import pytest

from services.aggregation.aggregate import (
    DecodedStates,
    PublishThrottle,
    apply_partial,
    apply_partials,
    decode_partials,
    decode_state,
    encode_state,
    for_watchlist,
    metrics_message,
    with_share_of_voice,
)
from services.aggregation.windows import APPLIED_WINDOW, EventClock, WindowState, bucket_of
from services.understanding.enrich import Partial
from services.updates import Metrics

NOW = 1_800_000_000.0


def partial(offset: int, n: int, partition: int = 0) -> Partial:
    return Partial(
        watchlist="w",
        partition=partition,
        offset=offset,
        buckets={bucket_of(NOW - 5): [n, n, 0, 0, 0.5 * n]},
        max_ts=NOW - 5,
    )


def test_replaying_a_raw_record_after_a_crash_does_not_count_twice() -> None:
    state, clock = WindowState(), EventClock(wall=NOW)
    assert apply_partial(state, partial(offset=10, n=3), clock, grace_s=300)
    assert apply_partial(state, partial(offset=11, n=2), clock, grace_s=300)
    assert not apply_partial(state, partial(offset=10, n=3), clock, grace_s=300)
    assert apply_partial(state, partial(offset=10, n=4, partition=1), clock, grace_s=300)
    assert state.total[0] == 9


def test_the_applied_mark_travels_with_the_counts_in_one_changelog_value() -> None:
    # A worker killed after writing its table but before committing the partials offset: its successor
    # restores the state from the changelog and reads the same partials again.
    state, clock = WindowState(), EventClock(wall=NOW)
    for offset in (3, 4, 5):
        apply_partial(state, partial(offset=offset, n=2), clock, grace_s=300)
    restored = decode_state(encode_state(state))
    replays = [apply_partial(restored, partial(offset=o, n=2), clock, grace_s=300) for o in (3, 4, 5)]
    assert replays == [False, False, False]
    assert apply_partial(restored, partial(offset=6, n=1), clock, grace_s=300)
    assert restored.total[0] == 7
    assert not restored.already_applied(0, 7)


def test_offsets_are_per_raw_partition_and_corrections_have_their_own() -> None:
    state, clock = WindowState(), EventClock(wall=NOW)
    assert apply_partial(state, partial(offset=100, n=1, partition=0), clock, grace_s=300)
    assert apply_partial(state, partial(offset=7, n=1, partition=1), clock, grace_s=300)
    assert apply_partial(state, partial(offset=7, n=1, partition=-1), clock, grace_s=300)  # a correction
    assert not apply_partial(state, partial(offset=100, n=1, partition=0), clock, grace_s=300)
    assert state.total[0] == 3


def test_a_partial_that_comes_after_later_ones_of_its_partition_still_counts_once() -> None:
    # A worker lost records 11-19 on the way, processed 20-99 and was killed; the next one reads 11-99 again.
    state, clock = WindowState(), EventClock(wall=NOW)
    arrivals = [10, *range(20, 100), *range(11, 100)]
    counted = [apply_partial(state, partial(offset=o, n=1), clock, grace_s=300) for o in arrivals]
    assert counted == [True] * 81 + [True] * 9 + [False] * 80
    assert state.total[0] == 90


def test_the_exact_memory_is_bounded_and_older_offsets_count_as_applied() -> None:
    state, clock = WindowState(), EventClock(wall=NOW)
    for offset in range(0, 2 * APPLIED_WINDOW, 2):  # every other record mentions this watchlist
        apply_partial(state, partial(offset=offset, n=1), clock, grace_s=300)
    assert len(state.applied_above[0]) <= APPLIED_WINDOW // 8
    assert state.applied[0] >= APPLIED_WINDOW - 2  # the window slid: 1 and 3 can no longer come
    assert not apply_partial(state, partial(offset=1, n=1), clock, grace_s=300)
    assert apply_partial(state, partial(offset=2 * APPLIED_WINDOW - 1, n=1), clock, grace_s=300)
    assert state.total[0] == APPLIED_WINDOW + 1


def test_records_applied_in_a_row_take_no_memory() -> None:
    state, clock = WindowState(), EventClock(wall=NOW)
    for offset in range(5000):
        apply_partial(state, partial(offset=offset, n=1), clock, grace_s=300)
    assert (state.applied, state.applied_above) == ({0: 4999}, {})


def test_a_state_written_before_the_exact_memory_reads_its_mark_as_a_floor() -> None:
    old = msgspec.msgpack.encode({"buckets": {}, "total": [5, 5, 0, 0, 2.5], "late": 0, "applied": {0: 41}})
    state, clock = decode_state(old), EventClock(wall=NOW)
    assert not apply_partial(state, partial(offset=41, n=1), clock, grace_s=300)
    assert apply_partial(state, partial(offset=42, n=1), clock, grace_s=300)
    assert state.total[0] == 6


def test_a_skipped_partial_leaves_the_state_untouched() -> None:
    state, clock = WindowState(), EventClock(wall=NOW)
    apply_partial(state, partial(offset=10, n=3), clock, grace_s=300)
    before = encode_state(state)
    assert not apply_partial(state, partial(offset=10, n=5), clock, grace_s=300)
    assert encode_state(state) == before


def test_state_survives_its_changelog_encoding() -> None:
    state, clock = WindowState(), EventClock(wall=NOW)
    apply_partial(state, partial(offset=1, n=3), clock, grace_s=300)
    restored = decode_state(encode_state(state))
    assert restored == state
    assert decode_state(None) == WindowState()


def test_metrics_message_follows_the_protocol() -> None:
    state, clock = WindowState(), EventClock(wall=NOW)
    apply_partial(state, partial(offset=1, n=4), clock, grace_s=300)
    message = msgspec.to_builtins(metrics_message("w", state, NOW))  # as on the wire
    assert message["type"] == "metrics"
    assert message["v"] == 1
    assert set(message["windows"]) == {"1m", "5m", "15m", "60m"}
    assert message["windows"]["1m"]["count"] == 4
    assert message["windows"]["1m"]["net"] == 1.0
    assert message["windows"]["1m"]["coordinated"] == 0
    assert message["windows"]["1m"]["organic"] == 4
    assert message["coordinated_counted"] is True
    assert len(message["series"]["count"]) == 60
    assert message["total"] == 4


def test_share_of_voice_is_among_the_group_only() -> None:
    def msg(watchlist: str, count: int) -> Metrics:
        message = metrics_message(watchlist, WindowState(), NOW)
        message.windows["5m"].count = count
        return message

    latest = {"b": msg("b", 30), "other": msg("other", 1000)}
    groups = {"a": "airlines", "b": "airlines", "other": "banks"}
    message = with_share_of_voice(msg("a", 10), latest, groups)
    assert message.windows["5m"].share == 0.25


def test_throttle_publishes_at_once_then_at_most_once_per_interval() -> None:
    throttle = PublishThrottle(0.25)
    assert throttle.changed("w", now=100.0)
    assert not throttle.changed("w", now=100.1)
    assert not throttle.changed("w", now=100.2)
    assert throttle.due(now=100.2) == []
    assert throttle.due(now=100.26) == ["w"]
    assert throttle.due(now=100.6) == []
    assert throttle.changed("w", now=101.0)


def test_a_record_of_packed_partials_and_a_single_correction_both_decode() -> None:
    packed = msgspec.json.encode([partial(offset=3, n=1), partial(offset=4, n=2, partition=1)])
    assert [(p.partition, p.offset) for p in decode_partials(packed)] == [(0, 3), (1, 4)]
    assert [p.offset for p in decode_partials(msgspec.json.encode(partial(offset=9, n=1)))] == [9]
    with pytest.raises(msgspec.ValidationError, match="watchlist"):
        decode_partials(b'[{"partition": 0}]')


def test_a_batch_applied_at_once_counts_each_raw_record_once_even_when_read_again() -> None:
    # A worker applied offsets 10-11 and was killed before acking; the next owner takes 10-13 (with 12 before
    # 11, as after a rebalance) in one batch, and then the same batch again.
    state, clock = WindowState(), EventClock(wall=NOW)
    assert len(apply_partials(state, [partial(10, 3), partial(11, 2)], clock, grace_s=300)) == 2
    batch = [partial(10, 3), partial(12, 5), partial(11, 2), partial(13, 1)]
    assert [p.offset for p in apply_partials(state, batch, clock, grace_s=300)] == [12, 13]
    assert apply_partials(state, batch, clock, grace_s=300) == []
    one_by_one = WindowState()
    for offset, n in [(10, 3), (11, 2), (12, 5), (13, 1)]:
        apply_partial(one_by_one, partial(offset, n), EventClock(wall=NOW), grace_s=300)
    assert encode_state(state) == encode_state(one_by_one)
    assert state.total[0] == 11


def test_a_kept_decoded_state_stands_only_for_the_bytes_written_with_it() -> None:
    states = DecodedStates()
    state = WindowState(late=3)
    written = encode_state(state)
    states.keep(b"w", written, state)
    assert states.read(b"w", written) is state
    restored = bytes(bytearray(written))  # the same state read back from the changelog: another object
    assert states.read(b"w", restored) is not state
    assert states.read(b"w", restored) == state
    changed = states.take(b"w", written)
    assert changed is state
    changed.late += 1  # being changed: no longer kept for the old bytes
    assert states.take(b"w", written).late == 3


def made_for(offset: int, n: int, created_ts: float | None) -> Partial:
    return msgspec.structs.replace(partial(offset, n), created_ts=created_ts)


def test_a_watchlist_deleted_and_created_again_under_its_id_counts_from_nothing() -> None:
    clock = EventClock(wall=NOW)
    state, partials = for_watchlist(WindowState(), [made_for(1, 3, 100.0)], created_ts=100.0)
    apply_partials(state, partials, clock, grace_s=300)
    assert state.total[0] == 3 and state.created_ts == 100.0
    # Created again at 200: the old counts go; a partial of the old one still on its way is left out.
    late_old, new = made_for(2, 5, 100.0), made_for(3, 1, 200.0)
    state, partials = for_watchlist(state, [late_old, new], created_ts=200.0)
    assert partials == [new]
    apply_partials(state, partials, clock, grace_s=300)
    assert state.total[0] == 1 and state.created_ts == 200.0
    # Corrections and coordination carry no creation time: they count for the current watchlist.
    state, partials = for_watchlist(state, [made_for(4, 2, None)], created_ts=200.0)
    assert len(partials) == 1 and state.total[0] == 1


def test_the_newest_creation_wins_whichever_knows_it_first() -> None:
    old = WindowState(created_ts=100.0, total=[7, 7, 0, 0, 0.0])
    # The worker's configuration has not seen the new watchlist yet, but its mention's partial has.
    state, _ = for_watchlist(old, [made_for(1, 1, 200.0)], created_ts=100.0)
    assert state.created_ts == 200.0 and state.total[0] == 0
    # A configuration that no longer knows the watchlist changes nothing.
    same, partials = for_watchlist(old, [made_for(2, 1, None)], created_ts=None)
    assert same is old and len(partials) == 1


def test_a_state_saved_before_creation_times_were_kept_takes_the_current_one() -> None:
    saved = WindowState(total=[4, 4, 0, 0, 0.0])
    state, _ = for_watchlist(saved, [], created_ts=300.0)
    assert state is saved and state.created_ts == 300.0 and state.total[0] == 4
    assert decode_state(encode_state(state)).created_ts == 300.0
