"""`vigie run` warns on the terminal before the embedded broker's history slows it down."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conftest import unique, wait_for
from tests.stack import start_stack


async def test_vigie_run_warns_when_a_partition_holds_too_many_records(tmp_path: Path) -> None:
    stack = await asyncio.to_thread(
        start_stack,
        tmp_path,
        extra_env={"VIGIE_BROKER_RECORDS_WARN_PER_PARTITION": "20", "VIGIE_BROKER_CHECK_INTERVAL_S": "1"},
    )
    try:
        assert "warning:" not in stack.log_tail()
        async with stack.http() as client:
            for _ in range(100):  # one request, one raw record: 100 records over 4 partitions
                mention = {"id": unique("m"), "text": "hello", "author": {"handle": "a"}}
                assert (await client.post("/api/v1/mentions", json=mention)).status_code == 202

        async def warned() -> bool:
            return "records (past 20); reads are slowing down" in stack.log_tail()

        await wait_for(warned, timeout_s=20)
        assert stack.log_tail().count("vigie: warning: partition") == 1  # said once, not every second
    finally:
        await asyncio.to_thread(stack.stop)
