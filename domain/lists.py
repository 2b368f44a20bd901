"""The three lists 「问题清单、服务清单、解决清单」 and the ticket list staff filter and export.

- The problem list: open problems grouped by place, category and specific kind (楼道灯 apart
  from 污水 apart from 健身器材, though all three are 公共设施维修), each with the number of
  distinct households that reported it — a household that reported three things counts once
  per problem, never three times in one.
- The service list: what the community offers and how to ask (storage/servicefile.py).
- The resolution list: what was resolved in a month, what was done, and the residents' ratings.

Texts are masked (phone, ID and plate numbers) unless the caller says the reader is staff.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, case, cast, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from domain.clock import aware
from domain.figures import ACTIVE, Month, Scope, utc
from domain.lifecycle import Action
from nlp import mask_pii
from storage.models import (
    Building,
    Community,
    Compound,
    Department,
    Grid,
    Person,
    Report,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketState,
)

SNIPPET = 60  # characters of a report shown in a list


def kind_of(classification: dict[str, Any]) -> str:
    """The specific thing a report is about: the classifier's first object when it names
    objects, else its strongest matched term (楼道灯, 污水, 健身器材); '' when neither."""
    objects = classification.get("objects") or []
    if isinstance(objects, list) and objects:
        first = objects[0]
        if isinstance(first, dict):
            first = first.get("name") or first.get("object") or first.get("term") or ""
        if first:
            return str(first)
    keywords = classification.get("keywords") or []
    if isinstance(keywords, list) and keywords:
        first = keywords[0]
        return str(first[0] if isinstance(first, list | tuple) else first)
    return ""


def shown(text: str, staff: bool, limit: int | None = None) -> str:
    """A report as this reader may see it: masked unless staff, cut to `limit` characters."""
    text = text if staff else mask_pii(text)
    text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def _kind() -> Any:
    """The specific kind of a ticket's first report, read in SQL: the first object the
    classifier named, else its strongest term (one index probe per ticket, no JSON decoded
    in Python)."""
    stored = col(Report.classification)
    return (
        sa_select(
            func.coalesce(
                stored[("objects", 0)].as_string(), stored[("keywords", 0, 0)].as_string()
            )
        )
        .where(col(Report.ticket_id) == col(Ticket.id))
        .order_by(col(Report.id))
        .limit(1)
        .scalar_subquery()
    )


def _kind_text(value: str | None) -> str:
    """An object may be stored as {"name": …}: its name."""
    if value and value.startswith("{"):
        try:
            return kind_of({"objects": [json.loads(value)]})
        except ValueError:
            return ""
    return value or ""


def _home(person: Any) -> Any:
    """A household's key, in SQL: the building and the flat a resident gave ("2-301", spaces
    and case ignored), else the resident alone."""
    flat = func.upper(func.replace(func.coalesce(person.unit, ""), " ", ""))
    return case(
        (
            and_(person.building_id.is_not(None), flat != ""),
            "home:" + cast(person.building_id, String) + ":" + flat,
        ),
        else_="person:" + cast(person.id, String),
    )


def _households(session: Session, where: Sequence[Any]) -> dict[int, set[str]]:
    """The households following each ticket that `where` selects and more than one household
    reported (a ticket reported once is followed by its reporter alone, whose household the
    list reads with the ticket). Joined from those few tickets to their followers by key."""
    rows = session.execute(
        sa_select(col(TicketFollower.ticket_id), _home(Person))
        .select_from(Ticket)
        .join(TicketFollower, col(TicketFollower.ticket_id) == col(Ticket.id))
        .join(Person, col(Person.id) == col(TicketFollower.person_id))
        .where(*where, col(Ticket.households) > 1)
    ).all()
    homes: dict[int, set[str]] = {}
    for ticket_id, household in rows:
        homes.setdefault(ticket_id, set()).add(household)
    return homes


class Brief(Protocol):
    """What the lists read of a ticket (a row of the columns below, or a Ticket)."""

    id: int | None
    number: str
    category: str
    text: str
    state: str
    opened_at: datetime
    respond_by: datetime
    resolve_by: datetime


_BRIEF = (
    col(Ticket.id),
    col(Ticket.number),
    col(Ticket.category),
    col(Ticket.text),
    col(Ticket.state),
    col(Ticket.opened_at),
    col(Ticket.respond_by),
    col(Ticket.resolve_by),
)


def _placed(query: Any) -> Any:
    """A ticket query joined to its community, and (where it has one) building and compound."""
    return (
        query.join(Community, col(Community.id) == col(Ticket.community_id))
        .outerjoin(Building, col(Building.id) == col(Ticket.building_id))
        .outerjoin(Compound, col(Compound.id) == col(Building.compound_id))
    )


@dataclass(frozen=True)
class Problem:
    """One problem of the problem list: a kind of thing, in a category, in a place."""

    community: str
    compound: str  # '' for tickets with no building
    buildings: tuple[str, ...]
    category: str
    kind: str
    tickets: tuple[str, ...]  # numbers, oldest first
    households: int  # distinct households that reported it
    oldest: datetime
    example: str  # the oldest report, masked unless the reader is staff
    overdue: int  # how many of its tickets are past their deadline


def problems(
    session: Session,
    scope: Scope,
    *,
    staff: bool,
    now: datetime,
    opened_since: datetime | None = None,
    opened_before: datetime | None = None,
    open_only: bool = True,
    limit: int | None = None,
) -> list[Problem]:
    """The problem list: tickets grouped by compound, category and kind, most households first.

    `open_only` keeps what is still being handled (the problem list proper); the weekly hot
    list and the meeting pack's top problems take every ticket opened in their period.
    """
    where: list[ColumnElement[bool]] = [scope.clause()]
    if open_only:
        where.append(col(Ticket.state).in_(ACTIVE))
    if opened_since is not None:
        where.append(col(Ticket.opened_at) >= utc(opened_since))
    if opened_before is not None:
        where.append(col(Ticket.opened_at) < utc(opened_before))
    reporter = aliased(Person)
    rows = session.execute(
        _placed(
            sa_select(
                *_BRIEF,
                col(Community.name),
                col(Compound.name),
                col(Building.name),
                _kind(),
                _home(reporter),
            )
        )
        .join(reporter, col(reporter.id) == col(Ticket.reporter_id))
        .where(*where)
        .order_by(col(Ticket.opened_at), col(Ticket.id))
    ).all()
    homes = _households(session, where)
    groups: dict[tuple[str, str, str, str], list[tuple[Brief, str, str]]] = {}
    for row in rows:
        ticket: Brief = row
        community, compound, building = row[8], row[9], row[10]
        kind, reporter_home = _kind_text(row[11]), row[12]
        key = (community, compound or "", ticket.category, kind)
        groups.setdefault(key, []).append((ticket, building or "", reporter_home))
    found = []
    for (community, compound, category, kind), members in groups.items():
        households: set[str] = set()
        for ticket, _, reporter_home in members:
            households |= homes.get(ticket.id or 0, {reporter_home})
        oldest = members[0][0]
        found.append(
            Problem(
                community=community,
                compound=compound,
                buildings=tuple(sorted({b for _, b, _ in members if b}, key=_natural)),
                category=category,
                kind=kind,
                tickets=tuple(t.number for t, _, _ in members),
                households=len(households) or len(members),
                oldest=aware(oldest.opened_at),
                example=shown(oldest.text, staff, SNIPPET),
                overdue=sum(1 for t, _, _ in members if is_overdue(t, now)),
            )
        )
    found.sort(key=lambda p: (-p.households, -len(p.tickets), p.oldest))
    return found[:limit] if limit is not None else found


def _natural(name: str) -> tuple[int, str]:
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 10**6, name)


def deadline(ticket: Brief) -> datetime | None:
    """The next deadline of an active ticket: accepting while open, then resolving."""
    if ticket.state == TicketState.OPEN:
        return min(aware(ticket.respond_by), aware(ticket.resolve_by))
    if ticket.state == TicketState.IN_PROGRESS:
        return aware(ticket.resolve_by)
    return None


def is_overdue(ticket: Brief, now: datetime) -> bool:
    due = deadline(ticket)
    return due is not None and now >= due


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """Active tickets past their next deadline (the same test as `is_overdue`)."""
    moment = utc(now)
    return and_(
        col(Ticket.state).in_(ACTIVE),  # lets ix_ticket_community_state narrow it first
        or_(
            and_(
                col(Ticket.state) == TicketState.OPEN,
                or_(col(Ticket.respond_by) <= moment, col(Ticket.resolve_by) <= moment),
            ),
            and_(col(Ticket.state) == TicketState.IN_PROGRESS, col(Ticket.resolve_by) <= moment),
        ),
    )


# --- the resolution list -----------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """A problem resolved in the month: what was done and how the resident rated it."""

    number: str
    community: str
    compound: str
    building: str
    category: str
    kind: str
    text: str
    opened_at: datetime
    resolved_at: datetime
    in_time: bool
    resolution: str
    rating: str | None  # satisfied | basic | dissatisfied | None (not rated yet)
    households: int


def resolutions(
    session: Session, scope: Scope, month: Month, tz: ZoneInfo, *, staff: bool
) -> list[Resolved]:
    """The resolution list: tickets whose (standing) resolution falls in the month."""
    where = [
        scope.clause(),
        col(Ticket.resolved_at) >= month.start(tz),
        col(Ticket.resolved_at) < month.end(tz),
        col(Ticket.outcome).is_(None),
    ]
    rows = session.execute(
        _placed(
            sa_select(
                col(Ticket.id),
                col(Ticket.number),
                col(Community.name),
                col(Compound.name),
                col(Building.name),
                col(Ticket.category),
                col(Ticket.text),
                col(Ticket.opened_at),
                col(Ticket.resolved_at),
                col(Ticket.resolve_by),
                col(Ticket.resolution),
                col(Ticket.rating),
                col(Ticket.state),
                col(Ticket.households),
                _kind(),
            )
        )
        .where(*where)
        .order_by(col(Ticket.resolved_at), col(Ticket.id))
    ).all()
    homes = _households(session, where)
    return [
        Resolved(
            number=number,
            community=community,
            compound=compound or "",
            building=building or "",
            category=category_code,
            kind=_kind_text(kind),
            text=shown(report_text, staff, SNIPPET),
            opened_at=aware(opened_at),
            resolved_at=aware(resolved_at),
            in_time=aware(resolved_at) <= aware(resolve_by),
            resolution=shown(resolution, staff),
            rating=rating if state == TicketState.CLOSED else None,
            households=len(homes.get(ident, ())) or households,
        )
        for (
            ident,
            number,
            community,
            compound,
            building,
            category_code,
            report_text,
            opened_at,
            resolved_at,
            resolve_by,
            resolution,
            rating,
            state,
            households,
            kind,
        ) in rows
    ]


# --- the ticket list ---------------------------------------------------------------------------

SORTS = ("-opened", "opened", "deadline", "number", "-households")


@dataclass(frozen=True)
class TicketFilter:
    """What staff narrow the ticket list to; every field optional."""

    community: int | None = None
    compound: int | None = None
    grid: int | None = None
    worker: int | None = None  # the person holding the ticket
    department: int | None = None
    category: str | None = None
    urgency: str | None = None
    state: str | None = None
    overdue: bool = False
    opened_from: date | None = None  # local dates, both inclusive
    opened_to: date | None = None
    text: str = ""  # in the report or the number
    sort: str = "-opened"

    def clause(self, tz: ZoneInfo, now: datetime) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = []
        scope = Scope(self.community, self.compound).clause()
        parts.append(scope)
        for value, column in (
            (self.grid, Ticket.grid_id),
            (self.worker, Ticket.assignee_id),
            (self.department, Ticket.department_id),
            (self.category, Ticket.category),
            (self.urgency, Ticket.urgency),
            (self.state, Ticket.state),
        ):
            if value is not None and value != "":
                parts.append(col(column) == value)
        if self.overdue:
            parts.append(overdue_clause(now))
        if self.opened_from is not None:
            start = datetime.combine(self.opened_from, time.min, tz)
            parts.append(col(Ticket.opened_at) >= utc(start))
        if self.opened_to is not None:
            end = datetime.combine(self.opened_to + timedelta(days=1), time.min, tz)
            parts.append(col(Ticket.opened_at) < utc(end))
        words = self.text.strip()
        if words:
            parts.append(
                or_(
                    col(Ticket.text).contains(words, autoescape=True),
                    col(Ticket.number).contains(words.upper(), autoescape=True),
                )
            )
        return and_(*parts)

    def order(self) -> list[Any]:
        if self.sort == "opened":
            return [col(Ticket.opened_at), col(Ticket.id)]
        if self.sort == "deadline":
            return [col(Ticket.resolve_by), col(Ticket.id)]
        if self.sort == "number":
            return [col(Ticket.number)]
        if self.sort == "-households":
            return [col(Ticket.households).desc(), col(Ticket.opened_at).desc()]
        return [col(Ticket.opened_at).desc(), col(Ticket.id).desc()]


@dataclass(frozen=True)
class TicketRow:
    """One ticket in the list: enough to recognise it and see who holds it until when."""

    id: int
    number: str
    opened_at: datetime
    community: str
    compound: str
    building: str
    grid: str
    department: str
    category: str
    urgency: str
    state: str
    level: str
    holder: str
    deadline: datetime | None
    overdue: bool
    text: str
    households: int
    rating: str | None
    outcome: str | None
    resolution: str


@dataclass(frozen=True)
class TicketPage:
    rows: list[TicketRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


MAX_EXPORT = 100_000


def ticket_page(
    session: Session,
    flt: TicketFilter,
    seen: ColumnElement[bool],
    tz: ZoneInfo,
    now: datetime,
    *,
    staff: bool,
    page: int = 1,
    per_page: int = 50,
    snippet: int | None = SNIPPET,
) -> TicketPage:
    """One page of the tickets this reader may see, filtered and sorted (per_page 0: all,
    up to MAX_EXPORT, for exports)."""
    where = and_(seen, flt.clause(tz, now))
    total = session.exec(select(func.count()).select_from(Ticket).where(where)).one()
    holder = aliased(Person)
    query = (
        sa_select(  # sqlmodel's select takes at most four columns
            Ticket,
            col(Community.name),
            col(Compound.name),
            col(Building.name),
            col(Grid.name),
            col(Department.name),
            col(holder.name),
        )
        .join(Community, col(Community.id) == col(Ticket.community_id))
        .outerjoin(Building, col(Building.id) == col(Ticket.building_id))
        .outerjoin(Compound, col(Compound.id) == col(Building.compound_id))
        .outerjoin(Grid, col(Grid.id) == col(Ticket.grid_id))
        .outerjoin(Department, col(Department.id) == col(Ticket.department_id))
        .outerjoin(holder, col(holder.id) == col(Ticket.assignee_id))
        .where(where)
        .order_by(*flt.order())
    )
    page = max(1, page)
    if per_page:
        query = query.offset((page - 1) * per_page).limit(per_page)
    else:
        query = query.limit(MAX_EXPORT)
    rows = [
        TicketRow(
            id=ticket.id or 0,
            number=ticket.number,
            opened_at=aware(ticket.opened_at),
            community=community,
            compound=compound or "",
            building=building or "",
            grid=grid or "",
            department=department or "",
            category=ticket.category,
            urgency=ticket.urgency,
            state=ticket.state,
            level=ticket.level,
            holder=holder_name or "",
            deadline=deadline(ticket),
            overdue=is_overdue(ticket, now),
            text=shown(ticket.text, staff, snippet),
            households=ticket.households,
            rating=ticket.rating,
            outcome=ticket.outcome,
            resolution=shown(ticket.resolution, staff, snippet),
        )
        for ticket, community, compound, building, grid, department, holder_name in session.execute(
            query
        ).all()
    ]
    return TicketPage(rows, int(total), page, per_page or max(1, int(total)))


def reopened(
    session: Session, scope: Scope, since: datetime, before: datetime, at_least: int = 2
) -> list[tuple[Ticket, int]]:
    """Tickets of the scope reopened by dissatisfied residents `at_least` times in a period,
    most often first. Read from the period's reopen events (ix_ticketevent_action_at), then
    their tickets."""
    count = func.count(col(TicketEvent.id))
    times = (
        sa_select(col(TicketEvent.ticket_id).label("ticket_id"), count.label("times"))
        .where(
            col(TicketEvent.action) == Action.REOPEN,
            col(TicketEvent.at) >= utc(since),
            col(TicketEvent.at) < utc(before),
        )
        .group_by(col(TicketEvent.ticket_id))
        .having(count >= at_least)
        .subquery("reopened")
    )
    rows = session.execute(
        sa_select(Ticket, times.c.times)
        .join(times, times.c.ticket_id == col(Ticket.id))
        .where(scope.clause())
        .order_by(times.c.times.desc(), col(Ticket.id))
    ).all()
    return [(ticket, int(n)) for ticket, n in rows]
