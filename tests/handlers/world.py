"""A small neighbourhood with something of everything, built once through the bot.

Tickets: TD-261125-001 (r1's stairwell light; r2 follows it; gw1 holds it), TD-261125-002
(r2's noisy neighbour), TD-261125-003 (r2's question, resolved by gw1: r2 may rate it),
XHY-261125-001 (r3's rubbish, in the other community). Topics: TD-YS001 (r1's proposal,
accepted by td-staff), TD-YS002 (voting; on the roll: r1 and r2), XHY-YS001 (r3's proposal).
Notices from td-staff to 铜都花园: one sent, one still a draft. One report of r1's is held for
staff (as after a flood, domain/flood.py). The other community gets a grid, XHY-01, with its
worker xgw (someone a forged button might hand a ticket to).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from domain.deliberation import Deliberation
from domain.flood import HELD
from handlers.events import Sender
from storage import org, orgfile
from storage.db import session as open_session
from storage.models import (
    Building,
    Community,
    Compound,
    Department,
    Grid,
    Person,
    Report,
    ScopeKind,
    Ticket,
)
from storage.models_deliberation import Topic
from storage.models_notices import Notice
from tests.handlers.harness import Harness

STRANGER = Sender(9001, "路人甲", language_code="zh-hans")  # never registered anywhere


@dataclass
class World:
    """The neighbourhood's rows, read fresh from the database whenever asked."""

    bot: Harness

    def _get(self, query: object) -> object:
        with open_session(self.bot.engine) as session:
            return session.exec(query).one()  # type: ignore[call-overload]  # any select

    def ticket(self, number: str) -> Ticket:
        found = self._get(select(Ticket).where(Ticket.number == number))
        assert isinstance(found, Ticket)
        return found

    def topic(self, number: str) -> Topic:
        found = self._get(select(Topic).where(Topic.number == number))
        assert isinstance(found, Topic)
        return found

    def notice(self, state: str) -> Notice:
        found = self._get(select(Notice).where(Notice.state == state).order_by(col(Notice.id)))
        assert isinstance(found, Notice)
        return found

    def grid(self, code: str) -> Grid:
        found = self._get(select(Grid).where(Grid.code == code))
        assert isinstance(found, Grid)
        return found

    def person(self, key: str) -> Person:
        found = self._get(select(Person).where(Person.key == key))
        assert isinstance(found, Person)
        return found

    def department(self, code: str) -> Department:
        found = self._get(select(Department).where(Department.code == code))
        assert isinstance(found, Department)
        return found

    def compound(self, name: str) -> Compound:
        found = self._get(select(Compound).where(Compound.name == name))
        assert isinstance(found, Compound)
        return found

    def community(self, code: str) -> Community:
        found = self._get(select(Community).where(Community.code == code))
        assert isinstance(found, Community)
        return found

    def building(self, compound: str, name: str) -> Building:
        found = self._get(
            select(Building)
            .join(Compound, col(Compound.id) == col(Building.compound_id))
            .where(Compound.name == compound, Building.name == name)
        )
        assert isinstance(found, Building)
        return found

    def first_report(self, number: str) -> Report:
        """The report a ticket was opened for."""
        ticket = self.ticket(number)
        found = self._get(
            select(Report).where(
                Report.ticket_id == ticket.id, Report.person_id == ticket.reporter_id
            )
        )
        assert isinstance(found, Report)
        return found

    def held(self) -> Report:
        found = self._get(select(Report).where(Report.status == HELD))
        assert isinstance(found, Report)
        return found

    def neighbours_report(self, number: str) -> Report:
        """The report of a neighbour who joined the ticket (what /split takes out)."""
        ticket = self.ticket(number)
        found = self._get(
            select(Report).where(
                Report.ticket_id == ticket.id, Report.person_id != ticket.reporter_id
            )
        )
        assert isinstance(found, Report)
        return found


def build(bot: Harness) -> World:
    """Build the neighbourhood through the bot (and the deliberation desk for a vote)."""
    world = World(bot)
    _other_grid(bot)
    bot.says("r1", "3号楼楼道灯坏了，有事打我电话13812345678")  # TD-261125-001
    bot.says("r2", "3号楼楼道灯也坏了")  # joins it
    bot.says("r3", "小区里的垃圾没人清运")  # XHY-261125-001
    bot.says("r2", "楼上邻居半夜一直很吵")  # TD-261125-002
    bot.says("r2", "我想问一下老年食堂怎么报名")  # TD-261125-003
    bot.taps("gw1", "受理")
    bot.taps("gw1", "办结")
    bot.says("gw1", "已告知报名方式")
    assert world.ticket("TD-261125-003").state == "resolved"
    assert world.ticket("TD-261125-001").households == 2
    bot.says("r1", "/propose 3栋加装电梯")  # TD-YS001
    bot.taps("td-staff", "受理")
    bot.says("r3", "/propose 西花苑增加停车位")  # XHY-YS001
    _voting_topic(bot)  # TD-YS002
    bot.says("td-staff", "/notice")
    bot.taps("td-staff", "铜都花园")
    bot.says("td-staff", "周六上午停水")
    bot.taps("td-staff", "确认发送")
    bot.says("td-staff", "/notice")
    bot.taps("td-staff", "铜都花园")
    bot.says("td-staff", "下周一消杀")  # stays a draft
    assert world.notice("sent").text == "周六上午停水"
    assert world.notice("draft").text == "下周一消杀"
    _held_report(bot)
    bot.clock.advance(timedelta(minutes=5))
    return world


def _other_grid(bot: Harness) -> None:
    with open_session(bot.engine) as session:
        community = session.exec(select(Community).where(Community.code == "XHY")).one()
        session.add(Grid(code="XHY-01", community_id=community.id or 0, name="西花苑网格"))
        worker = Person(key="xgw", name="郑网格", telegram_id=205, created_at=bot.clock.now())
        session.add(worker)
        session.flush()
        orgfile.grant(session, worker, "grid_worker", "grid:XHY-01")
        session.commit()


def _held_report(bot: Harness) -> None:
    with open_session(bot.engine) as session:
        (r1,) = _people(session, "r1")
        assert r1.telegram_id is not None
        session.add(
            Report(
                chat_id=r1.telegram_id,
                message_id=1,
                telegram_user_id=r1.telegram_id,
                person_id=r1.id,
                text="3号楼门口的垃圾桶满了",
                received_at=bot.clock.now(),
                status=HELD,
            )
        )
        session.commit()


def _voting_topic(bot: Harness) -> None:
    with open_session(bot.engine) as session:
        desk = Deliberation(session, bot.clock)
        r1, staff = _people(session, "r1", "td-staff")
        grants = org.roles_of(session, staff.id or 0)
        topic = desk.propose(r1, "3栋楼道装感应灯")
        desk.accept(topic, staff, grants)
        desk.configure(topic, staff, grants, announce_days=0)
        desk.fix_roll(topic, staff, grants)
        desk.announce(topic, staff, grants, "楼道装感应灯，请投票")
        desk.open_vote(topic)
        session.commit()
        assert topic.number == "TD-YS002" and topic.state == "voting"
        assert topic.scope_kind == "building"


def _people(session: Session, *keys: str) -> list[Person]:
    return [session.exec(select(Person).where(Person.key == key)).one() for key in keys]


__all__ = ["STRANGER", "ScopeKind", "World", "build"]
