"""On a Kafka cluster every topic Vigie creates is bounded: the compacted config topic by key, every other
one by time."""

from __future__ import annotations

from services.runtime.kafka import CONFIG, TOPICS, topic_configs
from services.settings import Settings


def test_every_topic_but_config_has_a_retention_and_config_is_compacted() -> None:
    settings = Settings(_env_file=None, topic_retention_hours=6)
    for spec in TOPICS:
        configs = topic_configs(spec, settings)
        if spec.name == CONFIG:
            assert configs == {"cleanup.policy": "compact"}
        else:
            assert configs == {"retention.ms": str(6 * 3_600_000)}, spec.name
