"""Notices 通知: who may send one where, who receives it, who acknowledged it.

A building leader 楼栋长 sends to their building; community staff to their community and any
compound, grid or building in it; sub-district staff (and admins) anywhere. A notice goes to
every bound group whose place lies wholly inside the notice's place, and privately to the
residents of that place who chose private delivery. Residents acknowledge with 收到.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from domain.clock import Clock, aware
from storage.models import (
    Building,
    ChatBinding,
    Community,
    Compound,
    Grid,
    Person,
    RoleGrant,
    ScopeKind,
)
from storage.models_notices import Notice, NoticeAck, NoticePreference

SENDER_ROLES = ("building_leader", "community_staff", "subdistrict_staff", "admin")
NOTICE_KINDS = (
    ScopeKind.SUBDISTRICT,
    ScopeKind.COMMUNITY,
    ScopeKind.GRID,
    ScopeKind.COMPOUND,
    ScopeKind.BUILDING,
)


@dataclass(frozen=True)
class Place:
    """A place a notice can be addressed to."""

    kind: str
    id: int | None  # None: the whole sub-district


def buildings_in(session: Session, place: Place) -> set[int]:
    """The ids of the buildings inside a place."""
    query = select(Building.id)
    if place.kind == ScopeKind.BUILDING:
        query = query.where(Building.id == place.id)
    elif place.kind == ScopeKind.COMPOUND:
        query = query.where(Building.compound_id == place.id)
    elif place.kind == ScopeKind.GRID:
        query = query.where(Building.grid_id == place.id)
    elif place.kind == ScopeKind.COMMUNITY:
        query = query.join(Compound, col(Compound.id) == col(Building.compound_id)).where(
            Compound.community_id == place.id
        )
    elif place.kind != ScopeKind.SUBDISTRICT:
        return set()
    return {b for b in session.exec(query).all() if b is not None}


def places_of(session: Session, grants: Iterable[RoleGrant]) -> list[Place]:
    """Every place this person may send a notice to, widest first."""
    places: list[Place] = []

    def add(place: Place) -> None:
        if place not in places:
            places.append(place)

    for grant in grants:
        if grant.role in ("subdistrict_staff", "admin"):
            add(Place(ScopeKind.SUBDISTRICT, None))
            for community in session.exec(select(Community).order_by(col(Community.id))):
                add(Place(ScopeKind.COMMUNITY, community.id))
        elif grant.role == "community_staff" and grant.scope_kind == ScopeKind.COMMUNITY:
            add(Place(ScopeKind.COMMUNITY, grant.scope_id))
            for grid in session.exec(
                select(Grid).where(Grid.community_id == grant.scope_id).order_by(col(Grid.id))
            ):
                add(Place(ScopeKind.GRID, grid.id))
            compounds = session.exec(
                select(Compound)
                .where(Compound.community_id == grant.scope_id)
                .order_by(col(Compound.id))
            ).all()
            for compound in compounds:
                add(Place(ScopeKind.COMPOUND, compound.id))
            for compound in compounds:
                for building in session.exec(
                    select(Building)
                    .where(Building.compound_id == compound.id)
                    .order_by(col(Building.id))
                ):
                    add(Place(ScopeKind.BUILDING, building.id))
        elif grant.role == "building_leader" and grant.scope_kind == ScopeKind.BUILDING:
            add(Place(ScopeKind.BUILDING, grant.scope_id))
    return places


def may_send(session: Session, grants: Iterable[RoleGrant], place: Place) -> bool:
    """May this person address a notice to `place`? Only within their own places."""
    if place.kind not in NOTICE_KINDS:
        return False
    target = buildings_in(session, place)
    if place.kind != ScopeKind.SUBDISTRICT and not target:
        return False
    for own in places_of(session, grants):
        if own == place:
            return True
        if own.kind in (ScopeKind.SUBDISTRICT, ScopeKind.COMMUNITY) and target <= buildings_in(
            session, own
        ):
            return True
    return False


def groups_in(session: Session, place: Place) -> list[ChatBinding]:
    """Bound group chats whose whole place lies inside `place`."""
    target = buildings_in(session, place)
    groups: list[ChatBinding] = []
    for binding in session.exec(select(ChatBinding).order_by(col(ChatBinding.chat_id))):
        own = buildings_in(session, Place(binding.scope_kind, binding.scope_id))
        if own and own <= target:
            groups.append(binding)
    return groups


def residents_in(session: Session, place: Place) -> list[Person]:
    """People whose home is inside `place`."""
    target = buildings_in(session, place)
    if not target:
        return []
    return list(
        session.exec(
            select(Person).where(col(Person.building_id).in_(target)).order_by(col(Person.id))
        ).all()
    )


def wants_private(session: Session, person_id: int) -> bool:
    pref = session.get(NoticePreference, person_id)
    return bool(pref and pref.private)


@dataclass(frozen=True)
class Audience:
    """Where a notice goes: the group chats, and the residents written to in private."""

    groups: list[ChatBinding]
    private: list[Person]
    residents: list[Person]


class NoticeBoard:
    """The notices of one transaction: draft, schedule, publish, acknowledge, tally."""

    def __init__(self, session: Session, clock: Clock):
        self.session = session
        self.clock = clock

    def draft(
        self,
        sender: Person,
        place: Place,
        text: str,
        *,
        photo: str | None = None,
        document: str | None = None,
        status_chat_id: int | None = None,
    ) -> Notice:
        assert sender.id is not None
        notice = Notice(
            sender_id=sender.id,
            scope_kind=place.kind,
            scope_id=place.id,
            text=text,
            photo=photo,
            document=document,
            created_at=self.clock.now(),
            status_chat_id=status_chat_id,
        )
        self.session.add(notice)
        self.session.flush()
        return notice

    def audience(self, notice: Notice) -> Audience:
        place = Place(notice.scope_kind, notice.scope_id)
        residents = residents_in(self.session, place)
        private = [
            p for p in residents if p.telegram_id and p.id and wants_private(self.session, p.id)
        ]
        return Audience(groups_in(self.session, place), private, residents)

    def schedule(self, notice: Notice, at: datetime) -> None:
        notice.state, notice.send_at = "scheduled", at
        self.session.add(notice)

    def mark_sent(self, notice: Notice, audience: Audience) -> None:
        notice.state, notice.sent_at = "sent", self.clock.now()
        notice.groups, notice.residents = len(audience.groups), len(audience.residents)
        self.session.add(notice)

    def due(self) -> list[Notice]:
        """Scheduled notices whose time has come (locked, so two runs cannot both send)."""
        now = self.clock.now()
        scheduled = self.session.exec(
            select(Notice)
            .where(Notice.state == "scheduled")
            .order_by(col(Notice.id))
            .with_for_update()
        ).all()
        return [n for n in scheduled if n.send_at is not None and aware(n.send_at) <= now]

    def acknowledge(self, notice: Notice, person: Person) -> bool:
        """Record 收到; False when this person had already acknowledged."""
        assert person.id is not None and notice.id is not None
        if self.session.get(NoticeAck, (notice.id, person.id)) is not None:
            return False
        self.session.add(NoticeAck(notice_id=notice.id, person_id=person.id, at=self.clock.now()))
        self.session.flush()
        return True

    def tally(self, notice: Notice) -> tuple[int, int]:
        """(residents in scope who acknowledged, residents in scope)."""
        residents = {p.id for p in residents_in(self.session, _place(notice))}
        acked = set(
            self.session.exec(select(NoticeAck.person_id).where(NoticeAck.notice_id == notice.id))
        )
        return len(residents & acked), len(residents)

    def unacknowledged(self, notice: Notice) -> list[Person]:
        acked = set(
            self.session.exec(select(NoticeAck.person_id).where(NoticeAck.notice_id == notice.id))
        )
        return [p for p in residents_in(self.session, _place(notice)) if p.id not in acked]

    def acknowledgements(self, notice_ids: Sequence[int]) -> dict[int, int]:
        if not notice_ids:
            return {}
        rows = self.session.exec(
            select(NoticeAck.notice_id, func.count())
            .where(col(NoticeAck.notice_id).in_(notice_ids))
            .group_by(col(NoticeAck.notice_id))
        ).all()
        return {n: c for n, c in rows}

    def recent_for(self, person: Person, limit: int = 10) -> list[Notice]:
        """The newest notices sent to the places where this person lives."""
        if person.building_id is None:
            return []
        sent = self.session.exec(
            select(Notice)
            .where(Notice.state == "sent")
            .order_by(col(Notice.sent_at).desc(), col(Notice.id).desc())
            .limit(200)
        ).all()
        mine = [n for n in sent if person.building_id in buildings_in(self.session, _place(n))]
        return mine[:limit]

    def set_private(self, person: Person, private: bool) -> None:
        assert person.id is not None
        pref = self.session.get(NoticePreference, person.id) or NoticePreference(
            person_id=person.id
        )
        pref.private = private
        self.session.add(pref)


def _place(notice: Notice) -> Place:
    return Place(notice.scope_kind, notice.scope_id)
