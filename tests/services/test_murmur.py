"""Vigie's murmur2 picks the partition any Kafka client would: the same hash as aiokafka's for every key."""

from __future__ import annotations

from aiokafka.partitioner import murmur2 as kafka_murmur2
from hypothesis import given
from hypothesis import strategies as st

from services.runtime.murmur import murmur2


@given(st.binary(max_size=600))
def test_murmur2_is_kafkas_hash_for_any_key(key: bytes) -> None:
    assert murmur2(key) == kafka_murmur2(key)


def test_murmur2_of_mention_ids_of_every_length_is_kafkas() -> None:
    # Every tail length (0..3 bytes after the last word), and keys longer than the prepared unpackers.
    for length in range(0, 300):
        key = ("bluesky:3f2a9c1b7d6e5f4a3b2c1d0e~é" * 10).encode()[:length]
        assert murmur2(key) == kafka_murmur2(key), length
