"""The embedded broker's warnings: figures, limits and what to do, before reads slow down."""

from __future__ import annotations

import pytest

from services.runtime.broker_watch import BrokerLimits, BrokerReading, assess

LIMITS = BrokerLimits(memory_warn_mib=1000, records_warn_per_partition=20_000)


@pytest.mark.parametrize(
    ("reading", "kinds"),
    [
        (BrokerReading(rss_mib=120, records_by_partition={"vigie.mentions.raw/0": 300}), []),
        (BrokerReading(rss_mib=None, records_by_partition={}), []),
        (BrokerReading(rss_mib=1500, records_by_partition={"vigie.updates/1": 10}), ["memory"]),
        (
            BrokerReading(rss_mib=300, records_by_partition={"vigie.updates/1": 25_000, "vigie.config/0": 3}),
            ["records"],
        ),
        (BrokerReading(rss_mib=1000, records_by_partition={"a/0": 20_000}), ["memory", "records"]),
    ],
)
def test_warnings_appear_at_the_limits(reading: BrokerReading, kinds: list[str]) -> None:
    assert [warning.kind for warning in assess(reading, LIMITS)] == kinds


def test_a_warning_names_the_figure_the_partition_and_the_way_out() -> None:
    reading = BrokerReading(rss_mib=300, records_by_partition={"vigie.updates/1": 25_000, "vigie.raw/0": 9})
    (warning,) = assess(reading, LIMITS)
    assert "vigie.updates/1 holds 25,000 records (past 20,000)" in warning.message
    assert "VIGIE_KAFKA_BOOTSTRAP" in warning.message
