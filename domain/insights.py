"""Figures: the most frequent problems by compound and community (「高频共性问题」)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select as sa_select  # sqlmodel's select takes at most four columns
from sqlmodel import Session, col, select

from domain.clock import aware
from storage.models import Building, Community, Compound, Report, Ticket, TicketEvent, TicketState


@dataclass(frozen=True)
class Frequent:
    """One problem that keeps coming back: a category in a compound."""

    community: str
    compound: str
    category: str
    tickets: int
    households: int


def frequent_problems(
    session: Session, since: datetime, communities: list[int] | None, limit: int = 10
) -> list[Frequent]:
    """Categories by compound since `since`, most households first (None: every community)."""
    households = func.sum(col(Ticket.households))
    query = (
        sa_select(
            col(Community.name),
            col(Compound.name),
            col(Ticket.category),
            func.count(col(Ticket.id)),
            households,
        )
        .join(Building, col(Building.id) == col(Ticket.building_id))
        .join(Compound, col(Compound.id) == col(Building.compound_id))
        .join(Community, col(Community.id) == col(Compound.community_id))
        .where(col(Ticket.opened_at) >= since)
        .group_by(col(Community.name), col(Compound.name), col(Ticket.category))
        .order_by(households.desc(), func.count(col(Ticket.id)).desc(), col(Compound.name))
        .limit(limit)
    )
    if communities is not None:
        query = query.where(col(Community.id).in_(communities))
    return [
        Frequent(a, b, c, int(d), int(e or 0)) for a, b, c, d, e in session.execute(query).all()
    ]


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


@dataclass(frozen=True)
class Rates:
    """The 接诉即办 figures of one community over a period: 响应率、解决率、满意率."""

    community: str
    opened: int
    responded_in_time: int  # accepted before the response deadline of the time
    resolved: int  # resolved or closed with a rating, not withdrawn or merged
    rated: int
    satisfied: int  # satisfied or basically satisfied

    @staticmethod
    def share(part: int, whole: int) -> str:
        return f"{round(100 * part / whole)}%" if whole else "-"


def rates(session: Session, since: datetime, communities: list[int] | None) -> list[Rates]:
    """Response, resolution and satisfaction rates per community for tickets opened since."""
    query = (
        select(Community, Ticket)
        .join(Ticket, col(Ticket.community_id) == col(Community.id))
        .where(col(Ticket.opened_at) >= since)
        .order_by(col(Community.id))
    )
    if communities is not None:
        query = query.where(col(Community.id).in_(communities))
    table: dict[str, list[int]] = {}
    withdrawn = _closed_without_resolution(session, since)
    for community, ticket in session.exec(query):
        row = table.setdefault(community.name, [0, 0, 0, 0, 0])
        row[0] += 1
        if ticket.accepted_at is not None and aware(ticket.accepted_at) <= aware(ticket.respond_by):
            row[1] += 1
        if (
            ticket.state in (TicketState.RESOLVED, TicketState.CLOSED)
            and ticket.id not in withdrawn
        ):
            row[2] += 1
        if ticket.rating in ("satisfied", "basic", "dissatisfied"):
            row[3] += 1
            row[4] += ticket.rating != "dissatisfied"
    return [Rates(name, *numbers) for name, numbers in table.items()]


def _closed_without_resolution(session: Session, since: datetime) -> set[int]:
    """Tickets withdrawn by their reporter or merged into another: not resolved by anyone."""
    return set(
        session.exec(
            select(TicketEvent.ticket_id).where(
                col(TicketEvent.action).in_(["withdraw", "merge"]), col(TicketEvent.at) >= since
            )
        )
    )
