"""The tables of the monthly rhythm: Open311 clients and their requests, the weekly public posts
(公示), and the monthly civilised-compound selection (文明小区每月评选).

The figures themselves are computed from tickets and their history; nothing here caches them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel, col

from storage import models_deliberation  # noqa: F401  (the selection refers to its topics)
from storage.models import Ticket, TicketEvent


def _utc(*, nullable: bool = True) -> Any:
    return Column(DateTime(timezone=True), nullable=nullable)


class Open311Client(SQLModel, table=True):
    """Another system allowed to file reports through Open311 (the city's 12345, 一网统管 …).

    Only the SHA-256 of its API key is kept; the key itself is shown once, when it is made.
    """

    __tablename__ = "open311client"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    key_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(sa_column=_utc(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=_utc())


class Open311Request(SQLModel, table=True):
    """A report filed through Open311: its token finds the ticket once the report is filed."""

    __tablename__ = "open311request"
    token: str = Field(primary_key=True, max_length=64)
    client_id: int = Field(foreign_key="open311client.id", index=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    created_at: datetime = Field(sa_column=_utc(nullable=False))


class PublicPost(SQLModel, table=True):
    """The weekly public posting 公示 to one compound group: generated, maybe edited or held."""

    __tablename__ = "publicpost"
    __table_args__ = (UniqueConstraint("chat_id", "week"),)
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger)
    week: str = Field(max_length=10)  # ISO week: 2026-W48
    state: str = "draft"  # draft | held | sent
    text: str = ""  # staff's edited text; empty: the generated one
    edited_by_id: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime = Field(sa_column=_utc(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=_utc())


class CompoundSelection(SQLModel, table=True):
    """One month's civilised-compound selection 文明小区每月评选 in a community."""

    __tablename__ = "compoundselection"
    __table_args__ = (UniqueConstraint("community_id", "month"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    month: str = Field(max_length=7)  # 2026-11
    shortlist: list[int] = Field(default_factory=list, sa_column=Column(JSON))  # compound ids
    topic_id: int | None = Field(default=None, foreign_key="topic.id")  # the residents' vote
    winner_id: int | None = Field(default=None, foreign_key="compound.id")
    announced_at: datetime | None = Field(default=None, sa_column=_utc())


# Indexes for the month's figures and the console's list over a million tickets (bench/
# bench_figures.py): a month of one community, of the whole sub-district, what was resolved in a
# month, what is open now, what was reopened in a month. Declared here so that the tables'
# metadata knows them.
TICKET_INDEXES = (
    Index("ix_ticket_community_opened", col(Ticket.community_id), col(Ticket.opened_at)),
    Index("ix_ticket_opened_at", col(Ticket.opened_at)),
    Index("ix_ticket_community_resolved", col(Ticket.community_id), col(Ticket.resolved_at)),
    Index("ix_ticket_community_state", col(Ticket.community_id), col(Ticket.state)),
    Index("ix_ticketevent_action_at", col(TicketEvent.action), col(TicketEvent.at)),
)
