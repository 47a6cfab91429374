"""The built-in demo source, producing batch envelopes to the raw topic.

File replay and the real sources live in services/connectors/ (files.py for `vigie replay`)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from services.runtime.hold import IngestHold
from services.runtime.kafka import RAW, MentionPublisher, make_producer, wait_for_broker
from services.settings import Settings

log = logging.getLogger(__name__)

DEMO_TICK_S = 0.25
#: After a pause (ingest held while the pipeline catches up), the demo makes at most this many seconds of
#: mentions at once: it is synthetic, and a burst of everything a long pause would have made only sets the
#: pipeline behind again.
DEMO_MAX_CATCH_UP_S = 5.0


async def run_demo(settings: Settings) -> None:
    """Generate live demo mentions at `demo_rate_per_s`, with scripted episodes, until cancelled."""
    from services.demo import DemoGenerator

    await wait_for_broker(settings.bootstrap, timeout_s=60)
    producer = make_producer(settings)
    await producer.start()
    try:
        publisher = MentionPublisher(
            producer, settings.topic(RAW), settings.ingest_batch_max, IngestHold(settings.data_dir)
        )
        generator = DemoGenerator(seed=settings.demo_seed, rate_per_s=settings.demo_rate_per_s)
        last = time.monotonic()
        while True:
            await asyncio.sleep(DEMO_TICK_S)
            now = time.monotonic()
            batch = generator.batch(datetime.now(UTC), min(now - last, DEMO_MAX_CATCH_UP_S))
            last = now
            await publisher.publish(batch)
    finally:
        await producer.stop()
