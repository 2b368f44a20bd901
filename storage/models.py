"""The tables. Organisation, people and roles, chats, reports, tickets and their history.

The organisation follows the plan's 「社区—小区—楼栋」: sub-district 街道 → community 社区 →
compound 小区 → building 楼栋. A grid 网格 is drawn over buildings (usually whole compounds).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel


def _utc_column(*, nullable: bool = True, index: bool = False) -> Any:
    """A timezone-aware timestamp column (stored as UTC)."""
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class Role(enum.StrEnum):
    """What a person does, bound to a place (a RoleGrant's scope)."""

    RESIDENT = "resident"
    BUILDING_LEADER = "building_leader"  # 楼栋长 / 楼栋党小组长
    GRID_WORKER = "grid_worker"  # 网格员
    COMMUNITY_STAFF = "community_staff"  # 社区工作者 / 居委会
    SUBDISTRICT_STAFF = "subdistrict_staff"  # 街道综治中心 / 街道各办
    DEPARTMENT_STAFF = "department_staff"  # 住保、城管、市场监管 …
    ADMIN = "admin"


class ScopeKind(enum.StrEnum):
    """The kind of place a role, a chat binding or a notice is bound to."""

    SUBDISTRICT = "subdistrict"
    COMMUNITY = "community"
    COMPOUND = "compound"
    BUILDING = "building"
    GRID = "grid"
    DEPARTMENT = "department"


class Community(SQLModel, table=True):
    """Community 社区. Its code prefixes ticket numbers (TD-261125-007)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=8)
    name: str
    name_en: str = ""


class Compound(SQLModel, table=True):
    """Compound 小区."""

    __table_args__ = (UniqueConstraint("community_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    name: str
    name_en: str = ""
    # short names residents use (西花苑 for 西花苑小区), for finding places in reports
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON))


class Grid(SQLModel, table=True):
    """Grid 网格: a patch of buildings with one or more grid workers."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    name: str
    name_en: str = ""


class Building(SQLModel, table=True):
    """Building 楼栋."""

    __table_args__ = (UniqueConstraint("compound_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    compound_id: int = Field(foreign_key="compound.id", index=True)
    grid_id: int | None = Field(default=None, foreign_key="grid.id", index=True)
    name: str
    name_en: str = ""


class Spot(SQLModel, table=True):
    """Spot 地点: a named place of a compound (北门, 菜场, 篮球场, 车棚) a report can be about.

    A ticket about a spot keeps it in ``Ticket.spot_id``; its building is then the one it is
    routed through (the reporter's, when they live in that compound).
    """

    __table_args__ = (UniqueConstraint("compound_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    compound_id: int = Field(foreign_key="compound.id", index=True)
    name: str
    name_en: str = ""
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON))


class Department(SQLModel, table=True):
    """A sub-district office or a department that takes transferred tickets (城管, 住保 …)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    name: str
    name_en: str = ""


class Person(SQLModel, table=True):
    """Anyone the bot knows: residents register themselves, staff come from the org file."""

    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, unique=True)  # the org file's handle for staff
    telegram_id: int | None = Field(default=None, sa_type=BigInteger, unique=True, index=True)
    name: str = ""
    language: str | None = None  # chosen explicitly: "zh_Hans" | "en"
    telegram_language: str | None = None  # last language_code Telegram reported
    building_id: int | None = Field(default=None, foreign_key="building.id", index=True)
    unit: str = ""  # 单元 and room as the resident typed them
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))


class RoleGrant(SQLModel, table=True):
    """A role held by a person over a place; scope_id is None for the sub-district."""

    __table_args__ = (UniqueConstraint("person_id", "role", "scope_kind", "scope_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str
    scope_kind: str
    scope_id: int | None = None


class ChatBinding(SQLModel, table=True):
    """A Telegram group bound to a building, compound or community."""

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    title: str = ""
    scope_kind: str
    scope_id: int


class Report(SQLModel, table=True):
    """Whatever a resident sent as a report, kept before anything else happens to it."""

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger)
    message_id: int
    telegram_user_id: int = Field(sa_type=BigInteger, index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    text: str
    photo_file_id: str | None = None
    received_at: datetime = Field(sa_column=_utc_column(nullable=False))
    status: str = "received"  # received | ticketed | attached | pending | none
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    classification: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class TicketState(enum.StrEnum):
    """Where a ticket is in its life (see domain.lifecycle)."""

    OPEN = "open"  # assigned, waiting for the assignee to accept
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"  # waiting for the reporter's rating
    CLOSED = "closed"


class Level(enum.StrEnum):
    """Who holds a ticket: 「小事不出网格,大事不出社区」."""

    GRID = "grid"
    COMMUNITY = "community"
    SUBDISTRICT = "subdistrict"
    DEPARTMENT = "department"


class Ticket(SQLModel, table=True):
    """Grid ticket 网格工单."""

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, index=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    building_id: int | None = Field(default=None, foreign_key="building.id")
    spot_id: int | None = Field(default=None, foreign_key="spot.id", index=True)  # see Spot
    grid_id: int | None = Field(default=None, foreign_key="grid.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    reporter_id: int = Field(foreign_key="person.id", index=True)
    assignee_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    text: str
    photo_file_id: str | None = None
    request_type: str
    category: str
    urgency: str
    emergency: str | None = None
    state: str = Field(default=TicketState.OPEN, index=True)
    level: str = Level.GRID
    opened_at: datetime = Field(sa_column=_utc_column(nullable=False))
    respond_by: datetime = Field(sa_column=_utc_column(nullable=False))
    resolve_by: datetime = Field(sa_column=_utc_column(nullable=False))
    accepted_at: datetime | None = Field(default=None, sa_column=_utc_column())
    resolved_at: datetime | None = Field(default=None, sa_column=_utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=_utc_column())
    respond_reminded: bool = False
    resolve_reminded: bool = False
    respond_overdue: bool = False  # the current assignee let the response deadline pass
    resolve_overdue: bool = False  # handled once: escalated for supervision
    rating: str | None = None
    resolution: str = ""
    households: int = 1  # how many residents reported the same problem
    outcome: str | None = None  # closed without a fix: "answered" | "not_a_problem" (counted apart)
    version: int = 1  # bumped on every change: stale buttons are refused


class TicketEvent(SQLModel, table=True):
    """One entry of a ticket's append-only history."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = Field(sa_column=_utc_column(nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="person.id")  # None: the system
    action: str
    from_state: str | None = None
    to_state: str
    note: str = ""
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class TicketFollower(SQLModel, table=True):
    """A resident following a ticket: told of every step, asked to rate it."""

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)


class TicketSequence(SQLModel, table=True):
    """The last number handed out per community and day."""

    community_id: int = Field(foreign_key="community.id", primary_key=True)
    day: str = Field(primary_key=True, max_length=8)
    last: int = 0


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled: a webhook delivered twice is handled once."""

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    at: datetime = Field(sa_column=_utc_column(nullable=False, index=True))


class Conversation(SQLModel, table=True):
    """What the bot is waiting for from a person in a chat (a note, a reason, a choice)."""

    telegram_user_id: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False)
    )
    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    expires_at: datetime = Field(sa_column=_utc_column(nullable=False))


class JobRun(SQLModel, table=True):
    """When a clock job last ran for a key (the digest, per day): a restart repeats nothing."""

    name: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    at: datetime = Field(sa_column=_utc_column(nullable=False))
