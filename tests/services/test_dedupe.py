from services.dedupe import RecentIds


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
