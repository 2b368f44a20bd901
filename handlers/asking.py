"""A question the bot asked in a private chat: the person's next message is its answer.

The question lives in the database (`Conversation`), so any worker, after any restart, on
either transport, takes the answer; `@router.awaiting(kind)` handles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from handlers.callbacks import Callback
from storage.models import Conversation


@dataclass(frozen=True)
class Cancel(Callback, prefix="cx"):
    """The cancel button under a question (or a menu)."""


def ask(session: Session, who: int, kind: str, data: dict[str, Any], expires: datetime) -> None:
    """Wait for `who`'s next private message as the answer to `kind` (replaces any other)."""
    pending = session.get(Conversation, (who, who))
    if pending is None:
        pending = Conversation(
            telegram_user_id=who, chat_id=who, kind=kind, data=data, expires_at=expires
        )
    else:
        pending.kind, pending.data, pending.expires_at = kind, data, expires
    session.add(pending)
