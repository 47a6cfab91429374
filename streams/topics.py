"""The Faust topic objects of the pipeline. Values are raw bytes: Vigie encodes with msgspec/orjson itself."""

from __future__ import annotations

import faust

from services.runtime import kafka
from services.settings import Settings


class Topics:
    def __init__(self, app: faust.App, settings: Settings) -> None:
        def topic(name: str) -> faust.TopicT:
            return app.topic(
                settings.topic(name),
                key_type=bytes,
                value_type=bytes,
                key_serializer="raw",
                value_serializer="raw",
            )

        self.raw = topic(kafka.RAW)
        self.enriched = topic(kafka.ENRICHED)
        self.dlq = topic(kafka.DLQ)
        self.partials = topic(kafka.PARTIALS)
        self.updates = topic(kafka.UPDATES)
        self.alerts = topic(kafka.ALERTS)
