"""The ticket desk: routing, numbering, deadlines, moves and the deadline sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from domain.clock import ManualClock, aware
from domain.lifecycle import Refused
from domain.tickets import TicketDesk
from storage import orgfile
from storage.models import Department, Grid, Person, TicketEvent
from tests.domain.helpers import Judged, open_ticket, person

TZ = ZoneInfo("Asia/Shanghai")


def test_routes_to_the_grid_worker_of_the_building(session: Session, desk: TicketDesk) -> None:
    ticket = open_ticket(session, desk)
    assert ticket.assignee_id == person(session, "gw1").id
    assert ticket.level == "grid"
    assert ticket.state == "open"


def test_without_a_grid_worker_community_staff_take_it(session: Session, desk: TicketDesk) -> None:
    ticket = open_ticket(session, desk, reporter="r3", home="XHY/西花苑小区/1栋")
    assert ticket.assignee_id == person(session, "xhy-staff").id
    assert ticket.level == "community"


def test_a_grid_with_two_workers_spreads_the_load(session: Session, desk: TicketDesk) -> None:
    second = Person(key="gw1b", name="第二网格员", telegram_id=299, created_at=desk.clock.now())
    session.add(second)
    session.flush()
    orgfile.grant(session, second, "grid_worker", "grid:TD-01")
    first = open_ticket(session, desk)
    following = open_ticket(session, desk)
    assert {first.assignee_id, following.assignee_id} == {person(session, "gw1").id, second.id}


def test_numbers_are_community_date_sequence(
    session: Session, desk: TicketDesk, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 11, 25, 17, 0, tzinfo=UTC))  # already 26 November in Shanghai
    first, second = open_ticket(session, desk), open_ticket(session, desk)
    other = open_ticket(session, desk, reporter="r3", home="XHY/西花苑小区/1栋")
    assert (first.number, second.number) == ("TD-261126-001", "TD-261126-002")
    assert other.number == "XHY-261126-001"
    clock.advance(timedelta(days=1))
    assert open_ticket(session, desk).number == "TD-261127-001"


@pytest.mark.parametrize(
    ("urgency", "respond", "resolve"),
    [
        ("emergency", timedelta(minutes=30), timedelta(hours=24)),
        ("key", timedelta(hours=4), timedelta(days=3)),
        ("routine", timedelta(hours=24), timedelta(days=7)),
    ],
)
def test_deadlines_follow_urgency(
    session: Session, desk: TicketDesk, urgency: str, respond: timedelta, resolve: timedelta
) -> None:
    ticket = open_ticket(session, desk, judged=Judged(urgency=urgency))
    assert aware(ticket.respond_by) - aware(ticket.opened_at) == respond
    assert aware(ticket.resolve_by) - aware(ticket.opened_at) == resolve


def test_history_records_every_step(session: Session, desk: TicketDesk) -> None:
    ticket = open_ticket(session, desk)
    gw1, r1 = person(session, "gw1"), person(session, "r1")
    desk.accept(ticket, gw1)
    desk.note(ticket, gw1, "已联系电工")
    desk.resolve(ticket, gw1, "换了新灯泡")
    desk.rate(ticket, r1, "satisfied")
    steps = [(e.action, e.from_state, e.to_state, e.actor_id) for e in desk.history(ticket)]
    assert steps == [
        ("open", None, "open", r1.id),
        ("accept", "open", "in_progress", gw1.id),
        ("note", "in_progress", "in_progress", gw1.id),
        ("resolve", "in_progress", "resolved", gw1.id),
        ("rate", "resolved", "closed", r1.id),
    ]
    assert ticket.rating == "satisfied"


def test_only_the_assignee_accepts(session: Session, desk: TicketDesk) -> None:
    ticket = open_ticket(session, desk)
    with pytest.raises(Refused):
        desk.accept(ticket, person(session, "gw2"))
    with pytest.raises(Refused):
        desk.accept(ticket, person(session, "r1"))


def test_escalation_climbs_grid_community_subdistrict_then_stops(
    session: Session, desk: TicketDesk
) -> None:
    ticket = open_ticket(session, desk)
    desk.escalate(ticket, person(session, "gw1"))
    assert (ticket.level, ticket.assignee_id) == ("community", person(session, "td-staff").id)
    desk.escalate(ticket, person(session, "td-staff"))
    assert (ticket.level, ticket.assignee_id) == ("subdistrict", person(session, "centre").id)
    with pytest.raises(Refused) as top:
        desk.escalate(ticket, person(session, "centre"))
    assert top.value.reason == "refused-top-level"


def test_transfer_to_another_grid_and_to_a_department(session: Session, desk: TicketDesk) -> None:
    ticket = open_ticket(session, desk)
    gw1 = person(session, "gw1")
    grid2 = session.exec(select(Grid).where(Grid.code == "TD-02")).one()
    desk.transfer_to_grid(ticket, gw1, grid2)
    assert ticket.assignee_id == person(session, "gw2").id and ticket.grid_id == grid2.id
    chengguan = session.exec(select(Department).where(Department.code == "chengguan")).one()
    desk.transfer_to_department(ticket, person(session, "gw2"), chengguan)
    assert (ticket.level, ticket.assignee_id) == ("department", person(session, "cg").id)


def test_dissatisfied_reopens_with_fresh_deadlines(
    session: Session, desk: TicketDesk, clock: ManualClock
) -> None:
    ticket = open_ticket(session, desk)
    gw1 = person(session, "gw1")
    desk.accept(ticket, gw1)
    clock.advance(timedelta(days=2))
    desk.resolve(ticket, gw1, "修好了")
    desk.rate(ticket, person(session, "r1"), "dissatisfied")
    assert ticket.state == "open"
    assert ticket.assignee_id == gw1.id
    assert aware(ticket.resolve_by) == clock.now() + timedelta(days=7)


def test_staff_reclassify_and_the_change_is_recorded(session: Session, desk: TicketDesk) -> None:
    ticket = open_ticket(session, desk)
    desk.reclassify(ticket, person(session, "td-staff"), "service.safety", "key")
    assert (ticket.category, ticket.urgency) == ("service.safety", "key")
    event = desk.history(ticket)[-1]
    assert event.data["before"] == {"category": "service.facility", "urgency": "routine"}
    with pytest.raises(Refused):
        desk.reclassify(ticket, person(session, "xhy-staff"), "service.other")


class TestSweep:
    def test_reminds_once_before_the_response_deadline(
        self, session: Session, desk: TicketDesk, clock: ManualClock
    ) -> None:
        ticket = open_ticket(session, desk)
        clock.advance(timedelta(hours=17))
        assert desk.sweep().reminders == []
        clock.advance(timedelta(hours=2))  # past 75% of 24 h
        first = desk.sweep()
        assert [c.ticket.id for c in first.reminders] == [ticket.id]
        assert desk.sweep().reminders == []

    def test_overdue_response_escalates_to_community_staff(
        self, session: Session, desk: TicketDesk, clock: ManualClock
    ) -> None:
        ticket = open_ticket(session, desk, judged=Judged(urgency="emergency"))
        clock.advance(timedelta(minutes=31))
        result = desk.sweep()
        assert [c.ticket.id for c in result.escalations] == [ticket.id]
        assert (ticket.level, ticket.assignee_id) == ("community", person(session, "td-staff").id)
        assert desk.history(ticket)[-1].actor_id is None  # the system did it
        assert desk.sweep().escalations == []  # community staff got a fresh window

    def test_overdue_resolution_escalates_once(
        self, session: Session, desk: TicketDesk, clock: ManualClock
    ) -> None:
        ticket = open_ticket(session, desk)
        desk.accept(ticket, person(session, "gw1"))
        clock.advance(timedelta(days=7, minutes=1))
        assert [c.ticket.id for c in desk.sweep().escalations] == [ticket.id]
        assert ticket.level == "community"
        clock.advance(timedelta(hours=12))  # within community staff's own response window
        assert desk.sweep().escalations == []
        clock.advance(timedelta(hours=12))  # ... which they let pass too: up to the sub-district
        assert [c.ticket.level for c in desk.sweep().escalations] == ["subdistrict"]

    def test_unrated_resolved_tickets_close_after_a_week(
        self, session: Session, desk: TicketDesk, clock: ManualClock
    ) -> None:
        ticket = open_ticket(session, desk)
        desk.resolve(ticket, person(session, "gw1"), "done")
        clock.advance(timedelta(days=6))
        assert desk.sweep().closed == []
        clock.advance(timedelta(days=1, minutes=1))
        assert [c.ticket.id for c in desk.sweep().closed] == [ticket.id]
        assert ticket.state == "closed" and ticket.rating is None

    def test_sweep_events_survive_in_history(
        self, session: Session, desk: TicketDesk, clock: ManualClock
    ) -> None:
        ticket = open_ticket(session, desk)
        clock.advance(timedelta(hours=25))
        desk.sweep()
        session.commit()
        actions = session.exec(
            select(TicketEvent.action).where(TicketEvent.ticket_id == ticket.id)
        ).all()
        assert list(actions) == ["open", "escalate"]


def test_worklist_puts_overdue_first(
    session: Session, desk: TicketDesk, clock: ManualClock
) -> None:
    routine = open_ticket(session, desk)
    clock.advance(timedelta(hours=23))
    emergency = open_ticket(session, desk, judged=Judged(urgency="emergency"))
    clock.advance(timedelta(hours=2))  # routine response now overdue; emergency too (30 min)
    key = open_ticket(session, desk, judged=Judged(urgency="key"))
    gw1 = person(session, "gw1")
    from storage import org

    listed = desk.worklist(gw1, org.roles_of(session, gw1.id or 0))
    assert [t.id for t in listed] == [emergency.id, routine.id, key.id]  # most overdue first
