"""Retention: personal data kept no longer than needed (PIPL 个人信息保护法, art. 19).

- Report and ticket texts, once the ticket has been closed for `texts_after`: masked (phone,
  ID-card, bank-card and plate numbers, by nlp.mask_pii) or removed (texts, notes and photos
  gone). Statistics keep what they count: the ticket's number, place, category, request type,
  urgency, states and times, households and rating, and each report's category.
- Messages the bot sent (or gave up on): their texts are cleared `outbox_after` that; the row
  stays with its chat, times and Telegram message id (later edits and pins need the id).
- Processed-update records (the guard against a webhook delivered twice) are pruned after
  `updates_after`: Telegram stops redelivering long before.

Each row handled is recorded in `redaction`, so a run touches only what is new; running twice
changes nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar
from typing import cast as cast_type

from sqlalchemy import CursorResult, Result, String, cast, delete, func, update
from sqlmodel import Session, col, select

from domain.flood import HELD
from nlp import mask_pii
from storage.models import ProcessedUpdate, Report, Ticket, TicketEvent, TicketState
from storage.models_outbox import OutboxMessage, OutboxState
from storage.models_privacy import Redacted, Redaction

TextRule = Literal["mask", "remove", "keep"]
T = TypeVar("T", Ticket, Report)
BATCH = 500  # rows per query: memory stays flat on a first run over years of tickets

# What a report keeps of its classification once its text is handled: enough for statistics
# and labelled exports, none of the words the resident wrote (terms, keywords).
KEPT_CLASSIFICATION = ("category", "family", "request_type", "urgency", "emergency", "score")


@dataclass(frozen=True)
class RetentionPolicy:
    """How long personal data is kept (LINLI_RETENTION_*)."""

    texts: TextRule = "mask"
    texts_after: timedelta = timedelta(days=180)
    outbox_after: timedelta = timedelta(days=1)
    updates_after: timedelta = timedelta(days=7)


@dataclass
class Retained:
    """What one run did, by kind of row."""

    tickets: int = 0
    reports: int = 0
    notes: int = 0  # ticket history notes
    messages: int = 0  # outbox texts cleared
    updates: int = 0  # processed-update records pruned

    def __str__(self) -> str:
        return ", ".join(f"{getattr(self, f.name)} {f.name}" for f in fields(self))


def apply(session: Session, now: datetime, policy: RetentionPolicy) -> Retained:
    """Apply the policy once; the caller commits."""
    done = Retained()
    if policy.texts != "keep":
        action = Redacted.MASKED if policy.texts == "mask" else Redacted.REMOVED
        _closed_tickets(session, now, now - policy.texts_after, action, done)
        _lone_reports(session, now, now - policy.texts_after, action, done)
    done.messages = clear_outbox(session, now - policy.outbox_after)
    pruned = session.execute(
        delete(ProcessedUpdate).where(col(ProcessedUpdate.at) < now - policy.updates_after)
    )
    done.updates = rowcount(pruned)
    return done


def clear_outbox(session: Session, before: datetime) -> int:
    """Clear the texts of messages sent (or given up on) by `before`; how many."""
    finished = func.coalesce(col(OutboxMessage.sent_at), col(OutboxMessage.created_at))
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.state).in_([OutboxState.SENT, OutboxState.FAILED]),
            finished <= before,
            cast(col(OutboxMessage.payload), String) != "{}",
        )
        .values(payload={})
    )
    return rowcount(result)


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE touched."""
    return int(cast_type(CursorResult[Any], result).rowcount)


def redact_ticket(
    session: Session, ticket: Ticket, action: Redacted, reason: str, now: datetime
) -> int:
    """Mask or remove a ticket's texts, its history's notes and its reports'; notes changed."""
    ticket.text = _apply(ticket.text, action)
    ticket.resolution = _apply(ticket.resolution, action)
    if action != Redacted.MASKED:
        ticket.photo_file_id = None
    session.add(ticket)
    notes = 0
    for event in session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)):
        if event.note:
            event.note = _apply(event.note, action)
            session.add(event)
            notes += 1
    _record(session, "ticket", ticket.id, action, reason, now)
    return notes


def redact_report(
    session: Session, report: Report, action: Redacted, reason: str, now: datetime
) -> None:
    """Mask or remove a report's text; its classification keeps only what statistics need."""
    report.text = _apply(report.text, action)
    if action != Redacted.MASKED:
        report.photo_file_id = None
    report.classification = {
        k: v for k, v in report.classification.items() if k in KEPT_CLASSIFICATION
    }
    session.add(report)
    _record(session, "report", report.id, action, reason, now)


def _closed_tickets(
    session: Session, now: datetime, cutoff: datetime, action: Redacted, done: Retained
) -> None:
    while batch := _unhandled(
        session,
        Ticket,
        action,
        col(Ticket.state) == TicketState.CLOSED,
        col(Ticket.closed_at) < cutoff,
    ):
        for ticket in batch:
            done.notes += redact_ticket(session, ticket, action, "retention", now)
            done.tickets += 1
        ids = [t.id for t in batch]
        for report in session.exec(select(Report).where(col(Report.ticket_id).in_(ids))):
            if _is_done(session, "report", report.id, action):
                continue
            redact_report(session, report, action, "retention", now)
            done.reports += 1
        session.flush()


def _lone_reports(
    session: Session, now: datetime, cutoff: datetime, action: Redacted, done: Retained
) -> None:
    """Reports that never became part of a ticket (not a report, the sender never said where
    they live, or held for staff and never opened): kept as long as a closed ticket's, counted
    from when they came."""
    while batch := _unhandled(
        session,
        Report,
        action,
        col(Report.ticket_id).is_(None),
        col(Report.status).in_(["none", "pending", HELD]),
        col(Report.received_at) < cutoff,
    ):
        for report in batch:
            redact_report(session, report, action, "retention", now)
            done.reports += 1
        session.flush()


def _unhandled(session: Session, model: type[T], action: Redacted, *conditions: Any) -> Sequence[T]:
    """The next batch of `model` rows matching `conditions` that `action` has not reached."""
    kind, key = str(model.__tablename__), col(model.id)
    return session.exec(
        select(model)
        .outerjoin(Redaction, (col(Redaction.kind) == kind) & (col(Redaction.row_id) == key))
        .where(*conditions, _not_yet(action))
        .order_by(key)
        .limit(BATCH)
    ).all()


def _stronger_or_same(action: Redacted) -> list[str]:
    order = list(Redacted)
    return [str(a) for a in order[order.index(action) :]]


def _not_yet(action: Redacted) -> Any:
    """The joined redaction row is missing, or weaker than `action`."""
    return col(Redaction.action).is_(None) | col(Redaction.action).not_in(_stronger_or_same(action))


def _is_done(session: Session, kind: str, row_id: int | None, action: Redacted) -> bool:
    found = session.get(Redaction, (kind, row_id))
    return found is not None and found.action in _stronger_or_same(action)


def _apply(text: str, action: Redacted) -> str:
    return mask_pii(text) if action == Redacted.MASKED else ""


def _record(
    session: Session, kind: str, row_id: int | None, action: Redacted, reason: str, now: datetime
) -> None:
    row = session.get(Redaction, (kind, row_id))
    if row is None:
        row = Redaction(kind=kind, row_id=row_id or 0, action=action, reason=reason, at=now)
    row.action, row.reason, row.at = action, reason, now
    session.add(row)
