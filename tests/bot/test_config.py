"""Configuration: every variable documented, durations readable, empty means default."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import DeadlineSettings, Settings

EXAMPLE = Path(__file__).parents[2] / "deploy" / "linli.env.example"


def _variables() -> set[str]:
    names = set()
    for field, info in Settings.model_fields.items():
        section = info.default_factory
        if isinstance(section, type):
            prefix = section.model_config.get("env_prefix", "")
            names |= {f"{prefix}{name}".upper() for name in section.model_fields}
        else:
            names.add(f"LINLI_{field}".upper())
    return names


def test_the_example_env_file_documents_every_variable() -> None:
    documented = set(re.findall(r"^(LINLI_[A-Z_]+)=", EXAMPLE.read_text(), re.MULTILINE))
    assert documented == _variables()


def test_durations_read_like_people_write_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_DEADLINE_KEY_RESPOND", "2h")
    monkeypatch.setenv("LINLI_DEADLINE_ROUTINE_RESOLVE", "10d")
    monkeypatch.setenv("LINLI_DEADLINE_EMERGENCY_RESPOND", "900")
    policy = DeadlineSettings().policy()
    assert policy.window("key").respond == timedelta(hours=2)
    assert policy.window("routine").resolve == timedelta(days=10)
    assert policy.window("emergency").respond == timedelta(minutes=15)


def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_TELEGRAM_TOKEN", "")
    monkeypatch.setenv("LINLI_DATABASE_URL", "")
    settings = Settings()
    assert settings.telegram.token is None
    assert settings.database.url == "sqlite:///linli.db"


def test_a_bad_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_DEADLINE_REMIND_AT", "1.5")
    with pytest.raises(ValueError, match="remind_at"):
        DeadlineSettings()
