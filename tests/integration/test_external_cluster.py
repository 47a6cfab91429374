"""`VIGIE_KAFKA_BOOTSTRAP=host:port`: `vigie run` uses an existing cluster and starts no broker of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from services.runtime.broker import start_broker
from services.runtime.kafka import wait_for_broker
from tests.conftest import create_watchlist, unique, wait_total
from tests.stack import free_port, start_stack


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    """A Kafka-compatible broker that Vigie did not start (here the same binary, run separately)."""
    port = free_port()
    broker = start_broker(port, tmp_path / "cluster.log")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        broker.terminate()
        broker.wait(timeout=10)


async def test_vigie_run_uses_an_existing_cluster_and_leaves_it_running(cluster: str, tmp_path: Path) -> None:
    await wait_for_broker(cluster)
    stack = await asyncio.to_thread(
        start_stack, tmp_path / "vigie", extra_env={"VIGIE_KAFKA_BOOTSTRAP": cluster}
    )
    try:
        assert f"using the Kafka cluster at {cluster}" in stack.log_tail()
        assert "embedded broker" not in stack.log_tail()
        async with stack.http() as client:
            brand = unique("ext")
            watchlist = await create_watchlist(client, name=brand, keywords=[brand])
            mentions = [
                {"id": unique("m"), "text": f"{brand} works", "author": {"handle": "a"}} for _ in range(3)
            ]
            response = await client.post("/api/v1/mentions", json=mentions)
            assert response.status_code == 202, response.text
            await wait_total(client, watchlist["id"], 3)
    finally:
        await asyncio.to_thread(stack.stop)
    # Ctrl-C stopped every role cleanly; Vigie's topics live in the cluster, which is still up.
    assert stack.process.returncode == 0, stack.log_tail()
    assert stack.log_tail().rstrip().endswith("vigie: stopped")
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster)
    await admin.start()
    try:
        topics = set(await admin.list_topics())
    finally:
        await admin.close()
    assert {"vigie.mentions.raw", "vigie.updates", "vigie.config"} <= topics
