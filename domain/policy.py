"""Deadlines by urgency (「应急单、重点单和常规单」), from configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Window:
    """How long the assignee has to respond (accept) and to resolve."""

    respond: timedelta
    resolve: timedelta


@dataclass(frozen=True)
class DeadlinePolicy:
    """Deadlines for each urgency, when to remind, when an unrated ticket closes by itself."""

    windows: dict[str, Window]
    remind_at: float = 0.75  # share of a window after which the assignee is reminded
    auto_close_after: timedelta = timedelta(days=7)

    def window(self, urgency: str) -> Window:
        return self.windows.get(urgency, self.windows["routine"])

    def respond_by(self, urgency: str, start: datetime) -> datetime:
        return start + self.window(urgency).respond

    def resolve_by(self, urgency: str, start: datetime) -> datetime:
        return start + self.window(urgency).resolve

    def respond_reminder(self, urgency: str, deadline: datetime) -> datetime:
        """When to remind the assignee to accept: `remind_at` of the way to the deadline."""
        return deadline - self.window(urgency).respond * (1 - self.remind_at)

    def resolve_reminder(self, urgency: str, deadline: datetime) -> datetime:
        """When to remind the assignee to resolve."""
        return deadline - self.window(urgency).resolve * (1 - self.remind_at)


DEFAULT_POLICY = DeadlinePolicy(
    windows={
        "emergency": Window(timedelta(minutes=30), timedelta(hours=24)),
        "key": Window(timedelta(hours=4), timedelta(days=3)),
        "routine": Window(timedelta(hours=24), timedelta(days=7)),
    }
)
