"""Renewing the embedded broker before its partitions grow too large to read.

The embedded broker (Tansu, in memory) has no retention: every fetch lists every batch of its partition,
and past about 50,000 batches a consumer receives nothing at all, so a room left running freezes. Vigie
therefore replaces it with a fresh one, on the same port, once its busiest partition holds
`broker_rotate_records_per_partition` records or its memory passes `broker_rotate_memory_mib`:

0. the renewal waits, without holding anything, until the pipeline is nearly caught up
   (`renewal_step`), so that ingest is held for seconds and not for as long as a backlog takes. A pipeline
   that does not catch up (ingest faster than the workers) must not grow the partitions until they cannot
   be read: once the busiest holds FORCED_RENEWAL_FACTOR times the limit, ingest is held *until* the
   pipeline has caught up (back-pressure: 503 with Retry-After, sources wait), then the renewal goes on;
1. ingest is held (services/runtime/hold.py): the api answers 503 with Retry-After, sources wait;
2. the pipeline drains: every consumer group has committed up to the exact end of the raw, partials,
   enriched and alerts topics (`pipeline_lag`); if it does not within the drain timeout the rotation is
   called off and ingest resumes, unless the renewal was forced (then ingest stays held until it drains);
3. the worker processes stop cleanly, all at once (one stopping alone would hand its partitions to the
   others), each writing the window states and roll-ups of the watchlists it holds and the mention ids it
   remembers to the database;
4. a fresh broker starts, topics are declared and the configuration republished; the workers start under
   a new broker epoch and take each watchlist's state from the database; ingest resumes.

Nothing is lost (everything published was processed before the old broker stopped) nor counted twice (the
restored states carry what was applied; the fresh raw topic starts empty). What does not survive: the
broker-side history of the updates and dead-letter topics, and dedupe memory of mention ids (a mention sent
again after a rotation counts again). A real Kafka cluster applies retention and needs none of this.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterable, Mapping
from enum import Enum

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.runtime.broker_watch import BrokerReading
from services.runtime.kafka import (
    ALERTS,
    ENRICHED,
    PARTIALS,
    RAW,
    STAGE_GROUP_SUFFIX,
    exact_end_offsets,
    stage_group,
)

#: Topics whose every record must have been processed before the broker holding them is stopped.
DRAINED_TOPICS = (RAW, PARTIALS, ENRICHED, ALERTS)
#: Consecutive drained readings, this far apart, before the pipeline is taken as drained.
DRAIN_CONFIRMATIONS = 2
DRAIN_POLL_S = 0.5
#: A drain that keeps making progress may take this many drain timeouts in all.
DRAIN_PATIENCE = 10
#: Once a partition holds this many times the renewal limit, ingest is held until the pipeline has caught up
#: and the broker is renewed: well before the sizes at which its fetches stall (50,000 to 100,000 batches).
FORCED_RENEWAL_FACTOR = 2


def new_epoch() -> str:
    """A name for one incarnation of the embedded broker."""
    return f"{int(time.time())}-{secrets.token_hex(3)}"


def rotation_reason(reading: BrokerReading, records_limit: int, memory_limit_mib: float) -> str | None:
    """Why the broker should be renewed now, or None; a limit of 0 is off."""
    busiest = reading.busiest
    if records_limit and busiest is not None and busiest[1] >= records_limit:
        return f"partition {busiest[0]} holds {busiest[1]:,} records (limit {records_limit:,})"
    if memory_limit_mib and reading.rss_mib is not None and reading.rss_mib >= memory_limit_mib:
        return f"broker memory {reading.rss_mib:,.0f} MiB (limit {memory_limit_mib:,.0f} MiB)"
    return None


class RenewalStep(Enum):
    """What a due renewal does at a check of the broker."""

    #: The pipeline is behind: ingest flows while it catches up; the renewal waits.
    WAIT = "wait"
    #: The pipeline is behind and the busiest partition is near the sizes the broker cannot serve: hold
    #: ingest until the pipeline has caught up, then renew.
    HOLD_INGEST = "hold ingest"
    #: The pipeline is at most the allowed backlog behind: hold ingest, drain, renew.
    RENEW = "renew"


def renewal_forced(busiest_records: int, records_limit: int) -> bool:
    """Whether the busiest partition has grown to FORCED_RENEWAL_FACTOR times the renewal limit."""
    return bool(records_limit) and busiest_records >= FORCED_RENEWAL_FACTOR * records_limit


def renewal_step(
    backlog_records: int, busiest_records: int, records_limit: int, backlog_max: int
) -> RenewalStep:
    """The step of a due renewal: renew once the pipeline is at most `backlog_max` records behind (ingest is
    held for seconds); before that, let it catch up with ingest flowing, unless the renewal is forced
    (`renewal_forced`): then ingest is held while it catches up, so that no partition grows further."""
    if backlog_records <= backlog_max:
        return RenewalStep.RENEW
    if renewal_forced(busiest_records, records_limit):
        return RenewalStep.HOLD_INGEST
    return RenewalStep.WAIT


def expected_consumers(topic_prefix: str) -> dict[str, set[str]]:
    """The consumer groups of Vigie's roles and the drained topics each reads, whether or not it has joined
    or committed yet (a worker just started after a renewal has done neither). However many worker
    processes run, they are one group: drained once every partition's commit, whoever made it, is at the
    end."""
    return {
        stage_group(topic_prefix, "pipeline"): {f"{topic_prefix}{name}" for name in (RAW, PARTIALS)},
        stage_group(topic_prefix, "insights"): {f"{topic_prefix}{ENRICHED}"},
        f"{topic_prefix}notifier": {f"{topic_prefix}{ALERTS}"},
        f"{topic_prefix}archiver": {f"{topic_prefix}{ENRICHED}"},
    }


def restarted_with_broker(group: str, topic_prefix: str) -> bool:
    """Whether the consumer group is a Faust stage's, whose processes stop and start with the broker."""
    return group in {stage_group(topic_prefix, stage) for stage in STAGE_GROUP_SUFFIX}


