"""A worker answers for a key only while its consumer holds the key's partition of the topic."""

from __future__ import annotations

from aiokafka.structs import TopicPartition

from services.runtime.kafka import partition_for
from services.runtime.ownership import owns

PARTITIONS = 12


def test_a_worker_owns_a_key_while_it_holds_that_keys_partition_of_the_topic() -> None:
    mine = partition_for("aerolis", PARTITIONS)
    other = (mine + 1) % PARTITIONS
    assert owns([TopicPartition("vigie.partials", mine)], "vigie.partials", "aerolis", PARTITIONS)
    # The partition moved to another worker: this one's copy is stale.
    assert not owns([TopicPartition("vigie.partials", other)], "vigie.partials", "aerolis", PARTITIONS)
    # The same partition number of another topic is not the key's.
    assert not owns([TopicPartition("vigie.updates", mine)], "vigie.partials", "aerolis", PARTITIONS)
    assert not owns([], "vigie.partials", "aerolis", PARTITIONS)


def test_without_a_key_any_partition_of_the_topic_makes_the_owner() -> None:
    enriched = "vigie.mentions.enriched"
    assert owns([TopicPartition("vigie.raw", 3), TopicPartition(enriched, 0)], enriched)
    assert not owns([TopicPartition("vigie.raw", 0)], enriched)
