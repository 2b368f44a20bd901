"""The command line of the monthly rhythm: `linli pack`, `linli export`, `linli open311 key`."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from bot.cli import main
from domain.clock import ManualClock
from domain.open311 import client_for
from domain.policy import DEFAULT_POLICY
from domain.tickets import TicketDesk
from storage.db import session as open_session
from tests.domain.helpers import open_ticket

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LINLI_DATABASE_URL", database_url)
    return CliRunner()


def test_pack_writes_a_workbook_and_a_page(
    cli: CliRunner, engine: Engine, clock: ManualClock, tmp_path: Path
) -> None:
    with open_session(engine) as session:
        desk = TicketDesk(session, clock, DEFAULT_POLICY, TZ)
        open_ticket(session, desk)
        session.commit()
    target = tmp_path / "td.xlsx"
    result = cli.invoke(
        main, ["pack", "--month", "2026-11", "--community", "TD", "--output", str(target)]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(target)
    assert book["三率"]["A1"].value == "铜都社区 2026-11 联席会议材料"
    assert "联席会议材料" in (tmp_path / "td.html").read_text(encoding="utf-8")
    into_dir = cli.invoke(main, ["pack", "--month", "2026-11", "--output", str(tmp_path)])
    assert into_dir.exit_code == 0, into_dir.output
    assert (tmp_path / "pack-all-2026-11.xlsx").exists()
    bad = cli.invoke(main, ["pack", "--month", "Nov", "--output", str(tmp_path)])
    assert bad.exit_code != 0 and "not a month" in bad.output
    unknown = cli.invoke(main, ["pack", "--community", "ZZ", "--output", str(tmp_path)])
    assert unknown.exit_code != 0 and "no community 'ZZ'" in unknown.output


def test_export_tickets_as_csv_masked_unless_asked(
    cli: CliRunner, engine: Engine, clock: ManualClock, tmp_path: Path
) -> None:
    with open_session(engine) as session:
        desk = TicketDesk(session, clock, DEFAULT_POLICY, TZ)
        ticket = open_ticket(session, desk)
        ticket.text = "楼道灯坏了 13812345678"
        session.add(ticket)
        session.commit()
    out = tmp_path / "tickets.csv"
    args = ["export", "tickets", "--format", "csv", "--community", "TD", "--lang", "en"]
    result = cli.invoke(main, [*args, "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "Number" and rows[1][0] == ticket.number
    assert "138****5678" in rows[1][17]
    cli.invoke(main, [*args, "--unmasked", "--output", str(out)])
    assert "13812345678" in out.read_text(encoding="utf-8-sig")
    services = tmp_path / "services.xlsx"
    result = cli.invoke(main, ["export", "services", "--output", str(services)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(services)["服务清单"]["B2"].value == "幸福食堂"


def test_open311_keys_are_made_listed_and_revoked(cli: CliRunner, engine: Engine) -> None:
    made = cli.invoke(main, ["open311", "key", "add", "12345-platform"])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[0]
    with open_session(engine) as session:
        assert client_for(session, key) is not None
    again = cli.invoke(main, ["open311", "key", "add", "12345-platform"])
    assert again.exit_code != 0 and "exists already" in again.output
    listed = cli.invoke(main, ["open311", "key", "list"])
    assert "12345-platform" in listed.output and "active" in listed.output
    assert key not in listed.output  # never shown again
    assert cli.invoke(main, ["open311", "key", "revoke", "12345-platform"]).exit_code == 0
    with open_session(engine) as session:
        assert client_for(session, key) is None
    twice = cli.invoke(main, ["open311", "key", "revoke", "12345-platform"])
    assert twice.exit_code != 0
