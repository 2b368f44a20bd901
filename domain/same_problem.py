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
    categories = [classification.get("category", ""), *classification.get("others", ())]
    candidates = {
        ticket.id: ticket
        for ticket in session.exec(
            select(Ticket)
            .join(Building, col(Building.id) == col(Ticket.building_id))
            .where(
                Building.compound_id == building.compound_id,
                col(Ticket.state).in_([TicketState.OPEN, TicketState.IN_PROGRESS]),
                col(Ticket.category).in_(categories),
                col(Ticket.opened_at) >= since,
            )
        )
    }
    if not candidates:
        return None
    best: tuple[float, Ticket] | None = None
    # Each ticket is judged by the report that opened it: what the problem is does not drift
    # with every neighbour's wording, and the cost stays one row per open ticket.
    reports = session.exec(
        select(Report.ticket_id, Report.classification)
        .where(col(Report.ticket_id).in_(list(candidates)), Report.status == "ticketed")
        .order_by(col(Report.ticket_id))
    )
    for ticket_id, stored in reports:
        ticket = candidates[ticket_id]
        needed = policy.threshold + (
            0 if ticket.building_id == building.id else policy.compound_margin
        )
        score = similarity(classification, dict(stored)) if stored else 0.0
        # the most alike wins; between equals, the older ticket (it has the history)
        if score >= needed and (best is None or score > best[0]):
            best = (score, ticket)
    return best[1] if best else None