def lag_of(
    ends: Mapping[TopicPartition, int],
    committed: Mapping[str, Mapping[TopicPartition, int | None]],
    expected: Mapping[str, set[str]] | None = None,
) -> dict[str, int]:
    """Records not yet committed, per `group/topic`, for the groups that consume each topic: those
    `expected` to, and any other that committed on one of its partitions."""
    lag: dict[str, int] = {}
    expected = expected or {}
    for group in set(committed) | set(expected):
        offsets = committed.get(group, {})
        topics = {tp.topic for tp, offset in offsets.items() if offset is not None} | expected.get(
            group, set()
        )
        for tp, end in ends.items():
            if tp.topic not in topics:
                continue
            behind = max(0, end - (offsets.get(tp) or 0))
            if behind:
                lag[f"{group}/{tp.topic}"] = lag.get(f"{group}/{tp.topic}", 0) + behind
    return lag


async def pipeline_lag(
    bootstrap: str, topics: Iterable[str], expected: Mapping[str, set[str]] | None = None
) -> dict[str, int]:
    """What every consumer group still has to process on `topics` (empty: drained); `expected`: the groups
    that must be counted even before they have joined (`expected_consumers`)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        groups = {group for group, _ in await admin.list_consumer_groups()} | set(expected or {})
    finally:
        await admin.close()
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await probe.start()
    try:
        await probe.topics()  # a fresh client knows no topic's partitions before it asks for metadata
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(probe.partitions_for_topic(topic) or ())
        ]
        reported = await probe.end_offsets(partitions) if partitions else {}
    finally:
        await probe.stop()
    ends = await exact_end_offsets(bootstrap, reported)
    committed: dict[str, dict[TopicPartition, int | None]] = {}
    for group in groups:
        # A consumer of the group with partitions assigned by hand reads its commits without joining it.
        reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await reader.start()
        try:
            reader.assign(partitions)
            committed[group] = {tp: await reader.committed(tp) for tp in partitions}
        finally:
            await reader.stop()
    return lag_of(ends, committed, expected)


async def wait_drained(
    bootstrap: str, topics: Iterable[str], timeout_s: float, expected: Mapping[str, set[str]] | None = None
) -> dict[str, int]:
    """Wait until `pipeline_lag` is empty in DRAIN_CONFIRMATIONS readings in a row; return the last lag
    (empty when drained, what was left when it gave up). It gives up after `timeout_s` without progress:
    while the backlog keeps shrinking it waits on (up to DRAIN_PATIENCE times `timeout_s`), since calling
    the renewal off would let ingest grow the partitions further (seen in the endurance benchmark)."""
    names = list(topics)
    patience = DrainPatience(timeout_s, time.monotonic())
    confirmed = 0
    lag: dict[str, int] = {}
    while True:
        lag = await pipeline_lag(bootstrap, names, expected)
        confirmed = 0 if lag else confirmed + 1
        if confirmed >= DRAIN_CONFIRMATIONS:
            return {}
        if not patience.keep_waiting(sum(lag.values()), time.monotonic()):
            return lag or {"unconfirmed": 0}
        await asyncio.sleep(DRAIN_POLL_S)


class DrainPatience:
    """How long a drain may go on: `timeout_s` after the last time the backlog shrank, at most
    DRAIN_PATIENCE times `timeout_s` in all."""

    def __init__(self, timeout_s: float, started: float) -> None:
        self.timeout_s = timeout_s
        self.started = started
        self.deadline = started + timeout_s
        self.least: int | None = None

    def keep_waiting(self, left: int, now: float) -> bool:
        if self.least is None or left < self.least:
            self.least = left
            self.deadline = min(now + self.timeout_s, self.started + DRAIN_PATIENCE * self.timeout_s)
        return now < self.deadline
