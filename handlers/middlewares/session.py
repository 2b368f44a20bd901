"""One database transaction per event: committed when the handler returns, else rolled back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from handlers.dispatch import Next
from handlers.events import Event
from storage.db import session as open_session


def unit_of_work(event: Event, data: dict[str, Any], call_next: Next) -> None:
    engine: Engine = data["engine"]
    with open_session(engine) as session:
        data["session"] = session
        try:
            call_next()
            session.commit()
        except BaseException:
            session.rollback()
            raise
