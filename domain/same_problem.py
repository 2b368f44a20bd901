"""Same problem, many residents (「高频共性问题」): a report about a problem already open in the
same place joins that ticket instead of opening another, and raises its urgency when many
households are affected. FixMyStreet offers "subscribe" instead of a duplicate; so do we.

Two reports are one problem when they are about the same place, the same category and the
same kind of thing (lamp, water, lift, rubbish … ``nlp/objects.py``) within the window —
whatever words each household used: 「楼道灯坏了」, 「楼梯间黑漆漆的 灯不亮」 and the dialect
「楼道里的灯冇得亮了」 are one problem in one building; the same lamp in another building, or the
building's lift, is another. ``judge`` says so for one pair and why; ``find_open_ticket``
asks it of every open ticket of the compound.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from storage.models import Building, Report, Spot, Ticket, TicketState


@dataclass(frozen=True)
class SameProblemPolicy:
    """When two reports are one problem, and when a shared problem becomes a key ticket."""

    window: timedelta = timedelta(hours=72)  # how recent an open ticket may be to attach to
    threshold: float = 0.6  # similarity in the same building (reports that name no object)
    compound_margin: float = 0.15  # more similarity needed across buildings of one compound
    key_households: int = 3  # this many households make a routine ticket a key one
    # categories that mean "not sure" (staff triage): a report in one may join an open ticket
    # of another category, and the other way round, when place and kind of thing agree
    unsure: tuple[str, ...] = ("service.other",)


# similarity(report classification, other report classification) → [0, 1], e.g. nlp.similarity
Similarity = Callable[[dict[str, Any], dict[str, Any]], float]


@dataclass(frozen=True)
class Where:
    """Where a report is, as the judgement needs it."""

    building_id: int | None
    spot_id: int | None = None


@dataclass(frozen=True)
class Verdict:
    """Whether two reports are one problem, how alike they are (to rank), and why."""

    same: bool
    score: float
    why: str


def judge(
    new: Mapping[str, Any],
    new_where: Where,
    old: Mapping[str, Any],
    old_where: Where,
    policy: SameProblemPolicy,
    similarity: Similarity,
) -> Verdict:
    """Is the report ``new`` about the same problem as the report ``old``?

    The reports are their stored classifications: ``about`` (the kind of thing, from
    ``nlp.objects``), ``scope`` (``compound`` when it is named compound-wide: 停水, 路灯) and
    ``place`` (what the text named) beside the classifier's fields.

    - The same category, or one is among the other's further categories (``others``); a
      report or ticket in an unsure category (``policy.unsure``, staff triage) joins any
      category, but only by the kind of thing.
    - Another spot is another place; so is a spot against no spot.
    - Both name a kind of thing: the same kind, in the same building — or compound-wide in
      either building, when neither report named a building.
    - Otherwise (reports kept before objects were known, or naming none): alike enough by
      ``similarity``, more so across buildings.
    """
    new_category, old_category = new.get("category", ""), old.get("category", "")
    related = (
        new_category == old_category
        or new_category in old.get("others", ())
        or old_category in new.get("others", ())
    )
    unsure = new_category in policy.unsure or old_category in policy.unsure
    if not related and not unsure:
        return Verdict(False, 0.0, f"another category ({new_category}, {old_category})")
    score = similarity(dict(new), dict(old))
    if new_where.spot_id != old_where.spot_id:
        return Verdict(False, score, "another spot")
    same_building = new_where.building_id == old_where.building_id
    new_about, old_about = new.get("about"), old.get("about")
    if not related and not (new_about and old_about):
        return Verdict(False, score, "the category is unsure and no kind of thing to compare")
    if new_about and old_about:
        if new_about != old_about:
            return Verdict(False, score, f"another kind of thing ({new_about}, {old_about})")
        if new_where.spot_id is not None:
            return Verdict(True, 2.0 + score, f"{new_about} at the same spot")
        if same_building:
            return Verdict(True, 2.0 + score, f"{new_about} in the same building")
        if _wide(new) and _wide(old):
            return Verdict(True, 1.0 + score, f"{new_about} of the whole compound")
        return Verdict(False, score, f"{new_about} in another building")
    needed = policy.threshold + (0.0 if same_building else policy.compound_margin)
    if score >= needed:
        return Verdict(True, score, f"alike ({score:.2f} >= {needed:.2f})")
    return Verdict(False, score, f"not alike enough ({score:.2f} < {needed:.2f})")


def _wide(report: Mapping[str, Any]) -> bool:
    """Named compound-wide and not pinned to a building by its text."""
    place = report.get("place") or {}
    kind = place.get("kind", "home") if isinstance(place, Mapping) else "home"
    if kind == "compound":
        return True
    return report.get("scope") == "compound" and kind == "home"


def find_open_ticket(
    session: Session,
    building: Building,
    classification: dict[str, Any],
    now: datetime,
    policy: SameProblemPolicy,
    similarity: Similarity,
    *,
    spot: Spot | None = None,
) -> Ticket | None:
    """The open ticket this report is most likely about, or None.

    ``building`` is where the report is (the place it names, else the reporter's building);
    ``spot`` the spot it names, if any (``domain.places.locate``).
    """
    since = now - policy.window
    # every open ticket of the compound: categories are judged pairwise (``judge``), as one
    # report's further categories may hold the other's
    candidates = {
        ticket.id: ticket
        for ticket in session.exec(
            select(Ticket)
            .join(Building, col(Building.id) == col(Ticket.building_id))
            .where(
                Building.compound_id == building.compound_id,
                col(Ticket.state).in_([TicketState.OPEN, TicketState.IN_PROGRESS]),
                col(Ticket.opened_at) >= since,
            )
        )
    }
    if not candidates:
        return None
    here = Where(building.id, spot.id if spot is not None else None)
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
        # the ticket's category as staff may have corrected it, not as first classified
        old = {**(stored or {}), "category": ticket.category}
        verdict = judge(
            classification,
            here,
            old,
            Where(ticket.building_id, ticket.spot_id),
            policy,
            similarity,
        )
        # the most alike wins; between equals, the older ticket (it has the history)
        if verdict.same and (best is None or verdict.score > best[0]):
            best = (verdict.score, ticket)
    return best[1] if best else None
