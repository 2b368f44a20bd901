"""One database transaction per event: committed when the handler returns, else rolled back.

The messages the handler wants sent are written to the outbox in that same transaction
(handlers.outgoing), so they exist exactly when the changes they report do.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, delete
from sqlmodel import col

from handlers.dispatch import Next
from handlers.events import Event
from handlers.outgoing import keep_on_commit
from storage.db import session as open_session
from storage.models_outbox import UnreachableChat


def unit_of_work(event: Event, data: dict[str, Any], call_next: Next) -> None:
    engine: Engine = data["engine"]
    with open_session(engine) as session:
        data["session"] = session
        keep_on_commit(session, data["replies"], data["clock"])
        try:
            # Whoever writes from a chat can be written to again (unblocked, re-added).
            session.execute(
                delete(UnreachableChat).where(col(UnreachableChat.chat_id) == event.chat.id)
            )
            call_next()
            session.commit()
        except BaseException:
            session.rollback()
            raise
