"""Who may see and do what — tickets, topics, notices, places, rolls — answered in one place.

Every handler and every button asks here: `can(who, action, subject)` or `check(…)`, which
raises `Refused(key)` with a locale key the person is shown. `who` carries the person's grants
as stored (storage.org.roles_of); the subject is a row loaded from the database, never an id
taken on trust from button data or a command. This module says WHO; the transition tables
(domain.lifecycle for tickets, domain.deliberation for topics) say which move is possible from
which state.

The rules, in words:
- A ticket's card is for those who act on it (assignee, reporter, staff over its community,
  sub-district staff), its followers (neighbours who reported the same problem) and the grid
  workers of its grid. Its reporter's name and unmasked text are for the assignee, staff and
  the grid's workers only. A resident sees no one else's ticket.
- Staff act only within their community (sub-district staff and admins everywhere). A ticket
  is handed only to someone who works there: a grid worker of a grid in its community, its
  community's staff, sub-district staff, or staff of the department it was transferred to; a
  transfer goes only to a grid of the ticket's own community.
- A topic's stewards are its community's staff (and sub-district staff) and, for a topic about
  one building, that building's leader. Its record is for its stewards, its proposer, those on
  its roll and the residents of the places it covers. Its scope stays inside its community,
  and a building leader keeps it to their own building.
- A notice goes only to places its sender is responsible for (domain.notices.may_send); only
  its sender manages it; only the residents it was addressed to acknowledge it.
- The figures (/hot, /stats) and the merging and splitting of tickets are for staff.
- Reports held back from a flood (domain.flood) are for the grid workers and staff of the
  author's place.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from domain.flood import may_handle
from domain.lifecycle import Actor, Refused
from domain.notices import Place, buildings_in, may_send
from storage import org
from storage.models import (
    Grid,
    Person,
    Report,
    RoleGrant,
    ScopeKind,
    Ticket,
    TicketFollower,
)
from storage.models_deliberation import Elector, Owner, Topic
from storage.models_notices import Notice

WIDE = ("subdistrict_staff", "admin")  # staff over the whole sub-district
STAFF = ("community_staff", *WIDE)
BUILDING_TOPICS = ("building", "unit", "households")  # topic scopes inside one building


@dataclass(frozen=True)
class Who:
    """A person and the roles they hold, as the database says now."""

    person: Person
    grants: tuple[RoleGrant, ...]

    @property
    def id(self) -> int | None:
        return self.person.id

    def holds(self, role: str, kind: str | None = None, scope_id: int | None = None) -> bool:
        """Holds `role` (over exactly this place, when one is given)."""
        return any(
            g.role == role and (kind is None or (g.scope_kind == kind and g.scope_id == scope_id))
            for g in self.grants
        )

    def scopes(self, role: str, kind: str) -> set[int]:
        """The places of this kind over which the person holds `role`."""
        return {
            g.scope_id
            for g in self.grants
            if g.role == role and g.scope_kind == kind and g.scope_id is not None
        }

    @property
    def wide(self) -> bool:
        """Sub-district staff or admin: staff everywhere."""
        return any(g.role in WIDE for g in self.grants)

    @property
    def staff(self) -> bool:
        """Staff somewhere (community or sub-district)."""
        return any(g.role in STAFF for g in self.grants)

    @property
    def worker(self) -> bool:
        """Holds any role beyond resident (has a worklist)."""
        return any(g.role != "resident" for g in self.grants)

    def staff_of(self, community_id: int | None) -> bool:
        """Staff over this community."""
        return self.wide or (
            community_id is not None
            and self.holds("community_staff", ScopeKind.COMMUNITY, community_id)
        )

    def overseen(self) -> list[int] | None:
        """The communities this person oversees as staff (None: all of them)."""
        if self.wide:
            return None
        return sorted(self.scopes("community_staff", ScopeKind.COMMUNITY))


def who(session: Session, person: Person) -> Who:
    """`person` with their grants loaded from the database."""
    grants = org.roles_of(session, person.id) if person.id is not None else []
    return Who(person, tuple(grants))


class Do(enum.StrEnum):
    """What someone may want to do; the subject's type says to what."""

    SEE = "see"  # a ticket's card; a topic's record
    SEE_PRIVATE = "see_private"  # a ticket's reporter and unmasked text
    WORK = "work"  # a ticket card's buttons (the lifecycle says which)
    RATE = "rate"  # a resolved ticket, by its reporter
    TRIAGE = "triage"  # merge and split tickets, make a topic of them
    ASSIGN = "assign"  # subject: Handover(ticket, person)
    TRANSFER = "transfer"  # subject: Handover(ticket, grid)
    STEWARD = "steward"  # a topic's steward buttons and questions
    RESCOPE = "rescope"  # subject: Rescope(topic, place)
    ROLL = "roll"  # see and edit a topic's roll
    SEND = "send"  # subject: Place — address a notice there
    MANAGE = "manage"  # a notice: preview, send, schedule, remind, see who has not read it
    ACKNOWLEDGE = "acknowledge"  # a notice: 收到
    FIGURES = "figures"  # subject None: the hot list and the monthly rates
    WORKLIST = "worklist"  # subject None: /tickets
    HELD = "held"  # subject None: /held; a Report: open a held report as a ticket


