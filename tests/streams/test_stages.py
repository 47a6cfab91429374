"""The two Faust stages (streams/app.py): which agents each runs, in which consumer group, and what a
broker renewal waits for. The wall's path (enrich, aggregate) never shares a process with insights and
alerts, which read the whole enriched stream."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.runtime.kafka import ENRICHED, PARTIALS, RAW, stage_group
from services.runtime.rotation import expected_consumers, restarted_with_broker
from services.settings import Settings
from streams.app import Stage, build_app


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'vigie.db'}"
    )


def agents_of(settings: Settings, stage: Stage) -> tuple[str, set[str], set[str]]:
    """The app's consumer group, its agents, and the topics they read."""
    app = build_app(settings, stage)
    topics = {topic for agent in app.agents.values() for topic in agent.channel.topics}
    return app.conf.id, set(app.agents), topics


def test_the_pipeline_enriches_and_aggregates_and_reads_nothing_else(settings: Settings) -> None:
    group, agents, topics = agents_of(settings, Stage.PIPELINE)
    assert group == "vigie-worker"  # as before: the windows' changelog topic is named after it
    assert agents == {"enrich", "aggregate"}
    assert topics == {settings.topic(RAW), settings.topic(PARTIALS)}


def test_insights_and_every_alert_rule_run_in_the_one_insights_process(settings: Settings) -> None:
    group, agents, topics = agents_of(settings, Stage.INSIGHTS)
    assert group == "vigie-insights"
    assert agents == {"insights", "alerts"}  # one agent reads each enriched record, for both
    assert topics == {settings.topic(ENRICHED), settings.topic("updates")}


def test_a_renewal_waits_for_each_stage_to_drain_what_it_reads_and_restarts_both() -> None:
    expected = expected_consumers("vigie.")
    assert expected[stage_group("vigie.", "pipeline")] == {"vigie.mentions.raw", "vigie.aggregates.partial"}
    assert expected[stage_group("vigie.", "insights")] == {"vigie.mentions.enriched"}
    restarted = {group for group in expected if restarted_with_broker(group, "vigie.")}
    assert restarted == {"vigie-worker", "vigie-insights"}  # the notifier and the archiver stay up
