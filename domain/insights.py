"""Reports labelled with the category staff settled on (the figures are in domain.figures)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from storage.models import Report, Ticket


@dataclass(frozen=True)
class Labelled:
    """A report with the category staff settled on: training data for `linli rules learn`."""

    text: str
    category: str
    request_type: str
    urgency: str
    predicted: str
    reclassified: bool
    ticket: str


def labelled_reports(session: Session) -> list[Labelled]:
    """Every report that became or joined a ticket, labelled with the ticket's final category."""
    rows = session.exec(
        select(Report, Ticket)
        .join(Ticket, col(Ticket.id) == col(Report.ticket_id))
        .order_by(col(Report.id))
    ).all()
    return [
        Labelled(
            text=report.text,
            category=ticket.category,
            request_type=ticket.request_type,
            urgency=ticket.urgency,
            predicted=str(report.classification.get("category", "")),
            reclassified=report.classification.get("category") != ticket.category,
            ticket=ticket.number,
        )
        for report, ticket in rows
    ]
