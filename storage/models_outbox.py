"""The outbox: every message the bot sends, kept until Telegram has taken it.

Handlers and jobs write rows in the same transaction as their own changes; bot/outbox.py sends
them within Telegram's limits and records the outcome. A row is 'queued', then 'sending' just
before the Bot API call, then 'sent' (with Telegram's message id) or 'failed'.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index
from sqlmodel import Field, SQLModel


class OutboxState(enum.StrEnum):
    """Where a message is on its way to Telegram."""

    QUEUED = "queued"
    SENDING = "sending"  # the call was started; after a crash it may or may not have arrived
    SENT = "sent"
    FAILED = "failed"  # permanent: the chat is unreachable, or the message was refused


class Priority(enum.IntEnum):
    """Lower goes first: people waiting for an answer before a broadcast."""

    INTERACTIVE = 0  # replies, ticket pings, reminders
    BULK = 1  # notices to many chats


class OutboxMessage(SQLModel, table=True):
    """One Bot API call the bot owes: a send, an edit or a pin, into one chat."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_chat", "state", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str  # send | edit | pin
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    key: str | None = Field(default=None, unique=True)  # a send's name, for later edits and pins
    ref: str | None = None  # an edit's or pin's target: the key of the send it acts on
    priority: int = Priority.INTERACTIVE
    state: str = OutboxState.QUEUED
    attempts: int = 0
    not_before: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    message_id: int | None = Field(default=None, sa_type=BigInteger)  # Telegram's, once sent
    error: str = ""


class UnreachableChat(SQLModel, table=True):
    """A chat Telegram refuses for good (bot blocked, kicked, chat gone): nothing more is sent."""

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    reason: str
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class MigratedChat(SQLModel, table=True):
    """A group that became a supergroup: its old id, its new one (the binding moved there)."""

    old_chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    new_chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
