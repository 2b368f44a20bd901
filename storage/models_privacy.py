"""Personal data: what retention or a person's request did to a row (PIPL 个人信息保护法).

The record itself holds no personal data: which row, what was done, why and when. Retention
reads it to skip rows it has already handled; an operator reads it to show an erasure happened.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class Redacted(enum.StrEnum):
    """What was done to a row's free text, weakest first."""

    MASKED = "masked"  # phone, ID-card, bank-card and plate numbers masked (nlp.mask_pii)
    REMOVED = "removed"  # texts and photos gone; categories, places and times kept
    ERASED = "erased"  # a person: name, Telegram id, home and roles gone; the row keeps counts


class Redaction(SQLModel, table=True):
    """One row's personal data handled: a ticket, a report, or a person."""

    kind: str = Field(primary_key=True)  # ticket | report | person
    row_id: int = Field(primary_key=True)
    action: str  # Redacted
    reason: str  # retention | request
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