@dataclass(frozen=True)
class Handover:
    """A ticket and where it would go: a person (reassign) or a grid (transfer)."""

    ticket: Ticket
    to: Person | Grid


@dataclass(frozen=True)
class Rescope:
    """A topic and the place its scope would become."""

    topic: Topic
    place: Place


Rule = Callable[["Access", Who, Any], str | None]  # None: allowed; else the refusal's key
_RULES: dict[tuple[Do, type[Any] | None], Rule] = {}


def _rule(action: Do, subject: type[Any] | None) -> Callable[[Rule], Rule]:
    def register(rule: Rule) -> Rule:
        _RULES[(action, subject)] = rule
        return rule

    return register


class Access:
    """Answers who may do what, reading what it needs from one session."""

    def __init__(self, session: Session):
        self.session = session

    def can(self, who: Who, action: Do, subject: object = None) -> bool:
        return self._refusal(who, action, subject) is None

    def check(self, who: Who, action: Do, subject: object = None) -> None:
        """Refused (with a locale key) unless `who` may do `action` to `subject`."""
        key = self._refusal(who, action, subject)
        if key is not None:
            raise Refused(key)

    def _refusal(self, who: Who, action: Do, subject: object) -> str | None:
        rule = _RULES.get((action, None if subject is None else type(subject)))
        if rule is None:
            raise LookupError(f"no rule for {action} on {type(subject).__name__}")
        return rule(self, who, subject)

    # --- tickets ---------------------------------------------------------------------------

    def capacities(self, who: Who, ticket: Ticket) -> set[Actor]:
        """In which capacities `who` may act on `ticket` (domain.lifecycle's table reads these)."""
        held: set[Actor] = set()
        if ticket.assignee_id == who.id:
            held.add(Actor.ASSIGNEE)
        if ticket.reporter_id == who.id:
            held.add(Actor.REPORTER)
        if who.staff_of(ticket.community_id):
            held.add(Actor.STAFF)
        return held

    def follows(self, who: Who, ticket: Ticket) -> bool:
        return (
            who.id is not None and self.session.get(TicketFollower, (ticket.id, who.id)) is not None
        )

    def may_take(self, person: Person, ticket: Ticket) -> bool:
        """Does `person` work where the ticket is (may it be handed to them)?"""
        grants = org.roles_of(self.session, person.id) if person.id is not None else []
        them = Who(person, tuple(grants))
        if them.staff_of(ticket.community_id):
            return True
        if ticket.department_id is not None and them.holds(
            "department_staff", ScopeKind.DEPARTMENT, ticket.department_id
        ):
            return True
        grids = them.scopes("grid_worker", ScopeKind.GRID)
        return bool(grids) and any(
            grid.community_id == ticket.community_id
            for grid in self.session.exec(select(Grid).where(col(Grid.id).in_(grids)))
        )

    # --- topics ----------------------------------------------------------------------------

    def steward_of(self, who: Who, topic: Topic) -> bool:
        return is_steward(topic, who.grants)

    def on_roll(self, who: Who, topic: Topic) -> bool:
        """Is the person on the topic's roll (in person, or as an owner of a household on it)?"""
        if who.id is None:
            return False
        query = select(Elector.id).where(
            Elector.topic_id == topic.id, col(Elector.removed_at).is_(None)
        )
        if who.person.telegram_id is not None:
            owned = select(Owner.household_id).where(Owner.telegram_id == who.person.telegram_id)
            query = query.where(
                or_(col(Elector.person_id) == who.id, col(Elector.household_id).in_(owned))
            )
        else:
            query = query.where(Elector.person_id == who.id)
        return self.session.exec(query.limit(1)).first() is not None

    def topic_buildings(self, topic: Topic) -> set[int]:
        """The buildings a topic's scope covers."""
        return buildings_in(self.session, scope_place(topic))

    def place_community(self, place: Place) -> int | None:
        if place.id is None:
            return None
        return org.community_of_scope(self.session, place.kind, place.id)


