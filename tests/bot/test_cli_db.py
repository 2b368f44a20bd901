"""`linli db upgrade|current|history|downgrade`, and alembic run by hand with alembic.ini."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result

from bot.cli import main
from storage.db import alembic_config

ROOT = Path(__file__).parents[2]
HEADS = ", ".join(sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()))


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'linli.db'}"
    monkeypatch.setenv("LINLI_DATABASE_URL", url)
    return url


def linli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_upgrade_current_history_downgrade(db: str) -> None:
    empty = linli("db", "current", "--check")
    assert empty.exit_code == 1
    assert empty.output == f"database: empty, behind (head: {HEADS})\n"

    assert linli("db", "upgrade").output == f"database: {HEADS}, at head\n"
    current = linli("db", "current", "--check")
    assert (current.exit_code, current.output) == (0, f"database: {HEADS}, at head\n")

    history = linli("db", "history").output.splitlines()
    assert "0001 <- base  organisation, people, tickets" in history
    assert any(line.startswith("0008 <- 0003") and "(head, current)" in line for line in history)

    down = linli("db", "downgrade", "0003", "--yes")
    assert down.exit_code == 0, down.output
    assert "0003" in down.output and "behind" in down.output
    assert linli("db", "current", "--check").exit_code == 1
    assert linli("db", "upgrade").output == f"database: {HEADS}, at head\n"


def test_downgrade_asks_first(db: str) -> None:
    linli("db", "upgrade")
    refused = CliRunner().invoke(main, ["db", "downgrade", "base"], input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert linli("db", "current").output == f"database: {HEADS}, at head\n"


def test_an_unknown_revision_is_one_line(db: str) -> None:
    result = linli("db", "upgrade", "0999")
    assert result.exit_code == 1
    assert result.output == "Error: Can't locate revision identified by '0999'\n"


def test_an_unreachable_database_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_DATABASE_URL", "postgresql+psycopg://linli@127.0.0.1:1/linli")
    result = linli("db", "current")
    assert result.exit_code == 1
    assert result.output.startswith("Error: database: connection failed")
    assert result.output.count("\n") == 1


def test_alembic_by_hand_uses_linli_database_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'by-hand.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    env["LINLI_DATABASE_URL"] = url
    alembic = [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini")]
    upgrade = subprocess.run(
        [*alembic, "upgrade", "heads"], env=env, capture_output=True, text=True, check=False
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert "Running upgrade 0003 -> 0008" in upgrade.stderr
    current = subprocess.run(
        [*alembic, "current"], env=env, capture_output=True, text=True, check=False
    )
    lines = current.stdout.splitlines()  # "0009 (head) (mergepoint)"
    assert sorted(line.split()[0] for line in lines) == sorted(HEADS.split(", "))
    assert all("(head)" in line for line in lines)
