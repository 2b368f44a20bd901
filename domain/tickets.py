"""The ticket desk: opening, routing and moving grid tickets 网格工单, with their history.

「网格发现、社区呼叫、分级响应、协同处置」: a report becomes a ticket routed building → grid →
grid worker (fallback: community staff, then the sub-district centre); the assignee accepts,
handles, escalates (grid → community → sub-district) or transfers (another grid, a department),
and resolves; the reporter rates, and "dissatisfied" reopens it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from domain import access
from domain.clock import Clock, aware
from domain.lifecycle import Action, Actor, Refused, check
from domain.policy import DeadlinePolicy
from storage import org
from storage.db import increment
from storage.models import (
    Building,
    Community,
    Compound,
    Department,
    Grid,
    Level,
    Person,
    Report,
    RoleGrant,
    ScopeKind,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketSequence,
    TicketState,
)

RATINGS = ("satisfied", "basic", "dissatisfied")  # 满意 / 基本满意 / 不满意
_NEXT_LEVEL = {Level.GRID: Level.COMMUNITY, Level.COMMUNITY: Level.SUBDISTRICT}


class Assessment(Protocol):
    """What the classifier says of a report (nlp.Classification satisfies this)."""

    @property
    def request_type(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def urgency(self) -> str: ...
    @property
    def emergency(self) -> str | None: ...


@dataclass
class Change:
    """One recorded step of a ticket, and whom it concerns."""

    ticket: Ticket
    event: TicketEvent
    previous_assignee_id: int | None = None

    @property
    def reassigned(self) -> bool:
        return self.previous_assignee_id != self.ticket.assignee_id


@dataclass
class SweepResult:
    """What the deadline sweep did, for the people who must hear of it."""

    reminders: list[Change] = field(default_factory=list)
    escalations: list[Change] = field(default_factory=list)
    closed: list[Change] = field(default_factory=list)


class TicketDesk:
    """All changes to tickets go through here, each recorded as a TicketEvent."""

    def __init__(self, session: Session, clock: Clock, policy: DeadlinePolicy, tz: ZoneInfo):
        self.session = session
        self.clock = clock
        self.policy = policy
        self.tz = tz

    # --- opening -------------------------------------------------------------------------

    def open(
        self, report: Report, reporter: Person, building: Building, assessment: Assessment
    ) -> Change:
        """Open a ticket for a report and route it to the building's grid worker."""
        now = self.clock.now()
        _, compound, community = org.place_of_building(self.session, _id(building))
        urgency = assessment.urgency if assessment.urgency in self.policy.windows else "routine"
        level, assignee = self._route(building, community)
        ticket = Ticket(
            number=self._next_number(community, now),
            community_id=_id(community),
            building_id=building.id,
            grid_id=building.grid_id,
            reporter_id=_id(reporter),
            assignee_id=assignee.id if assignee else None,
            text=report.text,
            photo_file_id=report.photo_file_id,
            request_type=assessment.request_type,
            category=assessment.category,
            urgency=urgency,
            emergency=assessment.emergency,
            state=TicketState.OPEN,
            level=level,
            opened_at=now,
            respond_by=self.policy.respond_by(urgency, now),
            resolve_by=self.policy.resolve_by(urgency, now),
        )
        self.session.add(ticket)
        self.session.flush()
        self.session.add(TicketFollower(ticket_id=_id(ticket), person_id=_id(reporter)))
        report.ticket_id = ticket.id
        report.status = "ticketed"
        event = self._record(
            ticket, reporter.id, Action.OPEN, None, data={"compound": compound.name}
        )
        return Change(ticket, event, previous_assignee_id=None)

    def _route(self, building: Building, community: Community) -> tuple[Level, Person | None]:
        if building.grid_id is not None:
            workers = org.holders(self.session, "grid_worker", ScopeKind.GRID, building.grid_id)
            worker = org.least_loaded(self.session, workers)
            if worker:
                return Level.GRID, worker
        return self._level_holder(Level.COMMUNITY, _id(community))

    def _level_holder(self, level: Level, community_id: int) -> tuple[Level, Person | None]:
        """Whoever takes tickets at `level`, falling back upwards when nobody is there."""
        if level == Level.COMMUNITY:
            staff = org.holders(self.session, "community_staff", ScopeKind.COMMUNITY, community_id)
            if staff:
                return Level.COMMUNITY, org.least_loaded(self.session, staff)
        centre = org.holders(self.session, "subdistrict_staff", ScopeKind.SUBDISTRICT, None)
        return Level.SUBDISTRICT, org.least_loaded(self.session, centre)

    def _next_number(self, community: Community, now: datetime) -> str:
        """Community prefix, local date and sequence: TD-261125-007, easy to read aloud."""
        day = now.astimezone(self.tz).strftime("%y%m%d")
        last = increment(
            self.session, TicketSequence, {"community_id": _id(community), "day": day}, "last"
        )
        return f"{community.code}-{day}-{last:03d}"

    # --- who may do what (domain.access) ----------------------------------------------

    def _authorise(self, ticket: Ticket, person: Person | None, action: Action) -> str:
        if person is None:
            return check(action, ticket.state, {Actor.SYSTEM})
        actor = access.who(self.session, person)
        return check(action, ticket.state, access.Access(self.session).capacities(actor, ticket))

    # --- moves ---------------------------------------------------------------------------

    def accept(self, ticket: Ticket, person: Person) -> Change:
        target = self._authorise(ticket, person, Action.ACCEPT)
        ticket.accepted_at = self.clock.now()
        return self._move(ticket, person, Action.ACCEPT, target)

    def note(self, ticket: Ticket, person: Person, text: str) -> Change:
        target = self._authorise(ticket, person, Action.NOTE)
        return self._move(ticket, person, Action.NOTE, target, note=text)

    def resolve(self, ticket: Ticket, person: Person, text: str) -> Change:
        target = self._authorise(ticket, person, Action.RESOLVE)
        now = self.clock.now()
        ticket.resolved_at = now
        ticket.accepted_at = ticket.accepted_at or now
        ticket.resolution = text
        return self._move(ticket, person, Action.RESOLVE, target, note=text)

    def escalate(self, ticket: Ticket, person: Person | None, reason: str = "") -> Change:
        """Hand the ticket one level up: grid → community → sub-district centre."""
        target = self._authorise(ticket, person, Action.ESCALATE)
        level = Level(ticket.level)
        if level not in _NEXT_LEVEL:
            raise Refused("refused-top-level")
        new_level, assignee = self._level_holder(_NEXT_LEVEL[level], ticket.community_id)
        if assignee is None:
            raise Refused("refused-nobody-above")
        return self._reassign(ticket, person, Action.ESCALATE, target, new_level, assignee, reason)

    def transfer_to_grid(
        self, ticket: Ticket, person: Person, grid: Grid, reason: str = ""
    ) -> Change:
        target = self._authorise(ticket, person, Action.TRANSFER)
        worker = org.least_loaded(
            self.session, org.holders(self.session, "grid_worker", ScopeKind.GRID, _id(grid))
        )
        if worker is None:
            raise Refused("refused-grid-empty", grid=grid.name)
        if grid.id == ticket.grid_id and worker.id == ticket.assignee_id:
            raise Refused("refused-same-grid")
        ticket.grid_id = grid.id
        ticket.department_id = None
        return self._reassign(
            ticket, person, Action.TRANSFER, target, Level.GRID, worker, reason, {"grid": grid.code}
        )

    def transfer_to_department(
        self, ticket: Ticket, person: Person, department: Department, reason: str = ""
    ) -> Change:
        target = self._authorise(ticket, person, Action.TRANSFER)
        staff = org.holders(self.session, "department_staff", ScopeKind.DEPARTMENT, department.id)
        assignee = org.least_loaded(self.session, staff)
        if assignee is None:  # the sub-district centre forwards it by hand
            _, assignee = self._level_holder(Level.SUBDISTRICT, ticket.community_id)
        if assignee is None:
            raise Refused("refused-nobody-above")
        ticket.department_id = department.id
        return self._reassign(
            ticket,
            person,
            Action.TRANSFER,
            target,
            Level.DEPARTMENT,
            assignee,
            reason,
            {"department": department.code},
        )

    def reassign(
        self, ticket: Ticket, person: Person, assignee: Person, reason: str = ""
    ) -> Change:
        target = self._authorise(ticket, person, Action.REASSIGN)
        return self._reassign(
            ticket, person, Action.REASSIGN, target, Level(ticket.level), assignee, reason
        )

    def supervise(self, ticket: Ticket, person: Person | None, note: str = "") -> Change:
        """督办: staff press the assignee; recorded so the figures show it."""
        target = self._authorise(ticket, person, Action.SUPERVISE)
        return self._move(ticket, person, Action.SUPERVISE, target, note=note)

    def reclassify(
        self, ticket: Ticket, person: Person, category: str, urgency: str | None = None
    ) -> Change:
        target = self._authorise(ticket, person, Action.RECLASSIFY)
        before = {"category": ticket.category, "urgency": ticket.urgency}
        ticket.category = category
        if urgency and urgency != ticket.urgency and urgency in self.policy.windows:
            ticket.urgency = urgency
            self._reset_deadlines(ticket, resolve=True)
        return self._move(
            ticket,
            person,
            Action.RECLASSIFY,
            target,
            data={"before": before, "after": {"category": category, "urgency": ticket.urgency}},
        )

    def rate(self, ticket: Ticket, person: Person, rating: str) -> Change:
        """The reporter judges the result (民事民评); dissatisfied reopens the ticket."""
        if rating not in RATINGS:
            raise Refused("refused-rating")
        if rating == "dissatisfied":
            target = self._authorise(ticket, person, Action.REOPEN)
            ticket.rating = rating
            ticket.resolved_at = None
            self._reset_deadlines(ticket, resolve=True)
            return self._move(ticket, person, Action.REOPEN, target, data={"rating": rating})
        target = self._authorise(ticket, person, Action.RATE)
        ticket.rating = rating
        ticket.closed_at = self.clock.now()
        return self._move(ticket, person, Action.RATE, target, data={"rating": rating})

    def withdraw(self, ticket: Ticket, person: Person) -> Change:
        target = self._authorise(ticket, person, Action.WITHDRAW)
        ticket.closed_at = self.clock.now()
        return self._move(ticket, person, Action.WITHDRAW, target)

    # --- the same problem from many households ------------------------------------------

    def attach(self, ticket: Ticket, person: Person, report: Report, key_households: int) -> Change:
        """A neighbour reported the same problem: follow the ticket, count the household."""
        # Read the ticket afresh under its row lock: a change committed by another worker
        # thread since it was loaded is built upon, not overwritten.
        self.session.exec(
            select(Ticket)
            .where(Ticket.id == ticket.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        target = self._authorise(ticket, None, Action.ATTACH)
        report.ticket_id, report.status = ticket.id, "attached"
        self.session.add(report)
        if self.session.get(TicketFollower, (ticket.id, person.id)) is None:
            self.session.add(TicketFollower(ticket_id=_id(ticket), person_id=_id(person)))
            self.session.flush()
            ticket.households = len(self.followers(ticket))  # counted, never lost
        change = self._move(
            ticket, person, Action.ATTACH, target, data={"households": ticket.households}
        )
        self._raise_for_households(ticket, key_households)
        return change

    def _raise_for_households(self, ticket: Ticket, key_households: int) -> None:
        """Many households affected: a routine ticket becomes a key one (重点单)."""
        if ticket.urgency != "routine" or ticket.households < key_households:
            return
        ticket.urgency = "key"
        opened = aware(ticket.opened_at)
        ticket.respond_by = min(aware(ticket.respond_by), self.policy.respond_by("key", opened))
        ticket.resolve_by = min(aware(ticket.resolve_by), self.policy.resolve_by("key", opened))
        self._move(
            ticket,
            None,
            Action.RECLASSIFY,
            ticket.state,
            data={
                "before": {"urgency": "routine"},
                "after": {"urgency": "key"},
                "households": ticket.households,
            },
        )

    def merge(self, target: Ticket, source: Ticket, person: Person, key_households: int) -> Change:
        """Fold `source` into `target`: its reports and followers move, it closes."""
        if target.id == source.id:
            raise Refused("refused-merge-self")
        if target.community_id != source.community_id:
            raise Refused("refused-merge-community")
        self._authorise(target, person, Action.ATTACH)
        closed = self._authorise(source, person, Action.MERGE)
        for report in self.session.exec(select(Report).where(Report.ticket_id == source.id)):
            report.ticket_id, report.status = target.id, "attached"
            self.session.add(report)
        known = {f.id for f in self.followers(target)}
        for follower in self.followers(source):
            if follower.id not in known:
                self.session.add(TicketFollower(ticket_id=_id(target), person_id=_id(follower)))
        self.session.flush()
        source.closed_at = self.clock.now()
        change = self._move(source, person, Action.MERGE, closed, data={"into": target.number})
        target.households = len(self.followers(target))
        self._move(
            target,
            person,
            Action.ATTACH,
            target.state,
            data={"merged": source.number, "households": target.households},
        )
        self._raise_for_households(target, key_households)
        return change

    def split(
        self, ticket: Ticket, report: Report, person: Person, assessment: Assessment
    ) -> Change:
        """Take one resident's report out of a shared ticket into a new ticket of its own."""
        self._authorise(ticket, person, Action.SPLIT)
        if report.ticket_id != ticket.id or report.person_id is None:
            raise Refused("refused-split-report")
        reporter = self.session.get_one(Person, report.person_id)
        if reporter.id == ticket.reporter_id:
            raise Refused("refused-split-reporter")
        others = self.session.exec(
            select(Report).where(Report.ticket_id == ticket.id, Report.person_id == reporter.id)
        ).all()
        building = self.session.get_one(Building, ticket.building_id)
        follower = self.session.get(TicketFollower, (ticket.id, reporter.id))
        if follower is not None:
            self.session.delete(follower)
            self.session.flush()
        ticket.households = len(self.followers(ticket))
        opened = self.open(report, reporter, building, assessment)
        for other in others:
            if other.id != report.id:
                other.ticket_id = opened.ticket.id
                self.session.add(other)
        self._move(
            ticket,
            person,
            Action.SPLIT,
            ticket.state,
            data={"to": opened.ticket.number, "households": ticket.households},
        )
        return opened

    # --- the clock -----------------------------------------------------------------------

    def sweep(self) -> SweepResult:
        """Remind before deadlines, escalate overdue work, close unrated resolved tickets.

        Idempotent: flags on the ticket record what was done, so running it twice (or after a
        restart) repeats nothing.
        """
        now = self.clock.now()
        result = SweepResult()
        active = self.session.exec(
            select(Ticket)
            .where(col(Ticket.state).in_([TicketState.OPEN, TicketState.IN_PROGRESS]))
            .order_by(col(Ticket.id))
        ).all()
        for ticket in active:
            respond_by, resolve_by = aware(ticket.respond_by), aware(ticket.resolve_by)
            if ticket.state == TicketState.OPEN and not ticket.respond_overdue:
                if now >= respond_by:
                    result.escalations.extend(self._overdue(ticket, "respond"))
                    continue
                if not ticket.respond_reminded and now >= self.policy.respond_reminder(
                    ticket.urgency, respond_by
                ):
                    ticket.respond_reminded = True
                    result.reminders.append(
                        self._move(
                            ticket, None, Action.REMIND, ticket.state, data={"due": "respond"}
                        )
                    )
            if not ticket.resolve_overdue:
                if now >= resolve_by:
                    result.escalations.extend(self._overdue(ticket, "resolve"))
                elif not ticket.resolve_reminded and now >= self.policy.resolve_reminder(
                    ticket.urgency, resolve_by
                ):
                    ticket.resolve_reminded = True
                    result.reminders.append(
                        self._move(
                            ticket, None, Action.REMIND, ticket.state, data={"due": "resolve"}
                        )
                    )
        cutoff = now - self.policy.auto_close_after
        for ticket in self.session.exec(
            select(Ticket).where(Ticket.state == TicketState.RESOLVED).order_by(col(Ticket.id))
        ).all():
            if ticket.resolved_at and aware(ticket.resolved_at) <= cutoff:
                target = self._authorise(ticket, None, Action.AUTO_CLOSE)
                ticket.closed_at = now
                result.closed.append(self._move(ticket, None, Action.AUTO_CLOSE, target))
        return result

    def _overdue(self, ticket: Ticket, due: str) -> list[Change]:
        """Escalate an overdue ticket one level; at the top, press its holder (督办) once."""
        if due == "respond":
            ticket.respond_overdue = True
        else:
            ticket.resolve_overdue = True
        try:
            return [self.escalate(ticket, None, reason=f"overdue:{due}")]
        except Refused:
            return [self.supervise(ticket, None, note=f"overdue:{due}")]

    # --- internals -----------------------------------------------------------------------

    def _reassign(
        self,
        ticket: Ticket,
        person: Person | None,
        action: Action,
        target: str,
        level: Level,
        assignee: Person,
        reason: str,
        data: dict[str, object] | None = None,
    ) -> Change:
        previous = ticket.assignee_id
        ticket.level = level
        ticket.assignee_id = assignee.id
        ticket.accepted_at = None
        self._reset_deadlines(ticket, resolve=False)
        change = self._move(
            ticket, person, action, target, note=reason, data={"level": level, **(data or {})}
        )
        change.previous_assignee_id = previous
        return change

    def _reset_deadlines(self, ticket: Ticket, *, resolve: bool) -> None:
        """A new holder gets a fresh response window; reopening also restarts resolution."""
        now = self.clock.now()
        ticket.respond_by = self.policy.respond_by(ticket.urgency, now)
        ticket.respond_reminded = False
        ticket.respond_overdue = False
        if resolve:
            ticket.resolve_by = self.policy.resolve_by(ticket.urgency, now)
            ticket.resolve_reminded = False
            ticket.resolve_overdue = False

    def _move(
        self,
        ticket: Ticket,
        person: Person | None,
        action: Action,
        target: str,
        *,
        note: str = "",
        data: dict[str, object] | None = None,
    ) -> Change:
        before = ticket.state
        ticket.state = target
        ticket.version += 1
        self.session.add(ticket)
        event = self._record(ticket, person.id if person else None, action, before, note, data)
        return Change(ticket, event, previous_assignee_id=ticket.assignee_id)

    def _record(
        self,
        ticket: Ticket,
        actor_id: int | None,
        action: Action,
        before: str | None,
        note: str = "",
        data: dict[str, object] | None = None,
    ) -> TicketEvent:
        event = TicketEvent(
            ticket_id=_id(ticket),
            at=self.clock.now(),
            actor_id=actor_id,
            action=action,
            from_state=before,
            to_state=ticket.state,
            note=note,
            data=dict(data or {}),
        )
        self.session.add(event)
        return event

    # --- reading -------------------------------------------------------------------------

    def by_number(self, number: str) -> Ticket | None:
        return self.session.exec(
            select(Ticket).where(Ticket.number == number.strip().upper())
        ).first()

    def history(self, ticket: Ticket) -> list[TicketEvent]:
        return list(
            self.session.exec(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket.id)
                .order_by(col(TicketEvent.id))
            ).all()
        )

    def followers(self, ticket: Ticket) -> list[Person]:
        return list(
            self.session.exec(
                select(Person)
                .join(TicketFollower, col(TicketFollower.person_id) == col(Person.id))
                .where(TicketFollower.ticket_id == ticket.id)
                .order_by(col(Person.id))
            ).all()
        )

    def of_reporter(self, person: Person, limit: int = 20) -> list[Ticket]:
        return list(
            self.session.exec(
                select(Ticket)
                .join(TicketFollower, col(TicketFollower.ticket_id) == col(Ticket.id))
                .where(TicketFollower.person_id == person.id)
                .order_by(col(Ticket.id).desc())
                .limit(limit)
            ).all()
        )

    def worklist(self, person: Person, grants: list[RoleGrant]) -> list[Ticket]:
        """Active tickets the person holds or oversees, overdue first, then by deadline.

        A grid worker oversees their grids, community staff their community, the sub-district
        centre whatever has reached the sub-district or a department.
        """
        oversees = col(Ticket.assignee_id) == person.id
        for grant in grants:
            if grant.role == "grid_worker" and grant.scope_kind == ScopeKind.GRID:
                oversees = oversees | (col(Ticket.grid_id) == grant.scope_id)
            elif grant.role == "community_staff" and grant.scope_kind == ScopeKind.COMMUNITY:
                oversees = oversees | (col(Ticket.community_id) == grant.scope_id)
            elif grant.role in ("subdistrict_staff", "admin"):
                oversees = oversees | col(Ticket.level).in_([Level.SUBDISTRICT, Level.DEPARTMENT])
        tickets = self.session.exec(
            select(Ticket).where(
                col(Ticket.state).in_([TicketState.OPEN, TicketState.IN_PROGRESS]), oversees
            )
        ).all()
        now = self.clock.now()
        return sorted(tickets, key=lambda t: (not overdue(t, now), deadline_of(t)))


def deadline_of(ticket: Ticket) -> datetime:
    """The next deadline the holder must meet: accepting while open, then resolving."""
    if ticket.state == TicketState.OPEN:
        return min(aware(ticket.respond_by), aware(ticket.resolve_by))
    return aware(ticket.resolve_by)


def overdue(ticket: Ticket, now: datetime) -> bool:
    """Is the next deadline of this active ticket past?"""
    return now >= deadline_of(ticket)


def _id(row: Community | Compound | Building | Person | Ticket | Grid) -> int:
    assert row.id is not None, "row must be flushed before use"
    return row.id
