"""Every worker says it is alive and holding partitions, so the api (and the room) can tell; under `vigie run`
its event loop also beats on a file (services/runtime/heartbeat.py)."""

from __future__ import annotations

import os
import socket
import time
from typing import Literal

import faust

from services.runtime.heartbeat import heartbeat_path, keep_beating
from services.updates import WorkerStatus, encode
from streams.topics import Topics

STATUS_INTERVAL_S = 2.0


def register(app: faust.App, topics: Topics, stage: Literal["pipeline", "insights"]) -> None:
    worker_id = f"{socket.gethostname()}-{os.getpid()}"

    @app.timer(STATUS_INTERVAL_S)
    async def announce() -> None:
        assigned = app.consumer.assignment()
        if not assigned or app.rebalancing:
            return
        status = WorkerStatus(id=worker_id, at_ts=time.time(), partitions=len(assigned), stage=stage)
        await topics.updates.send(key=b"status", value=encode(status))

    if (heartbeat := heartbeat_path()) is not None:  # `vigie run` restarts a worker whose loop is stuck

        @app.task
        async def beat_on_loop() -> None:
            await keep_beating(heartbeat)
