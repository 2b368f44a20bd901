"""Building blocks of the domain tests: a classifier verdict, people, a ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from domain.figures import Figures, Month, Scope, month_figures
from domain.tickets import TicketDesk
from storage import orgfile
from storage.models import Person, Report, Ticket


@dataclass(frozen=True)
class Judged:
    category: str = "service.facility"
    request_type: str = "complaint"
    urgency: str = "routine"
    emergency: str | None = None


def person(session: Session, key: str) -> Person:
    found = orgfile.find_person(session, key)
    assert found is not None
    return found


def open_ticket(
    session: Session,
    desk: TicketDesk,
    reporter: str = "r1",
    home: str = "TD/铜都花园/3栋",
    judged: Judged = Judged(),
) -> Ticket:
    who = person(session, reporter)
    report = Report(
        chat_id=1,
        message_id=1,
        telegram_user_id=who.telegram_id or 0,
        person_id=who.id,
        text="楼道灯坏了",
        received_at=desk.clock.now(),
    )
    session.add(report)
    session.flush()
    return desk.open(report, who, orgfile.resolve_building(session, home), judged).ticket


def figures(session: Session, at: datetime) -> Figures:
    """The month's three rates for every unit, as they stand at `at` (Asia/Shanghai months)."""
    tz = ZoneInfo("Asia/Shanghai")
    return month_figures(session, Month.of(at, tz), tz, Scope(), at)
