"""One person flooding the bot: past a few new tickets in a short time, their further reports
are kept and held for staff instead of each opening a ticket and pinging a grid worker.

A grid worker with forty tickets gains nothing from the 41st to the 240th ticket from one
person in ten minutes, and every one of those pings would queue ahead of other residents' in
that worker's chat (Telegram lets a bot send about one message a second into one chat).
Nothing is dropped: a held report is a row like any other, the resident is told plainly, the
worker's morning digest counts what is held in their grid, and staff open any of them as a
ticket with one tap (/held). Emergencies are never held.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import Building, Compound, Person, Report, RoleGrant, ScopeKind, Ticket

HELD = "held"  # Report.status of a report kept for staff


@dataclass(frozen=True)
class FloodPolicy:
    """How many new tickets one person may open within `window` before reports are held."""

    tickets: int = 5
    window: timedelta = timedelta(minutes=10)


def tickets_opened(session: Session, person_id: int, since: datetime) -> list[datetime]:
    """When the tickets this person opened since `since` were opened, oldest first."""
    return [
        opened
        for opened in session.exec(
            select(Ticket.opened_at)
            .where(Ticket.reporter_id == person_id, col(Ticket.opened_at) >= since)
            .order_by(col(Ticket.opened_at))
        )
    ]


def held_since(session: Session, person_id: int, chat_id: int, since: datetime) -> int:
    """How many of this person's reports sent into this chat since `since` are held."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Report)
            .where(
                Report.person_id == person_id,
                Report.chat_id == chat_id,
                Report.status == HELD,
                col(Report.received_at) >= since,
            )
        ).one()
    )


def _overseen(grants: Sequence[RoleGrant]) -> tuple[bool, set[int], set[int]]:
    """(everything?, grid ids, community ids) a staff member looks after."""
    everything = any(g.role in ("subdistrict_staff", "admin") for g in grants)
    grids = {
        g.scope_id
        for g in grants
        if g.role == "grid_worker" and g.scope_kind == ScopeKind.GRID and g.scope_id
    }
    communities = {
        g.scope_id
        for g in grants
        if g.role == "community_staff" and g.scope_kind == ScopeKind.COMMUNITY and g.scope_id
    }
    return everything, grids, communities


def may_handle(session: Session, report: Report, grants: Sequence[RoleGrant]) -> bool:
    """Does this staff member look after the place of the held report's author?"""
    everything, grids, communities = _overseen(grants)
    if everything:
        return True
    person = session.get(Person, report.person_id) if report.person_id else None
    building = session.get(Building, person.building_id) if person and person.building_id else None
    if building is None:
        return False
    compound = session.get_one(Compound, building.compound_id)
    return building.grid_id in grids or compound.community_id in communities


def _held_where(grants: Sequence[RoleGrant]) -> Any:
    """The condition on held reports (joined to their author's place) this staff member sees;
    None when they look after no place."""
    everything, grids, communities = _overseen(grants)
    held = col(Report.status) == HELD
    if everything:
        return held
    if not (grids or communities):
        return None
    return held & (col(Building.grid_id).in_(grids) | col(Compound.community_id).in_(communities))


def _placed(query: Any) -> Any:
    return (
        query.outerjoin(Person, col(Person.id) == col(Report.person_id))
        .outerjoin(Building, col(Building.id) == col(Person.building_id))
        .outerjoin(Compound, col(Compound.id) == col(Building.compound_id))
    )


def held_reports(session: Session, grants: Sequence[RoleGrant], limit: int = 10) -> list[Report]:
    """The newest held reports in the places this staff member looks after."""
    where = _held_where(grants)
    if where is None:
        return []
    query = _placed(select(Report)).where(where).order_by(col(Report.id).desc()).limit(limit)
    return list(session.exec(query))


def held_count(session: Session, grants: Sequence[RoleGrant]) -> int:
    """How many reports are held in the places this staff member looks after."""
    where = _held_where(grants)
    if where is None:
        return 0
    return int(session.exec(_placed(select(func.count()).select_from(Report)).where(where)).one())
