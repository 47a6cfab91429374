from streams.transport.offsets import HandedOut, InOrderOffsets, Verdict


def deliver_all(offsets: InOrderOffsets[str], batch: list[int], key: str = "p0") -> list[int]:
    offsets.new_batch()
    return [offset for offset in batch if offsets.check(key, offset) is Verdict.DELIVER]


def test_records_in_order_from_the_seek_position_are_delivered() -> None:
    offsets: InOrderOffsets[str] = InOrderOffsets()
    offsets.expect("p0", 6)
    assert deliver_all(offsets, [6, 7, 8]) == [6, 7, 8]
    assert offsets.next_offset("p0") == 9


def test_a_hole_after_a_seek_reads_again_from_the_first_missing_offset() -> None:
    offsets: InOrderOffsets[str] = InOrderOffsets()
    offsets.expect("p0", 6)
    offsets.new_batch()
    # Records 6 and 7 were fetched before the seek and dropped; 8.. of the same fetch arrive after it.
    assert offsets.check("p0", 8) is Verdict.REWIND
    assert offsets.next_offset("p0") == 6
    assert offsets.check("p0", 9) is Verdict.DROP  # the rest of that stale fetch
    assert deliver_all(offsets, [6, 7, 8, 9]) == [6, 7, 8, 9]


def test_records_delivered_before_are_dropped() -> None:
    offsets: InOrderOffsets[str] = InOrderOffsets()
    offsets.expect("p0", 10)
    assert deliver_all(offsets, [8, 9, 10]) == [10]


def test_partitions_are_independent_and_forgotten_when_revoked() -> None:
    offsets: InOrderOffsets[str] = InOrderOffsets()
    offsets.expect("p0", 3)
    offsets.expect("p1", 5)
    offsets.new_batch()
    assert offsets.check("p1", 5) is Verdict.DELIVER
    assert offsets.check("p0", 4) is Verdict.REWIND
    offsets.forget("p0")
    assert offsets.next_offset("p0") is None
    assert deliver_all(offsets, [40]) == []  # nothing until the next seek positions it


def test_records_before_the_first_seek_are_not_delivered() -> None:
    # Faust fetches a newly assigned partition before it seeks to the committed offset: a record from
    # there processed early would reach the aggregate before the older ones the seek brings.
    offsets: InOrderOffsets[str] = InOrderOffsets()
    assert deliver_all(offsets, [14, 15]) == []
    offsets.expect("p0", 6)
    assert deliver_all(offsets, [6, 7]) == [6, 7]


def test_a_record_its_stream_skipped_is_read_again_from_its_offset() -> None:
    offsets: InOrderOffsets[str] = InOrderOffsets()
    offsets.expect("p0", 6)
    assert deliver_all(offsets, [6, 7, 8, 9]) == [6, 7, 8, 9]
    assert offsets.redeliver("p0", 7)  # the stream skipped 7 (and will skip 8, 9)
    assert not offsets.redeliver("p0", 8)  # already reading again from 7
    assert offsets.next_offset("p0") == 7
    offsets.new_batch()
    assert offsets.check("p0", 9) is Verdict.REWIND
    assert deliver_all(offsets, [7, 8, 9]) == [7, 8, 9]
    offsets.forget("p0")
    assert not offsets.redeliver("p0", 3)  # revoked: its next owner reads it


def test_a_hole_that_comes_back_batch_after_batch_is_taken_as_real() -> None:
    offsets: InOrderOffsets[str] = InOrderOffsets(max_rewinds=2)
    offsets.expect("p0", 0)
    for _ in range(2):
        offsets.new_batch()
        assert offsets.check("p0", 3) is Verdict.REWIND
    offsets.new_batch()
    assert offsets.check("p0", 3) is Verdict.ACCEPT_HOLE
    assert deliver_all(offsets, [4]) == [4]


class Record:
    def __init__(self) -> None:
        self.taken = False


def test_a_record_no_stream_took_while_a_later_one_was_taken_is_lost() -> None:
    handed: HandedOut[str, Record] = HandedOut()
    records = {offset: Record() for offset in range(6, 10)}
    for offset, record in records.items():
        handed.add("raw-0", offset, record)
    assert (
        handed.lost(lambda r: r.taken, lambda key: False) == {}
    )  # nothing taken yet: the stream is behind, not lossy
    records[6].taken = True
    assert handed.lost(lambda r: r.taken, lambda key: False) == {}
    records[8].taken = True  # 7 was skipped over
    assert handed.lost(lambda r: r.taken, lambda key: False) == {"raw-0": 7}
    assert (
        handed.lost(lambda r: r.taken, lambda key: False) == {}
    )  # reported once: the partition is read again from 7


def test_partitions_are_followed_apart_and_forgotten_on_request() -> None:
    handed: HandedOut[str, Record] = HandedOut()
    first, second, other = Record(), Record(), Record()
    handed.add("raw-0", 1, first)
    handed.add("raw-0", 2, second)
    handed.add("raw-1", 1, other)
    second.taken = True
    handed.forget("raw-0")  # read again from elsewhere
    assert handed.lost(lambda r: r.taken, lambda key: False) == {}


def test_a_record_not_taken_while_nothing_is_queued_for_the_streams_is_lost() -> None:
    # The last records of a partition: no later one will ever be taken to tell.
    handed: HandedOut[str, Record] = HandedOut()
    last = Record()
    handed.add("raw-1", 19, last)
    assert handed.lost(lambda r: r.taken, lambda key: False) == {}  # still queued
    assert handed.lost(lambda r: r.taken, lambda key: True) == {"raw-1": 19}
