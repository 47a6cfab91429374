from services.offsets import InOrderOffsets, Verdict


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
