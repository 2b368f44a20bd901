"""Queries over the organisation: places, people and who holds which role where."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import (
    Building,
    ChatBinding,
    Community,
    Compound,
    Grid,
    Person,
    RoleGrant,
    ScopeKind,
    Ticket,
    TicketState,
)

STAFF_ROLES = ("community_staff", "subdistrict_staff", "admin")


def person_by_telegram(session: Session, telegram_id: int) -> Person | None:
    return session.exec(select(Person).where(Person.telegram_id == telegram_id)).first()


def roles_of(session: Session, person_id: int) -> list[RoleGrant]:
    return list(session.exec(select(RoleGrant).where(RoleGrant.person_id == person_id)).all())


def holders(session: Session, role: str, kind: ScopeKind, scope_id: int | None) -> list[Person]:
    """People holding `role` over exactly this place, in the order they were granted it."""
    query = (
        select(Person)
        .join(RoleGrant, col(RoleGrant.person_id) == col(Person.id))
        .where(RoleGrant.role == role, RoleGrant.scope_kind == kind)
        .order_by(col(RoleGrant.id))
    )
    query = query.where(
        col(RoleGrant.scope_id).is_(None) if scope_id is None else RoleGrant.scope_id == scope_id
    )
    return list(session.exec(query).all())


def least_loaded(session: Session, people: Sequence[Person]) -> Person | None:
    """Of these people, the one with fewest active tickets (ties: the first granted)."""
    if not people:
        return None
    ids = [p.id for p in people]
    rows = session.exec(
        select(Ticket.assignee_id, func.count())
        .where(
            col(Ticket.assignee_id).in_(ids),
            col(Ticket.state).in_([TicketState.OPEN, TicketState.IN_PROGRESS]),
        )
        .group_by(col(Ticket.assignee_id))
    ).all()
    load = {assignee: n for assignee, n in rows}
    return min(people, key=lambda p: load.get(p.id, 0))


def place_of_building(session: Session, building_id: int) -> tuple[Building, Compound, Community]:
    building = session.get_one(Building, building_id)
    compound = session.get_one(Compound, building.compound_id)
    community = session.get_one(Community, compound.community_id)
    return building, compound, community


def communities(session: Session) -> list[Community]:
    return list(session.exec(select(Community).order_by(col(Community.id))).all())


def compounds_of(session: Session, community_id: int) -> list[Compound]:
    return list(
        session.exec(
            select(Compound).where(Compound.community_id == community_id).order_by(col(Compound.id))
        ).all()
    )


def buildings_of(session: Session, compound_id: int) -> list[Building]:
    return list(
        session.exec(
            select(Building).where(Building.compound_id == compound_id).order_by(col(Building.id))
        ).all()
    )


def grid_by_code(session: Session, code: str) -> Grid | None:
    return session.exec(select(Grid).where(Grid.code == code)).first()


def binding(session: Session, chat_id: int) -> ChatBinding | None:
    return session.get(ChatBinding, chat_id)


def community_of_scope(session: Session, kind: str, scope_id: int) -> int | None:
    """The community a bound place belongs to."""
    if kind == ScopeKind.COMMUNITY:
        return scope_id
    if kind == ScopeKind.COMPOUND:
        compound = session.get(Compound, scope_id)
        return compound.community_id if compound else None
    if kind == ScopeKind.BUILDING:
        building = session.get(Building, scope_id)
        return (
            community_of_scope(session, ScopeKind.COMPOUND, building.compound_id)
            if building
            else None
        )
    if kind == ScopeKind.GRID:
        grid = session.get(Grid, scope_id)
        return grid.community_id if grid else None
    return None
