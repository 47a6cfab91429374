"""Watching the embedded broker before it hurts.

The embedded broker (Tansu, in memory) keeps every record it was ever sent: its memory grows with history
and its fetches slow down as a partition holds more record batches (measured: 1 ms empty, 22 ms at 30,000
batches). Vigie's producers send one batch envelope per Kafka record, so records per partition is the
figure that matters. `assess` turns a reading into warnings a person can act on; `read_broker` takes the
reading (process memory from /proc, records per partition from the end offsets, which may undercount).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from aiokafka import AIOKafkaConsumer, TopicPartition

#: Memory of the broker process past which the room should plan a restart or a real Kafka cluster.
DEFAULT_MEMORY_WARN_MIB = 2048.0
#: Records in one partition past which fetches slow down noticeably (~15 ms per fetch).
DEFAULT_RECORDS_WARN_PER_PARTITION = 20_000


@dataclass(frozen=True)
class BrokerReading:
    rss_mib: float | None
    records_by_partition: dict[str, int] = field(default_factory=dict)

    @property
    def busiest(self) -> tuple[str, int] | None:
        if not self.records_by_partition:
            return None
        name = max(self.records_by_partition, key=lambda key: self.records_by_partition[key])
        return name, self.records_by_partition[name]


@dataclass(frozen=True)
class BrokerLimits:
    memory_warn_mib: float = DEFAULT_MEMORY_WARN_MIB
    records_warn_per_partition: int = DEFAULT_RECORDS_WARN_PER_PARTITION


ADVICE = (
    "the embedded broker keeps all history in memory; restart `vigie run` to start afresh, "
    "or set VIGIE_KAFKA_BOOTSTRAP to a real Kafka cluster for long rooms"
)


class BrokerWarning(NamedTuple):
    kind: str  # "memory" or "records": a standing warning is repeated per kind, not per reading
    message: str


def assess(reading: BrokerReading, limits: BrokerLimits) -> list[BrokerWarning]:
    """Warnings for this reading, each naming the figure, the limit and what to do; empty when healthy."""
    warnings = []
    if reading.rss_mib is not None and reading.rss_mib >= limits.memory_warn_mib:
        figure = (
            f"embedded broker memory {reading.rss_mib:,.0f} MiB is past {limits.memory_warn_mib:,.0f} MiB"
        )
        warnings.append(BrokerWarning("memory", f"{figure}: {ADVICE}"))
    busiest = reading.busiest
    if busiest is not None and busiest[1] >= limits.records_warn_per_partition:
        name, count = busiest
        figure = f"partition {name} holds {count:,} records (past {limits.records_warn_per_partition:,})"
        warnings.append(BrokerWarning("records", f"{figure}; reads are slowing down: {ADVICE}"))
    return warnings


def process_rss_mib(pid: int) -> float | None:
    """Resident memory of a process in MiB (Linux /proc); None when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


async def records_by_partition(bootstrap: str, topics: list[str]) -> dict[str, int]:
    """Records held per partition (end minus beginning offset), keyed `topic/partition`."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return {}
        ends = await consumer.end_offsets(partitions)
        begins = await consumer.beginning_offsets(partitions)
        return {f"{tp.topic}/{tp.partition}": ends[tp] - begins[tp] for tp in partitions}
    finally:
        await consumer.stop()


async def read_broker(bootstrap: str, topics: list[str], pid: int | None) -> BrokerReading:
    return BrokerReading(
        rss_mib=process_rss_mib(pid) if pid is not None else None,
        records_by_partition=await records_by_partition(bootstrap, topics),
    )
