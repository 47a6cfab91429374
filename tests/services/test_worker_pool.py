"""How many worker processes `vigie run` and `vigie worker` start, and what sets each apart."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.runtime.cli import main
from services.runtime.supervisor import Supervisor
from services.runtime.worker_pool import available_cores, worker_count, worker_env
from services.settings import Settings


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_by_default_one_worker_per_core_bounded_by_the_partitions() -> None:
    assert worker_count(settings(topic_partitions=1024)) == available_cores()
    assert worker_count(settings(topic_partitions=1)) == 1  # a second one would hold no partition
    assert worker_count(settings(workers=3, topic_partitions=4)) == 3
    assert worker_count(settings(workers=9, topic_partitions=4)) == 4
    assert worker_count(settings(workers=3), requested=1) == 1  # `vigie worker --processes 1`
    assert worker_count(settings(workers=1, topic_partitions=64), requested=0) == min(64, available_cores())


def test_vigie_run_leaves_a_core_to_its_insights_process_unless_told_how_many_workers() -> None:
    cores = available_cores()
    auto = Supervisor(settings(topic_partitions=1024), demo=False)
    pipeline = [role.name for role in auto.roles if role.name.startswith("worker-")]
    assert pipeline == [f"worker-{i + 1}" for i in range(max(1, cores - 1))]
    assert "insights" in [role.name for role in auto.roles]
    assert worker_count(settings(topic_partitions=1024), beside=cores + 5) == 1  # never none
    assert worker_count(settings(workers=2, topic_partitions=1024), beside=1) == 2  # asked for: as asked


def test_the_worker_count_setting_reads_auto_and_refuses_negatives(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_WORKERS", "auto")
    assert Settings(_env_file=None).workers == 0
    monkeypatch.setenv("VIGIE_WORKERS", "-1")
    with pytest.raises(ValidationError, match="workers"):
        Settings(_env_file=None)


def test_each_worker_process_has_a_health_port_of_its_own() -> None:
    env = {"VIGIE_HEALTH_PORT": "9100", "OTHER": "kept"}
    assert [worker_env(env, i, 9100)["VIGIE_HEALTH_PORT"] for i in range(3)] == ["9100", "9101", "9102"]
    assert worker_env(env, 1, 9100)["OTHER"] == "kept" and worker_env(env, 1, 9100)["VIGIE_WORKERS"] == "1"
    assert "VIGIE_HEALTH_PORT" not in worker_env({}, 1, 0)  # off stays off


def test_vigie_run_names_a_role_and_a_log_per_worker_and_stops_them_together() -> None:
    supervisor = Supervisor(settings(workers=3, health_port=9200), demo=False)
    workers = [role for role in supervisor.roles if role.kind == "worker"]
    assert [(r.name, r.log_name, r.env.get("VIGIE_HEALTH_PORT")) for r in workers] == [
        ("worker-1", "worker-1.log", "9200"),
        ("worker-2", "worker-2.log", "9201"),
        ("worker-3", "worker-3.log", "9202"),
        ("insights", "insights.log", "9203"),
    ]
    # The pipeline's processes and the one insights process (streams/app.py), each its own command.
    assert [r.argv[-3:] for r in workers] == [["worker", "--processes", "1"]] * 3 + [
        ["-m", "services.runtime.cli", "insights"]
    ]
    api = next(role for role in supervisor.roles if role.name == "api")
    assert {role.wave() for role in workers} == {2} and api.wave() == 1  # after the api, before the broker


def test_with_a_health_port_every_role_that_serves_health_checks_gets_its_own() -> None:
    # They share one machine: the notifier, the archiver and the connectors used to take worker-1's port.
    supervisor = Supervisor(settings(workers=2, health_port=9200), demo=True)
    assert supervisor.health_ports == {
        "worker-1": 9200,
        "worker-2": 9201,
        "insights": 9202,
        "notifier": 9203,
        "archiver": 9204,
        "connectors": 9205,
    }
    by_name = {role.name: role.env.get("VIGIE_HEALTH_PORT") for role in supervisor.roles}
    assert by_name["api"] is None and by_name["demo"] is None  # the api serves them on its own port
    assert Supervisor(settings(workers=2, health_port=0), demo=False).health_ports == {}


def test_a_negative_process_count_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker", "--processes", "-2"]) == 2
    assert "expected 0 (one per core) or more, got -2" in capsys.readouterr().err
