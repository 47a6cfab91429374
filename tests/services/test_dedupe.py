from services.ingest.dedupe import PartitionIds, RecentIds


def test_a_seen_id_is_a_duplicate() -> None:
    seen = RecentIds(1000)
    assert seen.add("a")
    assert not seen.add("a")
    assert "a" in seen


def test_memory_is_bounded_and_recent_ids_are_kept() -> None:
    seen = RecentIds(100)
    for i in range(10_000):
        seen.add(str(i))
    assert len(seen) <= 100
    assert all(str(i) in seen for i in range(9_950, 10_000))
    assert "0" not in seen


def test_each_partition_remembers_its_own_ids() -> None:
    seen = PartitionIds(1000)
    assert seen.add(0, "a")
    assert seen.add(1, "a")  # ids are routed by hash: the same id never reaches two partitions
    assert not seen.add(0, "a")


def test_memory_is_restored_only_where_it_does_not_end_right_before_the_record() -> None:
    seen = PartitionIds(1000, restore_records=64)
    assert seen.restore_start(0, 0) == 0  # a worker that just started knows nothing of partition 0
    seen.restore(0, 0, [])
    seen.processing(0, 0)
    seen.processing(0, 1)
    assert seen.restore_start(0, 2) is None  # the next record: the memory is right
    assert seen.restore_start(0, 500) == 436  # taken over further on: the 64 records before it
    assert seen.restore_start(0, 1) == 0  # sent back to a committed offset: rebuilt without record 1


def test_a_restored_memory_forgets_what_came_after_the_restore_point() -> None:
    seen = PartitionIds(1000)
    for offset, mention_id in enumerate(["a", "b", "c"]):
        seen.processing(0, offset)
        seen.add(0, mention_id)
    seen.restore(0, 2, ["a", "b"])  # record 2 ("c") is read again, as after a kill
    assert seen.add(0, "c")
    assert not seen.add(0, "a")


def test_ids_carried_over_a_renewed_raw_topic_are_still_known() -> None:
    before = PartitionIds(1000)
    for mention_id in ["a", "b", "c"]:
        before.add(0, mention_id)
    carried = before.newest(limit_per_partition=2)
    assert len(carried[0]) == 2

    after = PartitionIds(1000)  # the worker of the fresh broker: raw offsets start from zero again
    after.carry({0: ["a", "b"]})
    after.restore(0, 0, [])
    assert not after.add(0, "a")  # sent again after the renewal: a duplicate
    assert after.add(0, "d")
    assert after.add(1, "a")  # another partition is not told
