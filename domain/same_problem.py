"""Same problem, many residents (「高频共性问题」): a report about a problem already open in the
same building or compound joins that ticket instead of opening another, and raises its urgency
when many households are affected. FixMyStreet offers "subscribe" instead of a duplicate; so do we.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from domain.clock import aware
from storage.models import Building, Report, Ticket, TicketState


@dataclass(frozen=True)
class SameProblemPolicy:
    """When two reports are one problem, and when a shared problem becomes a key ticket."""

    window: timedelta = timedelta(hours=72)  # how recent an open ticket may be to attach to
    threshold: float = 0.6  # similarity in the same building
    compound_margin: float = 0.15  # more similarity needed across buildings of one compound
    key_households: int = 3  # this many households make a routine ticket a key one


# similarity(report classification, other report classification) → [0, 1], e.g. nlp.similarity
Similarity = Callable[[dict[str, Any], dict[str, Any]], float]


def find_open_ticket(
    session: Session,
    building: Building,
    classification: dict[str, Any],
    now: datetime,
    policy: SameProblemPolicy,
    similarity: Similarity,
) -> Ticket | None:
    """The open ticket this report is most likely about, or None."""
    since = now - policy.window
    candidates = session.exec(
        select(Ticket)
        .join(Building, col(Building.id) == col(Ticket.building_id))
        .where(
            Building.compound_id == building.compound_id,
            col(Ticket.state).in_([TicketState.OPEN, TicketState.IN_PROGRESS]),
        )
        .order_by(col(Ticket.id).desc())
    ).all()
    best: tuple[float, Ticket] | None = None
    for ticket in candidates:
        if aware(ticket.opened_at) < since:
            continue
        needed = policy.threshold
        if ticket.building_id != building.id:
            needed += policy.compound_margin
        reports = session.exec(select(Report).where(Report.ticket_id == ticket.id)).all()
        score = max(
            (similarity(classification, r.classification) for r in reports if r.classification),
            default=0.0,
        )
        if score >= needed and (best is None or score > best[0]):
            best = (score, ticket)
    return best[1] if best else None
