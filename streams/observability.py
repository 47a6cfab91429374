"""What a worker tells Prometheus: stage counts from a Faust sensor (the agents stay as they are),
consumer lag, end-to-end latency, and its /healthz, /readyz and /metrics on VIGIE_HEALTH_PORT.

The sensor sees every record an agent reads and every record it sends. Enrich: mentions in raw records
read (in), mentions in enriched records acknowledged (out), dead letters sent (dropped, `invalid`); the
enrich agent itself counts the duplicates and unmatched mentions of each batch (dropped,
`duplicate_or_unmatched`). Aggregate: mentions in partials read (in) and processed (out). Latency: a ticker
update is sent as the first raw record of its batch (streams/batching.py `acting_for`), so that record's
broker timestamp (when the api or a connector published the mentions) and the update's acknowledgement
bound the time a mention takes to reach the api's topic.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import faust
from faust.sensors import Sensor
from faust.types import TP, EventT, PendingMessage, RecordMetadata, StreamT
from faust.types.transports import ProducerT

from services.runtime.observability import metrics
from services.runtime.observability.health_server import start_health_server
from services.runtime.observability.stages import mentions_in_list, mentions_in_partial, mentions_in_raw
from services.settings import Settings
from streams.topics import Topics

log = logging.getLogger(__name__)

#: A scrape does not wait longer than this for the consumer's positions (during a rebalance, say).
POSITION_TIMEOUT_S = 2.0


class PipelineSensor(Sensor):
    def __init__(self, topics: Topics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.raw = topics.raw.get_topic_name()
        self.enriched = topics.enriched.get_topic_name()
        self.dlq = topics.dlq.get_topic_name()
        self.partials = topics.partials.get_topic_name()
        self.updates = topics.updates.get_topic_name()
        #: The last offset delivered to a stream, per partition: the lag is counted from there.
        self.processed: dict[TP, int] = {}
        #: Mentions in each partials event read, until it is acked (agents taking batches ack by hand, and
        #: Faust then hands `on_stream_event_out` no state).
        self._partials_in: dict[int, int] = {}

    # -- records in --------------------------------------------------------------------------------------

    def on_stream_event_in(
        self, tp: TP, offset: int, stream: StreamT[Any], event: EventT[Any]
    ) -> dict[str, Any] | None:
        metrics.RECORDS_IN.labels(tp.topic).inc()
        self.processed[tp] = offset
        if tp.topic == self.raw:
            metrics.MENTIONS_IN.labels("enrich").inc(mentions_in_raw(event.message.value))
        elif tp.topic == self.partials:
            count = mentions_in_partial(event.message.value)
            metrics.MENTIONS_IN.labels("aggregate").inc(count)
            self._partials_in[id(event)] = count
        return None

    def on_stream_event_out(
        self,
        tp: TP,
        offset: int,
        stream: StreamT[Any],
        event: EventT[Any],
        state: dict[str, Any] | None = None,
    ) -> None:
        if tp.topic == self.partials:
            count = self._partials_in.pop(id(event), None)
            if count:
                metrics.MENTIONS_OUT.labels("aggregate").inc(count)

    # -- records out -------------------------------------------------------------------------------------

    def on_send_initiated(
        self, producer: ProducerT, topic: str, message: PendingMessage, keysize: int, valsize: int
    ) -> dict[str, Any]:
        state: dict[str, Any] = {"topic": topic}
        event = faust.current_event()
        from_raw = event is not None and event.message.topic == self.raw
        if topic == self.enriched:
            state["mentions"] = mentions_in_list(message.value)
        elif topic == self.dlq:
            state["dead"] = 1
        elif topic == self.updates and from_raw and event is not None and event.message.timestamp:
            state["accepted_ts"] = event.message.timestamp
        return state

    def on_send_completed(self, producer: ProducerT, state: Any, metadata: RecordMetadata) -> None:
        metrics.RECORDS_OUT.labels(state["topic"]).inc()
        if "mentions" in state:
            metrics.MENTIONS_OUT.labels("enrich").inc(state["mentions"])
        elif "dead" in state:
            metrics.MENTIONS_DROPPED.labels("enrich", "invalid").inc()
        elif "accepted_ts" in state:
            metrics.END_TO_END_LATENCY.observe(max(0.0, time.time() - state["accepted_ts"]))

    def on_send_error(self, producer: ProducerT, exc: BaseException, state: Any) -> None:
        metrics.SEND_ERRORS.labels(state["topic"]).inc()

    def on_rebalance_start(self, app: faust.types.AppT) -> dict[Any, Any]:
        self.processed.clear()
        self._partials_in.clear()  # events of revoked partitions are never acknowledged
        return {}


def not_ready(app: faust.App) -> str | None:
    """Why the worker cannot process mentions yet, or None: it must be in the group and hold partitions."""
    if app.rebalancing:
        return "rebalancing: partitions are being reassigned"
    try:
        assigned = app.consumer.assignment()
    except Exception as error:
        return f"consumer not started: {error}"
    if not assigned:
        return "no partitions assigned yet (joining the consumer group)"
    return None


async def consumer_lag(app: faust.App, sensor: PipelineSensor) -> dict[tuple[str, int], int]:
    """Highwater minus the next offset to process, per assigned partition (position when none was read)."""
    consumer = app.consumer
    lags: dict[tuple[str, int], int] = {}
    for tp in consumer.assignment():
        highwater = consumer.highwater(tp)
        if highwater is None:
            continue
        processed = sensor.processed.get(tp)
        if processed is not None:
            next_offset: int | None = processed + 1
        else:
            try:
                next_offset = await asyncio.wait_for(consumer.position(tp), POSITION_TIMEOUT_S)
            except (TimeoutError, Exception):
                continue
        if next_offset is not None:
            lags[(tp.topic, tp.partition)] = highwater - next_offset
    return lags


def register(app: faust.App, settings: Settings, topics: Topics, role: str = "worker") -> PipelineSensor:
    sensor = PipelineSensor(topics)
    app.sensors.add(sensor)

    async def refresh() -> None:
        metrics.set_consumer_lag(await consumer_lag(app, sensor))

    if settings.health_port:

        @app.task
        async def serve_health() -> None:
            server = await start_health_server(
                role, settings.host, settings.health_port, lambda: not_ready(app), refresh
            )
            if server is None:
                return
            try:
                await asyncio.Event().wait()  # until the worker stops and cancels this task
            finally:
                await server.stop()

    return sensor
