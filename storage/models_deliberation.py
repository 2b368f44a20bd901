"""The tables of deliberation 议事协商: owners' rolls, topics and their history, rolls of eligible
voters, votes (named or secret), comments, meetings, tasks and residents' evaluations.

Areas are stored as exact decimals (Numeric), never floats: art. 278 thresholds are exact.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel


def _utc(*, nullable: bool = True) -> Any:
    return Column(DateTime(timezone=True), nullable=nullable)


def _area(*, nullable: bool = True) -> Any:
    return Column(Numeric(12, 2), nullable=nullable)


class Household(SQLModel, table=True):
    """A home with its exclusive floor area 专有部分面积, from the owners' roll."""

    __table_args__ = (UniqueConstraint("building_id", "label"),)
    id: int | None = Field(default=None, primary_key=True)
    building_id: int = Field(foreign_key="building.id", index=True)
    label: str  # unit-room as on the roll: "2-301"
    area: Decimal | None = Field(default=None, sa_column=_area())


class Owner(SQLModel, table=True):
    """An owner 业主 of a household; matched to a person by Telegram id."""

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    name: str
    telegram_id: int | None = Field(default=None, sa_type=BigInteger, index=True)


class Topic(SQLModel, table=True):
    """A deliberation topic 协商议题 and how its vote is run."""

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, index=True)  # TD-YS001
    community_id: int = Field(foreign_key="community.id", index=True)
    title: str
    text: str = ""
    proposer_id: int = Field(foreign_key="person.id", index=True)
    state: str = Field(default="proposed", index=True)
    scope_kind: str = "building"  # building | unit | compound | community | households
    scope_id: int  # the building (also for unit and households), compound or community
    scope_detail: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    rule: str = "majority"
    quorum: str = "1/2"
    share: str = "1/2"
    by_household: bool = False
    secret: bool = False
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # [] = yes/no/abst.
    parties: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    source_tickets: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    merged_into_id: int | None = Field(default=None, foreign_key="topic.id")
    announce_days: int = 3
    vote_days: int = 7
    announcement: str = ""
    attachment: str | None = None  # a photo's file id
    vote_opens_at: datetime | None = Field(default=None, sa_column=_utc())
    vote_closes_at: datetime | None = Field(default=None, sa_column=_utc())
    close_reminded: bool = False
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    outcome: str = ""
    created_at: datetime = Field(sa_column=_utc(nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=_utc())
    version: int = 1  # bumped on every step: stale buttons are refused


class TopicEvent(SQLModel, table=True):
    """One entry of a topic's append-only history."""

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="topic.id", index=True)
    at: datetime = Field(sa_column=_utc(nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="person.id")  # None: the system
    action: str
    from_state: str | None = None
    to_state: str
    note: str = ""
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class Elector(SQLModel, table=True):
    """One entry of a topic's roll: a person, or a household (any of its owners votes for it)."""

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="topic.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    area: Decimal | None = Field(default=None, sa_column=_area())
    removed_at: datetime | None = Field(default=None, sa_column=_utc())
    removed_note: str = ""


class Participation(SQLModel, table=True):
    """Who took part (always known). The choice is kept here only for an open ballot."""

    __table_args__ = (UniqueConstraint("topic_id", "elector_id"),)
    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="topic.id", index=True)
    elector_id: int = Field(foreign_key="elector.id", index=True)
    voter_id: int | None = Field(default=None, foreign_key="person.id")
    choice: str | None = None  # None for a secret ballot
    changes: int = 0
    offline: bool = False
    evidence: str = ""  # for an offline vote: the paper ballot, the visit
    entered_by_id: int | None = Field(default=None, foreign_key="person.id")
    at: datetime = Field(sa_column=_utc(nullable=False))


class SecretReceipt(SQLModel, table=True):
    """A secret ballot's choice, found only by the hash of a token the voter alone holds.

    No voter, no time, no area, and a random key: nothing links it to a Participation. On
    SQLite the table has no rowid, so rows are kept in key order, not in the order of voting.
    """

    __table_args__ = {"sqlite_with_rowid": False}
    receipt: str = Field(primary_key=True, max_length=64)
    topic_id: int = Field(foreign_key="topic.id", index=True)
    choice: str


class SecretTotal(SQLModel, table=True):
    """Running totals per choice of a secret ballot: heads and floor area."""

    topic_id: int = Field(foreign_key="topic.id", primary_key=True)
    choice: str = Field(primary_key=True)
    heads: int = 0
    area: Decimal = Field(default=Decimal(0), sa_column=_area(nullable=False))


class TopicComment(SQLModel, table=True):
    """A resident's comment on a topic during deliberation."""

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="topic.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    text: str
    at: datetime = Field(sa_column=_utc(nullable=False))


class Meeting(SQLModel, table=True):
    """A meeting: 社区夜话, 社区圆桌会 or 睦邻议事厅, with time, place and a reminder."""

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="topic.id", index=True)
    kind: str  # night_talk | roundtable | hall
    starts_at: datetime = Field(sa_column=_utc(nullable=False))
    place: str
    reminded: bool = False


class TopicTask(SQLModel, table=True):
    """A piece of carrying out the outcome: who, by when, how far (Decidim's accountability)."""

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="topic.id", index=True)
    title: str
    party: str
    due: datetime = Field(sa_column=_utc(nullable=False))
    progress: int = 0
    note: str = ""


class Evaluation(SQLModel, table=True):
    """A participant's rating of how the outcome was carried out 民事民评."""

    topic_id: int = Field(foreign_key="topic.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    rating: str  # satisfied | basic | dissatisfied
    comment: str = ""
    at: datetime = Field(sa_column=_utc(nullable=False))
