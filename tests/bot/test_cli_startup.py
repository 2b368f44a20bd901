"""Safe start-up: production refuses an unsafe configuration in one line; without a token the
simulator runs on its own database and never puts the sample among real people."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, func
from sqlmodel import select

from bot.app import build, serve
from bot.config import (
    ConfigError,
    DatabaseSettings,
    Settings,
    SimulatorSettings,
    TelegramSettings,
    WebhookSettings,
)
from bot.simulate import NotSimulatorDatabase
from storage.db import session as open_session
from storage.models import Community, Person
from tests.e2e.conftest import free_port

ROOT = Path(__file__).parents[2]


def linli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`linli ARGS` in a fresh process with only `env` of Linli's variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_a_missing_token_and_sqlite_in_one_line(tmp_path: Path) -> None:
    result = linli("run", cwd=tmp_path, LINLI_ENV="production")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: LINLI_ENV=production: LINLI_TELEGRAM_TOKEN is not set; "
        "LINLI_DATABASE_URL is SQLite (sqlite:///linli.db): use PostgreSQL"
    ]
    assert not list(tmp_path.iterdir())  # no database was made, no simulator started


def test_production_refuses_a_webhook_without_its_secret(tmp_path: Path) -> None:
    result = linli(
        "run",
        cwd=tmp_path,
        LINLI_ENV="production",
        LINLI_TELEGRAM_TOKEN="123:abc",
        LINLI_DATABASE_URL="postgresql+psycopg://linli@127.0.0.1:1/linli",
        LINLI_WEBHOOK_URL="https://bot.example.org/telegram/webhook",
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: LINLI_ENV=production: LINLI_WEBHOOK_SECRET is not set (anyone could post updates)"
    ]


def test_a_bad_setting_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = linli("run", cwd=tmp_path, LINLI_ENV="prod")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: configuration (Settings): env: Input should be 'development' or 'production'"
    ]


def test_production_with_everything_set_passes() -> None:
    settings = Settings(
        env="production",
        telegram=TelegramSettings(token=SecretStr("123:abc")),
        webhook=WebhookSettings(url="https://bot.example.org/telegram/webhook", secret="s3"),
        database=DatabaseSettings(url="postgresql+psycopg://linli@db/linli"),
    )
    assert settings.for_run() == settings
    with pytest.raises(ConfigError, match="LINLI_TELEGRAM_TOKEN"):
        settings.model_copy(update={"telegram": TelegramSettings()}).for_run()


def test_without_a_token_the_simulator_gets_its_own_database() -> None:
    settings = Settings(database=DatabaseSettings(url="postgresql+psycopg://linli@db/linli"))
    assert settings.for_run().database.url == "sqlite:///linli-simulator.db"
    assert settings.simulator.database_url == "sqlite:///linli-simulator.db"


async def test_the_simulator_refuses_a_database_with_other_data(
    database_url: str, engine: Engine
) -> None:
    def counts() -> tuple[int, int]:
        with open_session(engine) as session:
            return (
                session.exec(select(func.count()).select_from(Person)).one(),
                session.exec(select(func.count()).select_from(Community)).one(),
            )

    before = counts()
    settings = Settings(
        database=DatabaseSettings(url=database_url),  # the test organisation: real people
        simulator=SimulatorSettings(port=free_port()),
    )
    app = build(settings)
    try:
        with pytest.raises(NotSimulatorDatabase, match="holds other data"):
            await asyncio.wait_for(serve(app, clock_jobs=False), 60)
    finally:
        app.core.close()
        app.engine.dispose()
    assert counts() == before  # not one invented person added


def test_linli_run_without_a_token_says_so_in_one_line(tmp_path: Path, database_url: str) -> None:
    result = linli(
        "run",
        cwd=tmp_path,
        LINLI_SIMULATOR_DATABASE_URL=database_url,
        LINLI_SIMULATOR_PORT=str(free_port()),
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr
    assert lines[-1].startswith("Error: the simulator runs only on its own database")


async def test_a_new_simulator_database_gets_the_sample_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'simulator.db'}"
    for _ in range(2):  # the second start finds its own sample and keeps it
        settings = Settings(
            database=DatabaseSettings(url=url), simulator=SimulatorSettings(port=free_port())
        )
        app = build(settings)
        stop = asyncio.Event()
        task = asyncio.create_task(serve(app, stop=stop, clock_jobs=False))
        await asyncio.sleep(0)
        stop.set()
        await asyncio.wait_for(task, 60)
        with open_session(app.engine) as session:
            communities = session.exec(select(func.count()).select_from(Community)).one()
        app.engine.dispose()
        assert communities == 12  # the bundled sample's
