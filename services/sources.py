"""Built-in sources: the demo generator and file replay, both producing batch envelopes to the raw topic."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson

from services.kafka import RAW, MentionPublisher, make_producer, wait_for_broker
from services.records import Mention, MentionError, parse_mention
from services.settings import Settings

log = logging.getLogger(__name__)

DEMO_TICK_S = 0.25


async def run_demo(settings: Settings) -> None:
    """Generate live demo mentions at `demo_rate_per_s`, with scripted episodes, until cancelled."""
    from services.demo import DemoGenerator

    await wait_for_broker(settings.bootstrap, timeout_s=60)
    producer = make_producer(settings)
    await producer.start()
    try:
        publisher = MentionPublisher(producer, settings.topic(RAW), settings.ingest_batch_max)
        generator = DemoGenerator(seed=settings.demo_seed, rate_per_s=settings.demo_rate_per_s)
        last = time.monotonic()
        while True:
            await asyncio.sleep(DEMO_TICK_S)
            now = time.monotonic()
            batch = generator.batch(datetime.now(UTC), now - last)
            last = now
            await publisher.publish(batch)
    finally:
        await producer.stop()


def read_json_lines(path: Path) -> Iterator[Mention | MentionError]:
    """Each line of a JSON-lines file as a mention, or the error that names its line and field."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield parse_mention(orjson.loads(line))
            except orjson.JSONDecodeError as error:
                yield MentionError(f"line {number}", f"not valid JSON: {error}")
            except MentionError as error:
                yield MentionError(f"line {number}: {error.field}", error.reason)


async def run_replay(settings: Settings, path: Path, rate_per_s: float | None) -> tuple[int, int]:
    """Publish a JSON-lines file, at `rate_per_s` mentions per second or as fast as the broker takes them.

    Returns (published, refused); each refused line is reported on stderr with its reason.
    """
    await wait_for_broker(settings.bootstrap, timeout_s=60)
    producer = make_producer(settings)
    await producer.start()
    published = refused = 0
    try:
        publisher = MentionPublisher(producer, settings.topic(RAW), settings.ingest_batch_max)
        batch: list[Mention] = []
        batch_size = (
            settings.ingest_batch_max if rate_per_s is None else max(1, min(500, int(rate_per_s / 10)))
        )
        started = time.monotonic()
        for item in read_json_lines(path):
            if isinstance(item, MentionError):
                refused += 1
                print(f"refused {item.field}: {item.reason}", file=sys.stderr)
                continue
            batch.append(item)
            if len(batch) >= batch_size:
                published += await publisher.publish(batch)
                batch = []
                if rate_per_s:
                    ahead = published / rate_per_s - (time.monotonic() - started)
                    if ahead > 0:
                        await asyncio.sleep(ahead)
        published += await publisher.publish(batch)
        return published, refused
    finally:
        await producer.stop()
