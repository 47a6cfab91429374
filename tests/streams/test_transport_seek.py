"""The post-rebalance seek and Faust's commit bookkeeping, on the worker's real consumer (no broker).

Faust's drain loop takes a record more than one past its read mark for one after a hole and fills the hole in
as processed (`_add_gap`); commits then pass over it. Faust sets the read marks only once every partition is
sought, while the stream partitions already deliver: a partition sought first could have its mark lowered
below records already delivered, and the next record opened a "hole" over records the agent had not
processed yet (a worker killed right after the commit lost them: the kill test, seed 1436754949).
"""

from __future__ import annotations

import inspect
import uuid
from pathlib import Path

import pytest
from faust.transport import consumer as faust_consumer
from faust.types import TP

from services.settings import Settings
from streams import transport
from streams.app import VigieApp, build_app
from streams.transport.offsets import Verdict
from tests.stack import free_port


@pytest.fixture
def app(tmp_path: Path) -> VigieApp:
    settings = Settings.model_validate(
        {"kafka_bootstrap": f"127.0.0.1:{free_port()}", "data_dir": str(tmp_path)}
    )
    return build_app(settings)


async def acked_topic_partition(app: VigieApp) -> TP:
    """Partition 0 of a topic streams read with acks, assigned: as the conductor has it after a rebalance."""
    topic = app.topic(f"vigie.test.{uuid.uuid4().hex[:8]}", value_serializer="raw")
    app.topics.add(topic)
    await app.topics._update_indices()
    tp = TP(topic.get_topic_name(), 0)
    await app.topics.on_partitions_assigned({tp})
    return tp


async def drain_loop_reads(consumer: transport.Consumer, tp: TP, offset: int) -> None:
    """What Faust's `_drain_messages` does with its read mark for a record it reads (checked below)."""
    r_offset = consumer._read_offset[tp]
    if r_offset is None or offset >= r_offset:
        if offset - (r_offset or 0) > 1 and r_offset:
            await consumer._add_gap(tp, r_offset + 1, offset)
        consumer._read_offset[tp] = offset


def committed_after_commits(consumer: transport.Consumer, tp: TP) -> int | None:
    """The committed offset once the periodic commit has run until it has nothing more to commit."""
    while (offset := consumer._new_offset(tp)) is not None and consumer._should_commit(tp, offset):
        consumer._committed_offset[tp] = offset
    return consumer._committed_offset[tp]


def test_the_drain_loop_still_fills_in_a_gap_from_its_read_mark() -> None:
    drain = inspect.getsource(faust_consumer.Consumer._drain_messages)
    for needed in ("r_offset is None or offset >= r_offset", "await self._add_gap(tp, r_offset + 1, offset)"):
        assert needed in drain, f"Faust's _drain_messages no longer has `{needed}`: re-check drain_loop_reads"


async def test_records_delivered_while_the_seek_runs_are_committed_only_once_processed(app: VigieApp) -> None:
    consumer = app.consumer
    assert isinstance(consumer, transport.Consumer)
    tp = await acked_topic_partition(app)
    assert consumer._in_order_applies(tp)

    async def seek_to_committed() -> dict[TP, int]:
        # thread.py _seek_to_committed positions the partition at its committed offset 20 ...
        consumer.in_order.expect(tp, 20)
        consumer._sought[tp] = 20
        # ... and while the other partitions are still being sought, the drain loop delivers 20..25.
        for offset in range(20, 26):
            assert consumer.in_order.check(tp, offset) is Verdict.DELIVER
            await drain_loop_reads(consumer, tp, offset)
        return {tp: 20}

    consumer.seek_to_committed = seek_to_committed  # type: ignore[method-assign]
    await consumer.perform_seek()
    assert consumer._committed_offset[tp] == 20
    assert consumer.in_order.check(tp, 26) is Verdict.DELIVER
    await drain_loop_reads(consumer, tp, 26)
    assert not consumer._gap[tp], f"a gap over records delivered in order: {consumer._gap[tp]!r}"

    consumer._acked[tp].extend([20, 21, 22])  # the agent has processed 20..22 of 20..26
    assert committed_after_commits(consumer, tp) == 23


async def test_a_partition_with_nothing_delivered_yet_reads_from_its_committed_offset(app: VigieApp) -> None:
    consumer = app.consumer
    assert isinstance(consumer, transport.Consumer)
    tp = await acked_topic_partition(app)
    consumer._read_offset[tp] = 90  # a mark left from before

    async def seek_to_committed() -> dict[TP, int]:
        consumer.in_order.expect(tp, 20)
        consumer._sought[tp] = 20
        return {tp: 20}

    consumer.seek_to_committed = seek_to_committed  # type: ignore[method-assign]
    await consumer.perform_seek()
    assert consumer._read_offset[tp] == 20
    assert consumer._committed_offset[tp] == 20
