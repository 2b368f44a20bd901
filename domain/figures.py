"""The month's figures for the joint meeting 联席会议: response 响应率, resolution 解决率 and
satisfaction 满意率 per community, grid, worker and department, with the counts behind each
percentage, the change from the month before and a ranking.

The definitions (docs/figures.md gives the reasons):

- **The month's tickets**: tickets opened in the calendar month (local time, config timezone).
  Those closed as "answered" or "not a problem" (`Ticket.outcome`) are *counted apart*, and so
  are those closed without a resolution (withdrawn by the resident, or merged into another
  ticket about the same problem); neither is in any rate's denominator.
- **Response rate** = tickets answered in time / the month's tickets whose response is settled.
  *Answered in time*: the holder accepted it (or resolved it straight away) no later than the
  response deadline they were given, and no earlier holder let a response deadline pass (the
  desk recorded no `overdue:respond`). *Settled*: anything but a ticket nobody has accepted yet
  whose response deadline is still ahead.
- **Resolution rate** = tickets resolved in time / the month's tickets whose resolution is
  settled. *Resolved in time*: resolved, the resolution not undone by a dissatisfied resident
  (that reopens it), no later than the resolution deadline, and never past one (`overdue:
  resolve`). *Settled*: anything but an active ticket whose resolution deadline is still ahead.
- **Satisfaction rate** = (satisfied + basically satisfied) / rated, over the month's tickets
  the reporter rated (the latest rating counts), as Beijing's 12345 counts 满意 and 基本满意.

A ticket belongs to its community, to the grid of its place, to the worker who holds it (who
resolved it, once resolved) and to the department it was transferred to, if any.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    false,
    func,
    or_,
    true,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.models import (
    Building,
    Community,
    Department,
    Grid,
    Person,
    RoleGrant,
    ScopeKind,
    Ticket,
    TicketEvent,
    TicketState,
)

RATES = ("response", "resolution", "satisfaction")
UNITS = ("community", "grid", "worker", "department")
STAFF_ROLES = ("community_staff", "subdistrict_staff", "admin")
OUTCOMES = ("answered", "not_a_problem")  # closed without a fix: counted apart
ACTIVE = (TicketState.OPEN, TicketState.IN_PROGRESS)
SATISFIED = ("satisfied", "basic")
RATINGS = ("satisfied", "basic", "dissatisfied")
# The locale keys that define each figure, shown beside it wherever it is shown.
DEFINITIONS = {
    "response": "fig-def-response",
    "resolution": "fig-def-resolution",
    "satisfaction": "fig-def-satisfaction",
    "apart": "fig-def-apart",
}


# --- months ------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in the sub-district's time zone."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 2000 <= self.year <= 2999:
            raise ValueError(f"no such month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """'2026-11' (also '2026/11', '202611'); ValueError otherwise."""
        cleaned = text.strip().replace("/", "-")
        if len(cleaned) == 6 and cleaned.isdigit():
            cleaned = f"{cleaned[:4]}-{cleaned[4:]}"
        year, _, month = cleaned.partition("-")
        if not (year.isdigit() and month.isdigit()):
            raise ValueError(f"not a month: {text!r} (expected YYYY-MM)")
        return cls(int(year), int(month))

    @classmethod
    def of(cls, moment: datetime, tz: ZoneInfo) -> Month:
        local = moment.astimezone(tz)
        return cls(local.year, local.month)

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def start(self, tz: ZoneInfo) -> datetime:
        """The first instant of the month, in UTC (SQLite compares stored UTC text)."""
        return datetime.combine(self.first_day(), time.min, tz).astimezone(UTC)

    def end(self, tz: ZoneInfo) -> datetime:
        """The first instant of the next month, in UTC."""
        return self.next().start(tz)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def utc(moment: datetime) -> datetime:
    """A bound for a timestamp comparison: SQLite compares the stored UTC text."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- who sees which tickets --------------------------------------------------------------------


