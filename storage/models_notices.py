"""Notices 通知: what building leaders and staff push down the organisation, and who saw it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel


class Notice(SQLModel, table=True):
    """A notice: who sent it, to which place, what it says, when it goes out."""

    id: int | None = Field(default=None, primary_key=True)
    sender_id: int = Field(foreign_key="person.id", index=True)
    scope_kind: str
    scope_id: int | None = None  # None: the whole sub-district
    text: str
    photo: str | None = None  # Telegram file id
    document: str | None = None  # Telegram file id
    pin: bool = False
    state: str = Field(default="draft", index=True)  # draft | scheduled | sent | cancelled
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    send_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    reminded_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    status_chat_id: int | None = Field(default=None, sa_type=BigInteger)  # the sender's chat
    groups: int = 0  # how many group chats it went to
    residents: int = 0  # how many residents were in scope when it went out


class NoticeAck(SQLModel, table=True):
    """A resident pressed 收到 ("received") on a notice."""

    notice_id: int = Field(foreign_key="notice.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class NoticePreference(SQLModel, table=True):
    """A resident's choice to get notices in private as well as in the groups."""

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    private: bool = False
