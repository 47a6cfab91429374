"""`vigie worker` and `vigie insights`: run a stage's Faust agents until stopped (streams/app.py)."""

from __future__ import annotations

import asyncio
import logging

from faust.worker import Worker

from services.runtime.heap import settle_heap
from services.runtime.kafka import declare_topics, wait_for_broker
from services.runtime.observability.logs import RedactSecrets
from services.settings import Settings
from streams.app import Stage, build_app


class RedactingWorker(Worker):
    """Faust's worker, whose log handlers (its own text ones, or the JSON ones of the settings) hide
    secrets as every other role's do (services/runtime/observability/logs.py)."""

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        super().on_setup_root_logger(logger, level)
        for handler in logger.handlers:
            if not any(isinstance(f, RedactSecrets) for f in handler.filters):
                handler.addFilter(RedactSecrets())


def run_worker(settings: Settings, stage: Stage = Stage.PIPELINE) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(wait_for_broker(settings.bootstrap, timeout_s=60))
    loop.run_until_complete(declare_topics(settings))
    app = build_app(settings, stage)
    worker = RedactingWorker(app, loop=loop, loglevel=settings.log_level.lower(), redirect_stdouts=False)
    # At WARNING and above Faust's terminal spinner sets the root logger to DEBUG so that every log
    # record spins it: aiokafka's debug records then cost the worker a tenth of its time. No spinner.
    worker.spinner = None
    # What start-up built (Faust, the agents, the sentiment model and its tables: ~120,000 objects) leaves the
    # collector's sight: a full collection walked it all every few seconds, 100-300 ms with the loop stopped.
    settle_heap()
    worker.execute_from_commandline()
