"""One person's data: the export holds everything about them and nothing private of anyone else;
erasure removes them and what they wrote, and every count stays as it was."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from domain.clock import ManualClock
from domain.personal_data import erase, export
from domain.tickets import TicketDesk
from storage import orgfile
from storage.models import Conversation, Person, Report, Ticket, TicketEvent
from storage.models_deliberation import Evaluation, Household, Owner, Topic, TopicComment
from storage.models_notices import Notice, NoticeAck
from storage.models_outbox import OutboxMessage, OutboxState
from storage.models_privacy import Redaction
from tests.domain.helpers import figures, open_ticket, person
from tests.domain.test_retention import PHONE, closed_ticket

NEIGHBOUR_TEXT = "2栋水管爆了，刘邻居家"


class World:
    """r1 with a closed ticket, a chat with the bot, a notice acknowledged, a comment on a
    topic and a place on the owners' roll; r2 with a ticket of their own; staff pinged."""

    def __init__(self, session: Session, desk: TicketDesk, clock: ManualClock) -> None:
        now = clock.now()
        self.r1, self.r2 = person(session, "r1"), person(session, "r2")
        staff = person(session, "td-staff")
        self.ticket = closed_ticket(session, desk)
        self.other = open_ticket(session, desk, reporter="r2", home="TD/铜都花园/2栋")
        self.other.text = NEIGHBOUR_TEXT
        self.to_r1 = OutboxMessage(
            chat_id=101, kind="send", payload={"text": "您的工单已受理"}, created_at=now
        )
        self.ping = OutboxMessage(
            chat_id=201,
            kind="send",
            payload={"text": f"新工单：陈居民 {PHONE}"},
            state=OutboxState.SENT,
            created_at=now,
            sent_at=now,
        )
        session.add_all([self.to_r1, self.ping])
        session.add(
            Conversation(
                telegram_user_id=101,
                chat_id=101,
                kind="note",
                data={"draft": PHONE},
                expires_at=now + timedelta(hours=1),
            )
        )
        notice = Notice(
            sender_id=staff.id or 0, scope_kind="community", text="停水通知", created_at=now
        )
        session.add(notice)
        session.flush()
        session.add(NoticeAck(notice_id=notice.id or 0, person_id=self.r1.id or 0, at=now))
        topic = Topic(
            number="TD-YS001",
            community_id=1,
            title="加装电梯",
            proposer_id=staff.id or 0,
            scope_id=1,
            created_at=now,
        )
        building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
        household = Household(building_id=building.id or 0, label="2-301")
        session.add_all([topic, household])
        session.flush()
        session.add(
            TopicComment(topic_id=topic.id or 0, person_id=self.r1.id or 0, text="我同意", at=now)
        )
        session.add(
            Evaluation(
                topic_id=topic.id or 0,
                person_id=self.r1.id or 0,
                rating="satisfied",
                comment="很好",
                at=now,
            )
        )
        session.add(Owner(household_id=household.id or 0, name="陈居民", telegram_id=101))
        session.commit()


def rows(data: dict[str, Any], table: str) -> list[dict[str, Any]]:
    held: dict[str, list[dict[str, Any]]] = data["held"]
    return held.get(table, [])


def test_export_holds_everything_about_the_person(
    session: Session, desk: TicketDesk, clock: ManualClock
) -> None:
    world = World(session, desk, clock)

    data = export(session, world.r1, clock.now())
    text = json.dumps(data, ensure_ascii=False)

    assert rows(data, "person")[0]["name"] == "陈居民"
    assert [t["number"] for t in rows(data, "ticket")] == [world.ticket.number]
    assert PHONE in rows(data, "ticket")[0]["text"]
    assert [r["ticket_id"] for r in rows(data, "report")] == [world.ticket.id]
    notes = [e["note"] for e in rows(data, "ticketevent") if e["note"]]
    assert any("没人接" in n for n in notes)  # what the grid worker noted on their ticket
    assert [m["chat_id"] for m in rows(data, "outbox")] == [101]  # not the staff ping
    assert [c["text"] for c in rows(data, "topiccomment")] == ["我同意"]
    assert [e["comment"] for e in rows(data, "evaluation")] == ["很好"]
    assert [o["name"] for o in rows(data, "owner")] == ["陈居民"]
    assert len(rows(data, "noticeack")) == 1 and len(rows(data, "conversation")) == 1
    assert NEIGHBOUR_TEXT not in text and "刘邻居" not in text  # nothing of anyone else


def test_a_workers_export_leaves_out_the_residents_texts(
    session: Session, desk: TicketDesk, clock: ManualClock
) -> None:
    world = World(session, desk, clock)

    data = export(session, person(session, "gw1"), clock.now())

    tickets = {t["number"]: t for t in rows(data, "ticket")}
    assert set(tickets) == {world.ticket.number, world.other.number}  # assigned to them
    assert all("text" not in t and "reporter_id" not in t for t in tickets.values())
    assert NEIGHBOUR_TEXT not in json.dumps(data, ensure_ascii=False)
    assert [m["chat_id"] for m in rows(data, "outbox")] == [201]  # what they were sent


def test_erase_removes_the_person_and_keeps_the_counts(
    session: Session, desk: TicketDesk, clock: ManualClock
) -> None:
    world = World(session, desk, clock)
    since = clock.now() - timedelta(days=1)
    before = figures(session, since)
    acks = len(session.exec(select(NoticeAck)).all())

    done = erase(session, world.r1, clock.now())
    session.commit()

    assert done.tickets == 1 and done.reports == 1
    session.expire_all()
    gone = session.get_one(Person, world.r1.id)
    assert (gone.name, gone.key, gone.telegram_id, gone.building_id) == ("", None, None, None)
    assert orgfile.find_person(session, "r1") is None
    assert orgfile.find_person(session, "101") is None
    ticket = session.get_one(Ticket, world.ticket.id)
    assert (ticket.text, ticket.resolution, ticket.photo_file_id) == ("", "", None)
    assert (ticket.reporter_id, ticket.category, ticket.rating) == (
        world.r1.id,
        "service.facility",
        "satisfied",
    )
    events = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).all()
    assert events and all(e.note == "" for e in events)
    report = session.exec(select(Report).where(Report.ticket_id == ticket.id)).one()
    assert (report.text, report.telegram_user_id, report.photo_file_id) == ("", 0, None)
    assert session.get_one(OutboxMessage, world.to_r1.id).payload == {}
    assert session.get_one(OutboxMessage, world.to_r1.id).state == OutboxState.FAILED  # not sent
    assert session.get_one(OutboxMessage, world.ping.id).payload == {}  # it quoted the report
    assert session.exec(select(Conversation)).all() == []
    assert [c.text for c in session.exec(select(TopicComment))] == [""]
    assert [e.comment for e in session.exec(select(Evaluation))] == [""]
    assert [(o.name, o.telegram_id) for o in session.exec(select(Owner))] == [("陈居民", None)]
    assert len(session.exec(select(NoticeAck)).all()) == acks
    assert figures(session, since) == before
    assert session.get_one(Ticket, world.other.id).text == NEIGHBOUR_TEXT  # r2's is theirs
    assert session.get_one(Redaction, ("person", world.r1.id)).action == "erased"
    left = json.dumps(export(session, gone, clock.now()), ensure_ascii=False)
    assert PHONE not in left and "我同意" not in left
