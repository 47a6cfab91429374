"""`vigie <role> --help` tells a newcomer what the role is and which settings matter to it."""

from __future__ import annotations

import re

import pytest

from services.runtime.cli import ROLE_ENVIRONMENT, parser
from services.settings import Settings


def help_of(*argv: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        parser().parse_args([*argv, "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_vigie_run_help_names_every_role_it_starts(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of("run", capsys=capsys)
    for role in ("broker", "worker", "api", "notifier", "connectors", "demo"):
        assert role in text, f"{role} missing from: {text}"
    assert "the broker last" in text


def test_each_role_names_the_settings_that_matter_and_they_exist(capsys: pytest.CaptureFixture[str]) -> None:
    fields = set(Settings.model_fields)
    for role, names in ROLE_ENVIRONMENT.items():
        text = help_of(role, capsys=capsys)
        assert "Environment: VIGIE_" in text, text
        for name in re.findall(r"VIGIE_[A-Z0-9_]+", text):
            assert name.removeprefix("VIGIE_").lower() in fields, f"{role} --help names {name}, not a setting"
        assert set(names) <= set(re.findall(r"VIGIE_[A-Z0-9_]+", text))


def test_the_apis_address_options_say_what_they_are(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of("api", capsys=capsys)
    assert "--host HOST address to listen on" in text and "--port PORT port to listen on" in text
