"""Which open ticket a report joins: same place, recent, alike enough."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from domain.clock import ManualClock
from domain.same_problem import SameProblemPolicy, find_open_ticket
from domain.tickets import TicketDesk
from storage import orgfile
from storage.models import Building, Report, Ticket
from tests.domain.helpers import open_ticket, person

POLICY = SameProblemPolicy()


def alike(a: dict[str, Any], b: dict[str, Any]) -> float:
    """A stand-in for nlp.similarity: the same `topic` reads as the same problem."""
    return 0.9 if a.get("topic") == b.get("topic") else 0.1


def make(session: Session, desk: TicketDesk, topic: str, home: str = "TD/铜都花园/3栋") -> int:
    ticket = open_ticket(session, desk, home=home)
    report = session.exec(select(Report).where(Report.ticket_id == ticket.id)).one()
    report.classification = {"category": "service.facility", "topic": topic}
    session.add(report)
    session.flush()
    return ticket.id or 0


def lights_in(
    session: Session, building: Building, now: datetime, policy: SameProblemPolicy
) -> Ticket | None:
    asked = {"category": "service.facility", "topic": "lights"}
    return find_open_ticket(session, building, asked, now, policy, alike)


def test_joins_the_alike_open_ticket_of_the_building(session: Session, desk: TicketDesk) -> None:
    lights = make(session, desk, "lights")
    make(session, desk, "rubbish")
    building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
    found = lights_in(session, building, desk.clock.now(), POLICY)
    assert found is not None and found.id == lights


def test_not_after_the_window(session: Session, desk: TicketDesk, clock: ManualClock) -> None:
    make(session, desk, "lights")
    clock.advance(timedelta(hours=73))
    building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
    assert lights_in(session, building, clock.now(), POLICY) is None


def test_another_category_is_another_problem(session: Session, desk: TicketDesk) -> None:
    make(session, desk, "lights")
    building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
    asked = {"category": "service.safety", "topic": "lights"}
    assert find_open_ticket(session, building, asked, desk.clock.now(), POLICY, alike) is None


def test_not_once_resolved(session: Session, desk: TicketDesk) -> None:
    ticket = session.get_one(Ticket, make(session, desk, "lights"))
    desk.resolve(ticket, person(session, "gw1"), "修好了")
    building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
    assert lights_in(session, building, desk.clock.now(), POLICY) is None


def test_another_compound_is_another_problem(session: Session, desk: TicketDesk) -> None:
    make(session, desk, "lights", home="TD/铜都小区/1栋")
    building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
    assert lights_in(session, building, desk.clock.now(), POLICY) is None


def test_another_building_of_the_compound_needs_more_likeness(
    session: Session, desk: TicketDesk
) -> None:
    make(session, desk, "lights", home="TD/铜都花园/1栋")
    building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
    strict = SameProblemPolicy(threshold=0.8, compound_margin=0.15)
    assert lights_in(session, building, desk.clock.now(), strict) is None
    assert lights_in(session, building, desk.clock.now(), POLICY) is not None