def is_steward(topic: Topic, grants: Iterable[RoleGrant]) -> bool:
    """Community staff of the topic's community, the building leader of a building topic."""
    for grant in grants:
        if grant.role in WIDE:
            return True
        if (
            grant.role == "community_staff"
            and grant.scope_kind == ScopeKind.COMMUNITY
            and grant.scope_id == topic.community_id
        ):
            return True
        if (
            grant.role == "building_leader"
            and grant.scope_kind == ScopeKind.BUILDING
            and topic.scope_kind in BUILDING_TOPICS
            and grant.scope_id == topic.scope_id
        ):
            return True
    return False


def scope_place(topic: Topic) -> Place:
    """The place a topic's scope names (a unit or a list of homes lies in one building)."""
    if topic.scope_kind in BUILDING_TOPICS:
        return Place(ScopeKind.BUILDING, topic.scope_id)
    return Place(topic.scope_kind, topic.scope_id)


# --- the rules -------------------------------------------------------------------------------


@_rule(Do.SEE, Ticket)
def _see_ticket(access: Access, who: Who, ticket: Ticket) -> str | None:
    if access.capacities(who, ticket) or access.follows(who, ticket):
        return None
    if ticket.grid_id is not None and who.holds("grid_worker", ScopeKind.GRID, ticket.grid_id):
        return None
    return "error-not-yours"


@_rule(Do.SEE_PRIVATE, Ticket)
def _see_private(access: Access, who: Who, ticket: Ticket) -> str | None:
    if access.capacities(who, ticket) & {Actor.ASSIGNEE, Actor.STAFF}:
        return None
    if ticket.grid_id is not None and who.holds("grid_worker", ScopeKind.GRID, ticket.grid_id):
        return None
    return "error-not-yours"


@_rule(Do.WORK, Ticket)
def _work(access: Access, who: Who, ticket: Ticket) -> str | None:
    return None if access.capacities(who, ticket) else "error-not-yours"


@_rule(Do.RATE, Ticket)
def _rate(access: Access, who: Who, ticket: Ticket) -> str | None:
    return None if ticket.reporter_id == who.id else "error-not-yours"


@_rule(Do.TRIAGE, Ticket)
def _triage(access: Access, who: Who, ticket: Ticket) -> str | None:
    return None if who.staff_of(ticket.community_id) else "error-no-role"


@_rule(Do.TRIAGE, None)
def _triage_any(access: Access, who: Who, _: None) -> str | None:
    return None if who.staff else "error-no-role"


