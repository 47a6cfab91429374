"""When the embedded broker is renewed, and when the pipeline counts as drained."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition

from services.runtime.broker_watch import BrokerReading
from services.runtime.rotation import (
    DRAIN_PATIENCE,
    DrainPatience,
    RenewalStep,
    expected_consumers,
    lag_of,
    renewal_forced,
    renewal_step,
    rotation_reason,
)

RAW = "vigie.mentions.raw"
ALERTS = "vigie.alerts"


def test_the_broker_is_renewed_past_either_limit_and_never_when_both_are_off() -> None:
    busy = BrokerReading(rss_mib=300, records_by_partition={f"{RAW}/0": 25_000, f"{RAW}/1": 10})
    assert "vigie.mentions.raw/0 holds 25,000 records" in (rotation_reason(busy, 20_000, 1536) or "")
    assert rotation_reason(busy, 30_000, 1536) is None
    heavy = BrokerReading(rss_mib=2000, records_by_partition={f"{RAW}/0": 5})
    assert "memory 2,000 MiB" in (rotation_reason(heavy, 20_000, 1536) or "")
    assert rotation_reason(heavy, 0, 0) is None
    assert rotation_reason(busy, 0, 0) is None


def test_a_group_that_has_not_joined_yet_still_has_to_read_its_topics() -> None:
    ends = {TopicPartition(RAW, 0): 10, TopicPartition(RAW, 1): 0, TopicPartition(ALERTS, 0): 3}
    expected = expected_consumers("vigie.")
    # The worker restarted a moment ago: no commit yet, ten raw records to read. The notifier is done.
    committed = {"vigie.notifier": {TopicPartition(ALERTS, 0): 3}, "vigie.archiver": {}}
    assert lag_of(ends, committed, expected) == {f"vigie-worker/{RAW}": 10}
    # Once the worker has committed everything, the pipeline is drained.
    committed["vigie-worker"] = {TopicPartition(RAW, 0): 10, TopicPartition(RAW, 1): None}
    assert lag_of(ends, committed, expected) == {}


def test_other_groups_count_for_the_topics_they_commit_on() -> None:
    ends = {TopicPartition(RAW, 0): 10, TopicPartition(ALERTS, 0): 4}
    committed = {"archiver": {TopicPartition(RAW, 0): 7, TopicPartition(ALERTS, 0): None}}
    assert lag_of(ends, committed) == {f"archiver/{RAW}": 3}


def test_a_drain_waits_on_while_the_backlog_shrinks_and_gives_up_when_it_stops() -> None:
    patience = DrainPatience(timeout_s=30, started=0)
    assert patience.keep_waiting(40_000, now=0)
    # Shrinking: still waiting long after the first 30 s (calling off would let ingest grow it again).
    for second, left in [(25, 30_000), (50, 20_000), (75, 9_000), (100, 2_000)]:
        assert patience.keep_waiting(left, now=second)
    # Stuck for 30 s: give up.
    assert patience.keep_waiting(2_000, now=129)
    assert not patience.keep_waiting(2_000, now=131)


def test_a_drain_never_waits_past_its_patience() -> None:
    patience = DrainPatience(timeout_s=30, started=0)
    left = 10**9
    now = 0.0
    while patience.keep_waiting(left, now):
        left -= 1
        now += 10
    assert now <= DRAIN_PATIENCE * 30


@pytest.mark.parametrize(
    ("backlog", "busiest", "step"),
    [
        (0, 20_000, RenewalStep.RENEW),  # caught up: hold now, for seconds
        (2_000, 25_000, RenewalStep.RENEW),  # nearly caught up
        (2_001, 25_000, RenewalStep.WAIT),  # let the workers catch up first: ingest goes on meanwhile
        (70_000, 39_999, RenewalStep.WAIT),
        # Twice the limit: ingest stops growing the partitions until the pipeline has caught up, well
        # before the broker's fetches stall; then the renewal goes on.
        (70_000, 40_000, RenewalStep.HOLD_INGEST),
        (2_001, 40_000, RenewalStep.HOLD_INGEST),
        (2_000, 40_000, RenewalStep.RENEW),
    ],
)
def test_ingest_is_held_for_a_renewal_once_the_pipeline_nearly_caught_up_or_the_broker_nears_its_limit(
    backlog: int, busiest: int, step: RenewalStep
) -> None:
    assert renewal_step(backlog, busiest, records_limit=20_000, backlog_max=2_000) is step


def test_a_renewal_is_never_forced_when_renewals_are_off() -> None:
    assert not renewal_forced(10**9, records_limit=0)
    assert renewal_step(10**9, 10**9, records_limit=0, backlog_max=2_000) is RenewalStep.WAIT
