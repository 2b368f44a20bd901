"""Retention: what is gone and what is kept once personal data has passed its time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from domain.clock import ManualClock
from domain.retention import Retained, RetentionPolicy, apply
from domain.tickets import TicketDesk
from storage.models import ProcessedUpdate, Report, Ticket, TicketEvent, TicketState
from storage.models_outbox import OutboxMessage, OutboxState
from storage.models_privacy import Redaction
from tests.domain.helpers import figures, open_ticket, person

PHONE, MASKED = "13812345678", "138****5678"
WORKER_PHONE = "13900001111"
MASK = RetentionPolicy(texts="mask", texts_after=timedelta(days=180))
REMOVE = RetentionPolicy(texts="remove", texts_after=timedelta(days=180))


def closed_ticket(session: Session, desk: TicketDesk) -> Ticket:
    """r1 reports with a phone number and a photo; gw1 works on it with notes; r1 rates it."""
    ticket = open_ticket(session, desk)
    report = session.exec(select(Report).where(Report.ticket_id == ticket.id)).one()
    report.text = ticket.text = f"3栋楼道灯坏了，电话{PHONE}"
    report.photo_file_id = ticket.photo_file_id = "photo-of-the-stairs"
    report.classification = {"category": "service.facility", "terms": ["楼道灯", PHONE]}
    worker, resident = person(session, "gw1"), person(session, "r1")
    desk.accept(ticket, worker)
    desk.note(ticket, worker, f"打了{PHONE}没人接")
    desk.resolve(ticket, worker, f"换了灯泡，电工{WORKER_PHONE}")
    desk.rate(ticket, resident, "satisfied")
    session.commit()
    assert ticket.state == TicketState.CLOSED
    return ticket


def notes(session: Session, ticket: Ticket) -> list[str]:
    events = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    return [e.note for e in events if e.note]


def test_nothing_changes_before_the_time(
    session: Session, desk: TicketDesk, clock: ManualClock
) -> None:
    ticket = closed_ticket(session, desk)
    clock.advance(timedelta(days=179))
    assert apply(session, clock.now(), MASK) == Retained()
    session.commit()
    assert PHONE in session.get_one(Ticket, ticket.id).text


def test_closed_texts_are_masked_and_statistics_kept(
    session: Session, desk: TicketDesk, clock: ManualClock
) -> None:
    ticket = closed_ticket(session, desk)
    since = clock.now() - timedelta(days=1)
    before = figures(session, since)
    kept = (ticket.number, ticket.category, ticket.urgency, ticket.rating, ticket.closed_at)
    clock.advance(timedelta(days=181))

    done = apply(session, clock.now(), MASK)
    session.commit()

    assert (done.tickets, done.reports, done.notes) == (1, 1, 2)
    session.expire_all()
    ticket = session.get_one(Ticket, ticket.id)
    report = session.exec(select(Report).where(Report.ticket_id == ticket.id)).one()
    assert ticket.text == report.text == f"3栋楼道灯坏了，电话{MASKED}"
    assert ticket.resolution == "换了灯泡，电工139****1111"
    assert notes(session, ticket) == [f"打了{MASKED}没人接", "换了灯泡，电工139****1111"]
    assert report.classification == {"category": "service.facility"}  # the words are gone
    assert ticket.photo_file_id == "photo-of-the-stairs"  # masking keeps the evidence
    assert (ticket.number, ticket.category, ticket.urgency, ticket.rating) == kept[:4]
    assert ticket.closed_at is not None
    assert figures(session, since) == before
    assert session.get_one(Redaction, ("ticket", ticket.id)).action == "masked"
    assert apply(session, clock.now(), MASK) == Retained()  # a second run finds nothing new


def test_remove_takes_texts_notes_and_photos(
    session: Session, desk: TicketDesk, clock: ManualClock
) -> None:
    ticket = closed_ticket(session, desk)
    since = clock.now() - timedelta(days=1)
    before = figures(session, since)
    clock.advance(timedelta(days=181))
    apply(session, clock.now(), MASK)  # masked first; the stricter rule still applies later
    session.commit()

    done = apply(session, clock.now(), REMOVE)
    session.commit()

    assert (done.tickets, done.reports) == (1, 1)
    session.expire_all()
    ticket = session.get_one(Ticket, ticket.id)
    report = session.exec(select(Report).where(Report.ticket_id == ticket.id)).one()
    assert (ticket.text, ticket.resolution, report.text) == ("", "", "")
    assert ticket.photo_file_id is None and report.photo_file_id is None
    assert notes(session, ticket) == []
    assert (ticket.category, ticket.state, ticket.rating) == (
        "service.facility",
        "closed",
        "satisfied",
    )
    assert figures(session, since) == before
    assert apply(session, clock.now(), MASK) == Retained()  # removed is never "un-masked"


def test_open_tickets_and_unfiled_reports_are_left_alone(
    session: Session, desk: TicketDesk, clock: ManualClock
) -> None:
    ticket = open_ticket(session, desk)
    ticket.text = f"漏水 {PHONE}"
    resident = person(session, "r1")
    for status in ("none", "held", "received"):
        session.add(
            Report(
                chat_id=101,
                message_id=7,
                telegram_user_id=101,
                person_id=resident.id,
                text=f"{status} {PHONE}",
                received_at=clock.now(),
                status=status,
            )
        )
    session.commit()
    clock.advance(timedelta(days=400))

    done = apply(session, clock.now(), REMOVE)
    session.commit()

    assert (done.tickets, done.reports) == (0, 2)
    assert PHONE in session.get_one(Ticket, ticket.id).text  # still being worked on
    texts = {
        r.status: r.text
        for r in session.exec(select(Report).where(col(Report.ticket_id).is_(None)))
    }
    assert texts == {
        "none": "",
        "held": "",
        "received": f"received {PHONE}",
    }  # unfiled: the retry job's


def test_sent_messages_lose_their_texts_after_the_grace(
    session: Session, clock: ManualClock
) -> None:
    now = clock.now()

    def message(state: str, sent_ago: timedelta | None, message_id: int | None) -> OutboxMessage:
        row = OutboxMessage(
            chat_id=101,
            kind="send",
            payload={"text": f"您的工单 {PHONE}", "buttons": []},
            state=state,
            created_at=now - timedelta(days=3),
            sent_at=now - sent_ago if sent_ago is not None else None,
            message_id=message_id,
        )
        session.add(row)
        return row

    old = message(OutboxState.SENT, timedelta(days=2), 55)
    recent = message(OutboxState.SENT, timedelta(hours=1), 56)
    failed = message(OutboxState.FAILED, None, None)
    queued = message(OutboxState.QUEUED, None, None)
    session.commit()

    done = apply(session, now, RetentionPolicy(outbox_after=timedelta(days=1)))
    session.commit()

    assert done.messages == 2
    session.expire_all()
    assert session.get_one(OutboxMessage, old.id).payload == {}
    assert session.get_one(OutboxMessage, old.id).message_id == 55  # later edits need it
    assert session.get_one(OutboxMessage, failed.id).payload == {}
    assert PHONE in session.get_one(OutboxMessage, recent.id).payload["text"]
    assert PHONE in session.get_one(OutboxMessage, queued.id).payload["text"]  # still owed


def test_processed_updates_are_pruned_after_a_week(session: Session, clock: ManualClock) -> None:
    now = clock.now()
    session.add(ProcessedUpdate(update_id=1, at=now - timedelta(days=8)))
    session.add(ProcessedUpdate(update_id=2, at=now - timedelta(days=6)))
    session.commit()

    done = apply(session, now, RetentionPolicy())
    session.commit()

    assert done.updates == 1
    assert [u.update_id for u in session.exec(select(ProcessedUpdate))] == [2]


def test_keep_keeps_texts(session: Session, desk: TicketDesk, clock: ManualClock) -> None:
    ticket = closed_ticket(session, desk)
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    apply(session, clock.now(), RetentionPolicy(texts="keep"))
    session.commit()
    assert PHONE in session.get_one(Ticket, ticket.id).text