def visible(grants: Iterable[RoleGrant]) -> ColumnElement[bool]:
    """The tickets a person may see in lists and figures, as a WHERE clause on Ticket.

    Sub-district staff and admins: everything; community staff: their community; grid workers:
    their grid; department staff: what was transferred to their department. Nobody else sees
    any list. (One function, so that it can move into an access module whole.)
    """
    clauses: list[ColumnElement[bool]] = []
    for grant in grants:
        if grant.role in ("subdistrict_staff", "admin"):
            return true()
        if grant.scope_id is None:
            continue
        if grant.role == "community_staff" and grant.scope_kind == ScopeKind.COMMUNITY:
            clauses.append(col(Ticket.community_id) == grant.scope_id)
        elif grant.role == "grid_worker" and grant.scope_kind == ScopeKind.GRID:
            clauses.append(col(Ticket.grid_id) == grant.scope_id)
        elif grant.role == "department_staff" and grant.scope_kind == ScopeKind.DEPARTMENT:
            clauses.append(col(Ticket.department_id) == grant.scope_id)
    return or_(*clauses) if clauses else false()


def sees_any(grants: Iterable[RoleGrant]) -> bool:
    """Does this person see any list at all (staff, grid workers, department staff)?"""
    roles = ("grid_worker", "department_staff", *STAFF_ROLES)
    return any(g.role in roles for g in grants)


def unmasked(grants: Iterable[RoleGrant]) -> bool:
    """Staff read reports as written; everyone else gets phone and ID numbers masked."""
    return any(g.role in STAFF_ROLES for g in grants)


def communities_seen(session: Session, grants: Iterable[RoleGrant]) -> list[Community]:
    """The communities whose figures a staff member reads (all, for the sub-district)."""
    grants = list(grants)
    query = select(Community).order_by(col(Community.id))
    if not any(g.role in ("subdistrict_staff", "admin") for g in grants):
        ids = [
            g.scope_id
            for g in grants
            if g.role == "community_staff" and g.scope_kind == ScopeKind.COMMUNITY
        ]
        query = query.where(col(Community.id).in_(ids))
    return list(session.exec(query).all())


@dataclass(frozen=True)
class Scope:
    """Which tickets a figure or a list covers: one community or compound (or all of them),
    and never more than the reader may see."""

    community_id: int | None = None
    compound_id: int | None = None
    seen: Any = None  # a `visible(...)` clause; None: no limit (the command line, the jobs)

    def clause(self) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = []
        if self.community_id is not None:
            parts.append(col(Ticket.community_id) == self.community_id)
        if self.compound_id is not None:
            parts.append(
                col(Ticket.building_id).in_(
                    select(Building.id).where(Building.compound_id == self.compound_id)
                )
            )
        if self.seen is not None:
            parts.append(self.seen)
        return and_(true(), *parts)


# --- the three rates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """A percentage with the counts behind it."""

    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return 100 * self.numerator / self.denominator if self.denominator else None

    def text(self) -> str:
        """'83%' (rounded half up), '-' when there is nothing to count."""
        if not self.denominator:
            return "-"
        return f"{(200 * self.numerator + self.denominator) // (2 * self.denominator)}%"


@dataclass(frozen=True)
class Counts:
    """What the rates of one unit are computed from."""

    opened: int = 0  # the month's tickets
    apart: int = 0  # closed as answered / not a problem
    withdrawn: int = 0  # closed without a resolution: withdrawn, or merged into another
    responded: int = 0  # answered in time
    response_pending: int = 0  # not accepted yet, response deadline still ahead
    resolved: int = 0  # resolved in time
    resolution_pending: int = 0  # active, resolution deadline still ahead
    rated: int = 0
    satisfied: int = 0  # satisfied or basically satisfied

    @property
    def counted(self) -> int:
        return self.opened - self.apart - self.withdrawn

    @property
    def response(self) -> Rate:
        return Rate(self.responded, self.counted - self.response_pending)

    @property
    def resolution(self) -> Rate:
        return Rate(self.resolved, self.counted - self.resolution_pending)

    @property
    def satisfaction(self) -> Rate:
        return Rate(self.satisfied, self.rated)

    def rate(self, name: str) -> Rate:
        rate: Rate = getattr(self, name)
        return rate

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f) + getattr(other, f) for f in Counts.__dataclass_fields__))


