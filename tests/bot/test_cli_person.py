"""`linli person export|erase` and `linli retention run` on the configured database; the
clock's retention job reads LINLI_RETENTION_*."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlmodel import select

from bot.app import build
from bot.cli import main
from bot.config import DatabaseSettings, Settings
from bot.scheduler import build_scheduler
from domain.clock import ManualClock
from domain.policy import DEFAULT_POLICY
from domain.tickets import TicketDesk
from storage import orgfile
from storage.db import session as open_session
from storage.models import Person, Ticket
from tests.domain.test_retention import PHONE, closed_ticket


@pytest.fixture
def ticket_number(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """r1's closed ticket (closed in November 2026, by the test clock), on the CLI's database."""
    monkeypatch.setenv("LINLI_DATABASE_URL", database_url)
    with open_session(engine) as session:
        desk = TicketDesk(session, ManualClock(), DEFAULT_POLICY, ZoneInfo("Asia/Shanghai"))
        return closed_ticket(session, desk).number


def test_export_writes_json(ticket_number: str, tmp_path: Path) -> None:
    out = tmp_path / "r1.json"
    result = CliRunner().invoke(main, ["person", "export", "101", "--output", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["held"]["person"][0]["name"] == "陈居民"
    assert [t["number"] for t in data["held"]["ticket"]] == [ticket_number]
    assert "rows in" in result.stderr and str(out) in result.stderr


def test_export_of_nobody_is_refused(ticket_number: str) -> None:
    result = CliRunner().invoke(main, ["person", "export", "nobody"])
    assert (result.exit_code, result.output) == (
        1,
        "Error: no person with key or Telegram id 'nobody'\n",
    )


def test_erase_asks_then_erases(ticket_number: str, engine: Engine) -> None:
    asked = CliRunner().invoke(main, ["person", "erase", "r1"], input="n\n")
    assert asked.exit_code == 1 and "Aborted" in asked.output
    with open_session(engine) as session:
        assert orgfile.find_person(session, "r1") is not None

    result = CliRunner().invoke(main, ["person", "erase", "r1", "--yes"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("erased person ")
    with open_session(engine) as session:
        assert orgfile.find_person(session, "r1") is None
        ticket = session.exec(select(Ticket).where(Ticket.number == ticket_number)).one()
        assert ticket.text == "" and ticket.category == "service.facility"
        assert session.get_one(Person, ticket.reporter_id).name == ""


def test_retention_run_reads_the_settings(
    ticket_number: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_RETENTION_TEXTS", "remove")
    monkeypatch.setenv("LINLI_RETENTION_TEXTS_AFTER", "1d")  # closed in 2026: long ago now

    result = CliRunner().invoke(main, ["retention", "run"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 tickets, 1 reports, 2 notes, ")
    with open_session(engine) as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == ticket_number)).one()
        assert ticket.text == ""


def test_the_clock_job_applies_the_configured_policy(
    ticket_number: str, database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_RETENTION_TEXTS_AFTER", "30d")
    clock = ManualClock(datetime(2027, 1, 1, tzinfo=UTC))  # the ticket closed 37 days before
    app = build(Settings(database=DatabaseSettings(url=database_url)), clock=clock)
    try:
        scheduler = build_scheduler(
            app.core, app.jobs, app.tz, sweep_seconds=60, digest_at=Settings().digest_time
        )
        job = scheduler.get_job("retention")
        assert job is not None and job.args == (app.jobs.apply_retention,)
        assert job.trigger.interval == timedelta(hours=1)
        assert app.jobs.apply_retention() == []
    finally:
        app.core.close()
        app.engine.dispose()
    with open_session(engine) as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == ticket_number)).one()
        assert PHONE not in ticket.text and "138****5678" in ticket.text  # masked by default
