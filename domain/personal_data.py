"""One person's data: everything held about them (export), and its erasure on request
(PIPL 个人信息保护法 arts. 45 and 47: a person may see, copy and have deleted their data).

Export walks every table: a row is the person's when a column points at them (a foreign key
to person.id) or carries their Telegram id (telegram_id, telegram_user_id, or a private
chat_id). Where they appear only as the one who handled someone else's case (a ticket's
assignee, staff entering a paper vote), the other person's text and choice are left out.

Erasure pseudonymises: the person row stays (tickets, votes, acknowledgements and households
still count) with no name, Telegram id, home, language or roles; everything they wrote is
removed, and so is everything written about their tickets. Public records are kept: the topics
they proposed, the notices they sent, their open-ballot choices (part of a counted result).
Owners' rolls come from the property register and keep the owner's name; only the link to
the Telegram account goes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from domain.retention import clear_outbox, redact_report, redact_ticket, rowcount
from storage.models import (
    Conversation,
    Person,
    Report,
    RoleGrant,
    Ticket,
    TicketEvent,
    TicketFollower,
)
from storage.models_deliberation import Evaluation, Owner, Participation, TopicComment
from storage.models_notices import NoticePreference
from storage.models_outbox import OutboxMessage, OutboxState, UnreachableChat
from storage.models_privacy import Redacted, Redaction

FORMAT = "linli-person-export/1"
# A private chat's id is the person's Telegram id (group ids are negative): chat_id counts too.
TELEGRAM_COLUMNS = ("telegram_id", "telegram_user_id", "chat_id")
# (table, column): the person handled someone else's case; these columns are the other's.
OTHERS = {
    ("ticket", "assignee_id"): ("text", "photo_file_id", "reporter_id"),
    ("participation", "entered_by_id"): ("choice", "evidence", "voter_id", "elector_id"),
}


def export(session: Session, person: Person, now: datetime) -> dict[str, Any]:
    """Everything held about `person`, as JSON-ready data: table name → rows."""
    held: dict[str, list[dict[str, Any]]] = {}
    reported = [t.id for t in session.exec(select(Ticket).where(Ticket.reporter_id == person.id))]
    for table in SQLModel.metadata.sorted_tables:
        own, handled = _links(table, person)
        if table.name == "ticketevent" and reported:  # what was done about their tickets
            own.append(("ticket_id", table.c.ticket_id.in_(reported)))
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        for links, hidden in ((handled, True), (own, False)):  # their own rows win
            for column, condition in links:
                for row in session.execute(sa_select(table).where(condition)).mappings():
                    key = tuple(row[c.name] for c in table.primary_key.columns)
                    drop = OTHERS.get((table.name, column), ()) if hidden else ()
                    rows[key] = {k: _plain(v) for k, v in row.items() if k not in drop}
        if rows:
            held[table.name] = [rows[k] for k in sorted(rows, key=repr)]
    return {"format": FORMAT, "exported_at": now.isoformat(), "person_id": person.id, "held": held}


@dataclass
class Erased:
    """What an erasure changed, by kind of row."""

    reports: int = 0
    tickets: int = 0
    notes: int = 0
    comments: int = 0
    roles: int = 0
    messages: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{getattr(self, f.name)} {f.name}" for f in fields(self))


def erase(session: Session, person: Person, now: datetime) -> Erased:
    """Pseudonymise `person` and remove what they wrote; the caller commits."""
    done = Erased()
    pid, tid = person.id, person.telegram_id
    removed = Redacted.REMOVED
    mine = col(Report.person_id) == pid
    if tid is not None:
        mine = or_(mine, col(Report.telegram_user_id) == tid)
    for report in session.exec(select(Report).where(mine)):
        redact_report(session, report, removed, "request", now)
        report.telegram_user_id = 0
        if report.chat_id == tid:
            report.chat_id = 0
        done.reports += 1
    for ticket in session.exec(select(Ticket).where(Ticket.reporter_id == pid)):
        done.notes += redact_ticket(session, ticket, removed, "request", now)
        done.tickets += 1
    for event in session.exec(select(TicketEvent).where(TicketEvent.actor_id == pid)):
        if event.note:
            event.note = ""
            session.add(event)
            done.notes += 1
    for comment in session.exec(select(TopicComment).where(TopicComment.person_id == pid)):
        comment.text = ""
        session.add(comment)
        done.comments += 1
    for evaluation in session.exec(select(Evaluation).where(Evaluation.person_id == pid)):
        evaluation.comment = ""
        session.add(evaluation)
    for vote in session.exec(select(Participation).where(Participation.voter_id == pid)):
        vote.evidence = ""
        session.add(vote)
    done.roles = _count(session, delete(RoleGrant).where(col(RoleGrant.person_id) == pid))
    for model in (NoticePreference, TicketFollower):
        _count(session, delete(model).where(col(model.person_id) == pid))
    if tid is not None:
        session.execute(update(Owner).where(col(Owner.telegram_id) == tid).values(telegram_id=None))
        _count(
            session,
            delete(Conversation).where(
                (col(Conversation.telegram_user_id) == tid) | (col(Conversation.chat_id) == tid)
            ),
        )
        _count(session, delete(UnreachableChat).where(col(UnreachableChat.chat_id) == tid))
        done.messages = _count(
            session,
            update(OutboxMessage)
            .where(col(OutboxMessage.chat_id) == tid)
            .values(payload={}, chat_id=0, state=OutboxState.FAILED, error="erased"),
        )
    # Messages to others (staff pings, cards) quoted what the person wrote: every text the
    # outbox no longer needs goes, at once, rather than after the usual grace.
    done.messages += clear_outbox(session, now)
    person.name, person.key, person.telegram_id = "", None, None
    person.language = person.telegram_language = None
    person.building_id, person.unit = None, ""
    session.add(person)
    session.merge(
        Redaction(kind="person", row_id=pid or 0, action=Redacted.ERASED, reason="request", at=now)
    )
    return done


def _links(
    table: Table, person: Person
) -> tuple[list[tuple[str, ColumnElement[bool]]], list[tuple[str, ColumnElement[bool]]]]:
    """Conditions that find `person`'s rows in `table`: their own, and cases they handled."""
    own: list[tuple[str, ColumnElement[bool]]] = []
    handled: list[tuple[str, ColumnElement[bool]]] = []
    if table.name == "person":
        own.append(("id", table.c.id == person.id))
    for column in table.columns:
        if any(fk.column.table.name == "person" for fk in column.foreign_keys):
            target = handled if (table.name, column.name) in OTHERS else own
            target.append((column.name, column == person.id))
        elif person.telegram_id is not None and column.name in TELEGRAM_COLUMNS:
            own.append((column.name, column == person.telegram_id))
    return own, handled


def _count(session: Session, statement: Any) -> int:
    """Run an UPDATE or DELETE; the rows it touched."""
    return rowcount(session.execute(statement))


def _plain(value: Any) -> Any:
    """A value JSON can carry."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