@dataclass(frozen=True)
class UnitFigures:
    """The rates of one community, grid, worker or department in a month."""

    unit: str  # community | grid | worker | department | total
    id: int | None
    name: str
    name_en: str
    counts: Counts
    previous: Counts  # the month before, same unit
    ranks: dict[str, int | None] = field(default_factory=dict)

    def rate(self, name: str) -> Rate:
        return self.counts.rate(name)

    def change(self, name: str) -> float | None:
        """Month-on-month change in percentage points (None when either month has no figure)."""
        now, before = self.counts.rate(name).percent, self.previous.rate(name).percent
        return None if now is None or before is None else now - before


@dataclass(frozen=True)
class Figures:
    """A month's figures over a scope: the total and each kind of unit, ranked."""

    month: Month
    total: UnitFigures
    units: dict[str, list[UnitFigures]]
    compounds: dict[int, Counts] = field(default_factory=dict)  # for the selection


LATE = ("overdue:respond", "overdue:resolve")  # the desk's overdue sweep's notes


def _late(tickets: Any) -> Any:
    """Per ticket (of `tickets`, a subquery of ids): did the desk record that a response or a
    resolution deadline passed? Joined, not EXISTS per row: PostgreSQL would hash-scan the
    whole history table for an EXISTS in a select list."""
    note = col(TicketEvent.note)
    return (
        sa_select(
            col(TicketEvent.ticket_id).label("ticket_id"),
            func.max(case((note == LATE[0], 1), else_=0)).label("respond"),
            func.max(case((note == LATE[1], 1), else_=0)).label("resolve"),
        )
        .where(col(TicketEvent.ticket_id).in_(tickets), note.in_(LATE))
        .group_by(col(TicketEvent.ticket_id))
        .subquery("late")
    )


def _flags(as_of: datetime, late: Any) -> list[Any]:
    """One 0/1 column per field of Counts, in field order, for each ticket."""
    state, outcome = col(Ticket.state), col(Ticket.outcome)
    accepted, resolved_at = col(Ticket.accepted_at), col(Ticket.resolved_at)
    active = state.in_(ACTIVE)
    counted = and_(outcome.is_(None), or_(state != TicketState.CLOSED, resolved_at.is_not(None)))
    late_respond = func.coalesce(late.c.respond, 0) == 1
    late_resolve = func.coalesce(late.c.resolve, 0) == 1
    conditions = [
        true(),
        outcome.is_not(None),
        and_(outcome.is_(None), state == TicketState.CLOSED, resolved_at.is_(None)),
        and_(
            counted,
            accepted.is_not(None),
            accepted <= col(Ticket.respond_by),
            ~late_respond,
        ),
        and_(counted, active, accepted.is_(None), col(Ticket.respond_by) > as_of, ~late_respond),
        and_(
            counted,
            resolved_at.is_not(None),
            resolved_at <= col(Ticket.resolve_by),
            ~late_resolve,
        ),
        and_(counted, active, col(Ticket.resolve_by) > as_of, ~late_resolve),
        and_(counted, col(Ticket.rating).in_(RATINGS)),
        and_(counted, col(Ticket.rating).in_(SATISFIED)),
    ]
    return [case((c, 1), else_=0) for c in conditions]


# Where each ticket belongs, in the order `_facts` selects them (then the flags).
_UNIT_INDEX = {"community": 0, "grid": 1, "worker": 2, "department": 3, "compound": 4}


def _facts(
    session: Session, month: Month, tz: ZoneInfo, scope: Scope, as_of: datetime
) -> list[Any]:
    """The month's tickets summed per (community, grid, holder, department, compound), with
    their Counts fields: one pass over the month (ix_ticket_community_opened or
    ix_ticket_opened_at) that leaves a few hundred rows, which `_count` adds up per unit."""
    where = (
        col(Ticket.opened_at) >= month.start(tz),
        col(Ticket.opened_at) < month.end(tz),
        scope.clause(),
    )
    late = _late(select(Ticket.id).where(*where))
    units = (
        col(Ticket.community_id),
        col(Ticket.grid_id),
        col(Ticket.assignee_id),
        col(Ticket.department_id),
        col(Building.compound_id),
    )
    query = (
        sa_select(*units, *(func.sum(flag) for flag in _flags(utc(as_of), late)))
        .outerjoin(Building, col(Building.id) == col(Ticket.building_id))
        .outerjoin(late, late.c.ticket_id == col(Ticket.id))
        .where(*where)
        .group_by(*units)
    )
    return list(session.execute(query).all())


