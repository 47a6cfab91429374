"""Vigie watching itself, on the real stack: /metrics of the api, a worker and a notifier count what a user
did, health and readiness answer, and JSON logs parse line by line.

The observed roles run as a pipeline of their own on the stack's broker (their own topic prefix and
database), so their counts hold exactly what these tests posted and no other test's traffic.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest
import websockets
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families
from starlette.requests import Request
from starlette.responses import Response

from services.alerts.events import AlertEvent, encode_event
from tests.conftest import create_watchlist, unique, wait_for
from tests.conftest import posted_mention as mention
from tests.services.delivery.receivers import HttpReceiver
from tests.stack import Stack, create_keys, free_port, start_role, stop_role

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@dataclass
class Pipeline:
    prefix: str
    bootstrap: str
    api: str
    worker: str
    notifier: str
    admin_key: str
    display_token: str
    logs: dict[str, Path]

    async def scrape(self, base: str) -> Samples:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(
                f"{base}/metrics", headers={"Authorization": f"Bearer {self.admin_key}"}
            )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        return parse(response.text)


@pytest.fixture(scope="module")
def pipeline(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    data_dir = tmp_path_factory.mktemp("observed")
    api_port, worker_port, notifier_port = free_port(), free_port(), free_port()
    env = {
        "VIGIE_TOPIC_PREFIX": f"obs{uuid.uuid4().hex[:6]}.",
        "VIGIE_DATA_DIR": str(data_dir),
        "VIGIE_LOG_FORMAT": "json",
        "VIGIE_LOG_LEVEL": "INFO",
        "VIGIE_PORT": str(api_port),
    }
    admin_key, display_token = create_keys({**stack.env, **env}, data_dir)
    logs = {role: data_dir / f"{role}.log" for role in ("worker", "api", "notifier")}
    processes = [
        start_role(stack, "worker", logs["worker"], {**env, "VIGIE_HEALTH_PORT": str(worker_port)}),
        start_role(stack, "api", logs["api"], env),
        start_role(stack, "notifier", logs["notifier"], {**env, "VIGIE_HEALTH_PORT": str(notifier_port)}),
    ]
    try:
        yield Pipeline(
            env["VIGIE_TOPIC_PREFIX"],
            stack.bootstrap,
            f"http://127.0.0.1:{api_port}",
            f"http://127.0.0.1:{worker_port}",
            f"http://127.0.0.1:{notifier_port}",
            admin_key,
            display_token,
            logs,
        )
    finally:
        for process in reversed(processes):
            stop_role(process)


@pytest.fixture(scope="module")
async def api(pipeline: Pipeline) -> AsyncIterator[httpx.AsyncClient]:
    """The observed api, once it is ready and its worker holds partitions."""
    headers = {"Authorization": f"Bearer {pipeline.admin_key}"}
    async with httpx.AsyncClient(base_url=pipeline.api, headers=headers, timeout=30) as http:

        async def ready() -> bool:
            try:
                answer = await http.get("/readyz")
            except httpx.HTTPError:
                return False
            return answer.status_code == 200 and answer.json()["workers_alive"] > 0

        await wait_for(ready, timeout_s=90, interval_s=0.3)
        yield http


async def test_the_worker_answers_health_and_is_ready_once_it_holds_partitions(
    pipeline: Pipeline, api: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=pipeline.worker, timeout=10) as http:
        health = await http.get("/healthz")
        assert (health.status_code, health.json()["role"]) == (200, "worker")
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text
        lags = [
            key for key in parse((await http.get("/metrics")).text) if key[0] == "vigie_consumer_lag_records"
        ]
        topics = {dict(labels)["topic"] for _, labels in lags}
        assert f"{pipeline.prefix}mentions.raw" in topics, f"lag is reported for the raw topic: {topics}"
    async with httpx.AsyncClient(base_url=pipeline.notifier, timeout=10) as http:
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/readyz")).status_code == 200


async def test_posted_mentions_are_counted_at_every_stage(pipeline: Pipeline, api: httpx.AsyncClient) -> None:
    brand = unique("observed")
    watchlist = (await create_watchlist(api, name=brand, keywords=[brand]))["id"]
    api_before, worker_before = await pipeline.scrape(pipeline.api), await pipeline.scrape(pipeline.worker)

    posted = [mention(f"{brand} is on time today") for _ in range(7)]
    invalid = [{"text": "no author"}, {"author": {"handle": "x"}}]
    answer = await api.post("/api/v1/mentions", json=[*posted, *invalid])
    assert (answer.status_code, answer.json()["accepted"]) == (422, 7)
    assert (await api.post("/api/v1/mentions", json=posted[0])).status_code == 202  # a duplicate

    def grown(after: Samples, before: Samples, name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    async def enriched() -> Samples | None:
        after = await pipeline.scrape(pipeline.worker)
        done = grown(after, worker_before, "vigie_mentions_in_total", stage="aggregate") >= 7
        dropped = grown(
            after,
            worker_before,
            "vigie_mentions_dropped_total",
            stage="enrich",
            reason="duplicate_or_unmatched",
        )
        return after if done and dropped >= 1 else None

    worker_after = await wait_for(enriched, timeout_s=30, interval_s=0.3)
    api_after = await pipeline.scrape(pipeline.api)
    assert grown(api_after, api_before, "vigie_mentions_in_total", stage="ingest") == 10
    assert grown(api_after, api_before, "vigie_mentions_out_total", stage="ingest") == 8
    assert grown(api_after, api_before, "vigie_mentions_dropped_total", stage="ingest", reason="invalid") == 2
    assert grown(worker_after, worker_before, "vigie_mentions_in_total", stage="enrich") == 8
    assert grown(worker_after, worker_before, "vigie_mentions_out_total", stage="enrich") == 7
    assert grown(worker_after, worker_before, "vigie_mentions_in_total", stage="aggregate") == 7
    latencies = grown(worker_after, worker_before, "vigie_end_to_end_latency_seconds_count")
    assert latencies >= 1, "the ticker update that carried the new mentions was timed"
    print(
        f"\nend-to-end latency sum for {latencies:.0f} updates: "
        f"{grown(worker_after, worker_before, 'vigie_end_to_end_latency_seconds_sum'):.3f} s"
    )
    assert watchlist


async def test_the_websocket_gauge_follows_a_connected_client(
    pipeline: Pipeline, api: httpx.AsyncClient
) -> None:
    async def clients() -> float:
        return value(await pipeline.scrape(pipeline.api), "vigie_websocket_clients")

    async def none_connected() -> bool:
        return await clients() == 0.0

    await wait_for(none_connected, timeout_s=10)
    ws_url = pipeline.api.replace("http://", "ws://") + f"/ws?token={pipeline.display_token}"
    async with websockets.connect(ws_url) as socket:
        assert orjson.loads(await socket.recv())["type"] == "snapshot"
        assert await clients() == 1.0
    await wait_for(none_connected, timeout_s=10)


async def test_metrics_need_a_key_unless_public(pipeline: Pipeline) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await http.get(f"{pipeline.api}/metrics")).status_code == 401


async def test_a_delivery_is_counted_by_outcome(pipeline: Pipeline, api: httpx.AsyncClient) -> None:
    async def accept(request: Request, body: bytes) -> Response:
        return Response(status_code=204)

    receiver = HttpReceiver(accept)
    receiver.fail_next, receiver.fail_status = 1, 503
    await receiver.start()
    try:
        endpoint = await api.post(
            "/api/v1/endpoints", json={"kind": "webhook", "name": "obs", "url": receiver.url}
        )
        assert endpoint.status_code == 201, endpoint.text
        brand = unique("alerted")
        watchlist = (await create_watchlist(api, name=brand, keywords=[brand]))["id"]
        subscription = {
            "name": "On call",
            "channel": endpoint.json()["id"],
            "watchlists": [watchlist],
            "rules": ["volume_spike"],
            "min_severity": "warning",
            "repeat_every_min": None,
            "escalation": [],
        }
        assert (await api.post("/api/v1/subscriptions", json=subscription)).status_code == 201
        before = await pipeline.scrape(pipeline.notifier)
        now = datetime.now(UTC)
        event = AlertEvent(
            event_id=unique("ev"),
            alert_id=unique("al"),
            rule="volume_spike",
            watchlist=watchlist,
            severity="critical",
            status="firing",
            summary=f"{brand}: 10x the usual volume",
            started_at=now,
            at=now,
        )
        producer = AIOKafkaProducer(bootstrap_servers=pipeline.bootstrap)
        await producer.start()
        try:  # as the worker's alerts agent would
            await producer.send_and_wait(
                f"{pipeline.prefix}alerts", encode_event(event), key=event.alert_id.encode()
            )
        finally:
            await producer.stop()

        async def delivered() -> Samples | None:
            after = await pipeline.scrape(pipeline.notifier)
            count = value(after, "vigie_deliveries_total", channel="webhook", outcome="delivered")
            return (
                after
                if count > value(before, "vigie_deliveries_total", channel="webhook", outcome="delivered")
                else None
            )

        after = await wait_for(delivered, timeout_s=30, interval_s=0.3)
        failed = value(after, "vigie_deliveries_total", channel="webhook", outcome="failed")
        assert failed - value(before, "vigie_deliveries_total", channel="webhook", outcome="failed") == 1
        assert len(receiver.requests) == 2
    finally:
        await receiver.stop()


async def test_json_logs_parse_line_by_line(pipeline: Pipeline, api: httpx.AsyncClient) -> None:
    for role, path in pipeline.logs.items():
        text = path.read_text()
        written = text[: text.rfind("\n") + 1]  # a line still being written is not read
        lines = [line for line in written.splitlines() if line.strip()]
        assert lines, f"the {role} logged nothing"
        for line in lines:
            try:
                parsed = orjson.loads(line)
            except orjson.JSONDecodeError:
                raise AssertionError(f"{role}: a line that is not JSON: {line!r}") from None
            assert {"ts", "level", "logger", "message"} <= parsed.keys(), line
        assert any(orjson.loads(line).get("role") == role for line in lines), role


async def test_the_apis_metrics_say_which_figures_come_from_the_workers(client: httpx.AsyncClient) -> None:
    text = (await client.get("/metrics")).text
    assert text.startswith("# This is the api process"), text[:300]
    assert "counted by the worker processes" in text and "VIGIE_HEALTH_PORT" in text
    assert ("vigie_mentions_in_total", frozenset({("stage", "enrich")})) in parse(text)  # still parses
