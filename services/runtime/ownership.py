"""Which keys a worker answers for: those whose partition of a topic its consumer holds now.

A worker publishes (metrics, insights) and resolves (alerts) only for what it owns: a key whose partition
moved to another worker since is that worker's, and this worker's copy is stale. The agents pass their
consumer's assignment; the rule is here once, testable without Kafka.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from services.runtime.kafka import partition_for


class TopicPartition(Protocol):
    """A partition of a topic (aiokafka's and Faust's TP fit)."""

    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...


def owns(
    assignment: Iterable[TopicPartition], topic: str, key: str | None = None, partitions: int = 1
) -> bool:
    """Whether `assignment` holds the partition of `topic` that `key` goes to (Kafka's default key
    partitioning over `partitions`); with no key, whether it holds any partition of `topic` (a
    single-partition topic read by one worker)."""
    if key is None:
        return any(tp.topic == topic for tp in assignment)
    partition = partition_for(key, partitions)
    return any(tp.topic == topic and tp.partition == partition for tp in assignment)
