"""Staff re-classifications come back out as labelled data for `linli rules learn`."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from bot.cli import main
from domain.clock import ManualClock
from domain.policy import DEFAULT_POLICY
from domain.tickets import TicketDesk
from storage import orgfile
from storage.db import session as open_session
from storage.models import Report
from tests.domain.helpers import Judged


def test_export_carries_the_category_staff_settled_on(
    engine: Engine, database_url: str, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_session(engine) as session:
        desk = TicketDesk(session, clock, DEFAULT_POLICY, ZoneInfo("Asia/Shanghai"))
        r1 = orgfile.find_person(session, "r1")
        staff = orgfile.find_person(session, "td-staff")
        assert r1 is not None and staff is not None
        building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
        for text, predicted in (
            ("楼道里电动车在充电", "service.facility"),
            ("楼道灯坏了", "service.facility"),
        ):
            report = Report(
                chat_id=101,
                message_id=1,
                telegram_user_id=101,
                person_id=r1.id,
                text=text,
                received_at=clock.now(),
                classification={"category": predicted},
            )
            session.add(report)
            session.flush()
            ticket = desk.open(report, r1, building, Judged(category=predicted)).ticket
        first = desk.by_number("TD-261125-001")
        assert first is not None and ticket is not None
        desk.reclassify(first, staff, "service.safety")
        session.commit()
    monkeypatch.setenv("LINLI_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["tickets", "export-labels"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["text"], r["category"], r["predicted"], r["reclassified"]) for r in rows] == [
        ("楼道里电动车在充电", "service.safety", "service.facility", "1"),
        ("楼道灯坏了", "service.facility", "service.facility", "0"),
    ]
