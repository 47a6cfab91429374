"""deploy/ stays true to the code: every setting it sets exists and parses, every role it runs exists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.runtime.cli import parser
from services.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ENV_NAME = re.compile(r"\bVIGIE_[A-Z0-9_]+")


def yaml_documents() -> list[tuple[str, Any]]:
    documents = []
    for path in sorted(DEPLOY.rglob("*.y*ml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                documents.append((str(path.relative_to(DEPLOY)), document))
    return documents


def env_values() -> dict[str, dict[str, str]]:
    """Every VIGIE_ variable given a value in deploy/, by file."""
    found: dict[str, dict[str, str]] = {}

    def walk(where: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and key.startswith("VIGIE_") and not isinstance(value, dict | list):
                    found.setdefault(where, {})[key] = str(value)
                walk(where, value)
        elif isinstance(node, list):
            for item in node:
                walk(where, item)

    for where, document in yaml_documents():
        walk(where, document)
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    found["Dockerfile"] = dict(re.findall(r"\b(VIGIE_[A-Z0-9_]+)=(\S+)", dockerfile))
    return found


def test_every_setting_named_in_deploy_exists() -> None:
    known = {f"VIGIE_{name.upper()}" for name in Settings.model_fields}
    named = set()
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            named |= set(ENV_NAME.findall(path.read_text()))
    assert named, "deploy/ names no setting at all"
    assert named <= known, f"deploy/ uses settings that do not exist: {sorted(named - known)}"


@pytest.mark.parametrize("where", sorted(env_values()))
def test_every_value_given_in_deploy_is_valid(where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(Settings.model_fields):
        monkeypatch.delenv(f"VIGIE_{name.upper()}", raising=False)
    for key, value in env_values()[where].items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    for key, value in env_values()[where].items():
        assert str(getattr(settings, key.removeprefix("VIGIE_").lower())) == value


def role_commands() -> set[str]:
    roles: set[str] = set()
    for _, document in yaml_documents():
        for service in (document.get("services") or {}).values() if "services" in document else []:
            if "command" in service:
                roles.add(service["command"][0])
        spec = document.get("spec", {}).get("template", {}).get("spec", {})
        for container in spec.get("containers", []):
            roles.add(container["args"][0])
    return roles


def test_every_role_deploy_runs_is_a_vigie_command() -> None:
    commands = set(parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert role_commands() == {"worker", "insights", "api", "notifier", "archiver"}
    assert role_commands() <= commands, f"missing commands: {role_commands() - commands}"


def test_compose_runs_kafka_in_kraft_mode_postgres_and_every_role_workers_and_apis_twice() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["postgres"]["image"].startswith("postgres:")
    commands = [s["command"][0] for name, s in services.items() if "command" in s]
    assert sorted(commands) == ["api", "api", "archiver", "insights", "notifier", "worker", "worker"]
    for name, service in services.items():
        if "command" in service:
            env = service["environment"]
            assert env["VIGIE_KAFKA_BOOTSTRAP"] == "kafka:9092", name
            assert env["VIGIE_DATABASE_URL"].startswith("postgresql+psycopg://"), name


def test_the_image_holds_every_package_and_the_wall() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for folder in ("services", "streams", "api", "web"):
        assert f"COPY {folder} ./{folder}" in dockerfile