@_rule(Do.ASSIGN, Handover)
def _assign(access: Access, who: Who, handover: Handover) -> str | None:
    ticket, person = handover.ticket, handover.to
    if not who.staff_of(ticket.community_id):
        return "refused-actor"
    if not isinstance(person, Person) or not access.may_take(person, ticket):
        return "refused-assignee"
    return None


@_rule(Do.TRANSFER, Handover)
def _transfer(access: Access, who: Who, handover: Handover) -> str | None:
    ticket, grid = handover.ticket, handover.to
    if not access.capacities(who, ticket) & {Actor.ASSIGNEE, Actor.STAFF}:
        return "refused-actor"
    if not isinstance(grid, Grid) or grid.community_id != ticket.community_id:
        return "refused-grid-community"
    return None


@_rule(Do.SEE, Topic)
def _see_topic(access: Access, who: Who, topic: Topic) -> str | None:
    if access.steward_of(who, topic) or topic.proposer_id == who.id:
        return None
    buildings = access.topic_buildings(topic)
    if who.person.building_id is not None and who.person.building_id in buildings:
        return None
    if who.scopes("building_leader", ScopeKind.BUILDING) & buildings:
        return None
    return None if access.on_roll(who, topic) else "dl-refused-not-yours"


@_rule(Do.STEWARD, Topic)
def _steward(access: Access, who: Who, topic: Topic) -> str | None:
    return None if access.steward_of(who, topic) else "dl-refused-role"


@_rule(Do.ROLL, Topic)
def _roll(access: Access, who: Who, topic: Topic) -> str | None:
    return None if access.steward_of(who, topic) else "dl-refused-role"


@_rule(Do.RESCOPE, Rescope)
def _rescope(access: Access, who: Who, rescope: Rescope) -> str | None:
    topic, place = rescope.topic, rescope.place
    if not access.steward_of(who, topic):
        return "dl-refused-role"
    if place.kind not in (ScopeKind.BUILDING, ScopeKind.COMPOUND, ScopeKind.COMMUNITY):
        return "dl-refused-scope"
    if access.place_community(place) != topic.community_id:
        return "dl-refused-scope"
    if who.staff_of(topic.community_id):
        return None
    # a building leader keeps the topic to a building they lead
    if place.kind == ScopeKind.BUILDING and place.id in who.scopes(
        "building_leader", ScopeKind.BUILDING
    ):
        return None
    return "dl-refused-scope"


@_rule(Do.SEND, Place)
def _send(access: Access, who: Who, place: Place) -> str | None:
    return None if may_send(access.session, who.grants, place) else "notice-not-your-place"


@_rule(Do.MANAGE, Notice)
def _manage(access: Access, who: Who, notice: Notice) -> str | None:
    if notice.sender_id != who.id:
        return "error-not-yours"
    place = Place(notice.scope_kind, notice.scope_id)
    return None if may_send(access.session, who.grants, place) else "notice-not-your-place"


@_rule(Do.ACKNOWLEDGE, Notice)
def _acknowledge(access: Access, who: Who, notice: Notice) -> str | None:
    home = who.person.building_id
    place = Place(notice.scope_kind, notice.scope_id)
    if home is not None and home in buildings_in(access.session, place):
        return None
    return "notice-not-addressed"


@_rule(Do.FIGURES, None)
def _figures(access: Access, who: Who, _: None) -> str | None:
    return None if who.staff else "error-no-role"


@_rule(Do.WORKLIST, None)
def _worklist(access: Access, who: Who, _: None) -> str | None:
    return None if who.worker else "error-no-role"


@_rule(Do.HELD, None)
def _held_any(access: Access, who: Who, _: None) -> str | None:
    return None if who.staff or who.holds("grid_worker") else "error-no-role"


@_rule(Do.HELD, Report)
def _held(access: Access, who: Who, report: Report) -> str | None:
    return None if may_handle(access.session, report, who.grants) else "error-not-yours"