def _count(facts: Sequence[Any], unit: str) -> dict[int, Counts]:
    """Counts per unit (community, grid, worker, department or compound) of `_facts` rows."""
    index = _UNIT_INDEX[unit]
    sums: dict[int, list[int]] = {}
    for row in facts:
        key = row[index]
        if key is None:
            continue
        totals = sums.setdefault(int(key), [0] * (len(row) - 5))
        for position, value in enumerate(row[5:]):
            totals[position] += int(value)
    return {key: Counts(*totals) for key, totals in sums.items()}


def unit_counts(
    session: Session,
    unit: str,
    month: Month,
    tz: ZoneInfo,
    scope: Scope,
    as_of: datetime,
) -> dict[int, Counts]:
    """Counts per unit (community, grid, worker, department, compound) for the month's tickets."""
    return _count(_facts(session, month, tz, scope, as_of), unit)


def _names(session: Session, unit: str, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    table: Any = {
        "community": Community,
        "grid": Grid,
        "worker": Person,
        "department": Department,
    }[unit]
    rows = session.exec(select(table).where(col(table.id).in_(ids))).all()
    return {row.id: (row.name, getattr(row, "name_en", "")) for row in rows}


def rank(rows: Sequence[UnitFigures], rate: str) -> dict[int | None, int]:
    """Competition ranking (1, 2, 2, 4) by a rate, highest first; units with no figure unranked."""
    scored = sorted(
        ((r.rate(rate).percent, r.id) for r in rows if r.rate(rate).percent is not None),
        key=lambda pair: -(pair[0] or 0),
    )
    ranks: dict[int | None, int] = {}
    for position, (percent, ident) in enumerate(scored, start=1):
        previous = scored[position - 2] if position > 1 else None
        if previous is not None and previous[0] == percent:
            ranks[ident] = ranks[previous[1]]
        else:
            ranks[ident] = position
    return ranks


def month_figures(
    session: Session,
    month: Month,
    tz: ZoneInfo,
    scope: Scope,
    as_of: datetime,
    units: Sequence[str] = UNITS,
) -> Figures:
    """The three rates per unit for a month, with last month's beside them and ranks."""
    by_unit: dict[str, list[UnitFigures]] = {}
    total, total_before = Counts(), Counts()
    facts = _facts(session, month, tz, scope, as_of)
    facts_before = _facts(session, month.previous(), tz, scope, as_of)
    for unit in dict.fromkeys(("community", *units)):
        now, before = _count(facts, unit), _count(facts_before, unit)
        if unit == "community":
            for counts in now.values():
                total = total + counts
            for counts in before.values():
                total_before = total_before + counts
        if unit not in units:
            continue
        ids = sorted(set(now) | set(before))
        names = _names(session, unit, ids)
        rows = [
            UnitFigures(
                unit,
                ident,
                names.get(ident, ("-", ""))[0],
                names.get(ident, ("-", ""))[1],
                now.get(ident, Counts()),
                before.get(ident, Counts()),
            )
            for ident in ids
            if ident in now  # a unit without tickets this month is not ranked on last month's
        ]
        ranks = {rate: rank(rows, rate) for rate in RATES}
        by_unit[unit] = sorted(
            (replace(r, ranks={rate: ranks[rate].get(r.id) for rate in RATES}) for r in rows),
            key=lambda r: (r.name, r.id or 0),
        )
    total_row = UnitFigures("total", None, "", "", total, total_before)
    return Figures(month, total_row, by_unit, _count(facts, "compound"))


def compound_counts(
    session: Session, month: Month, tz: ZoneInfo, scope: Scope, as_of: datetime
) -> dict[int, Counts]:
    """Counts per compound (through the ticket's building) for the month's tickets."""
    return unit_counts(session, "compound", month, tz, scope, as_of)
