"""An update Telegram delivers twice (webhook retries, a restart mid-batch) is handled once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain.clock import Clock
from handlers.dispatch import Next
from handlers.events import Event
from storage.models import ProcessedUpdate


def dedup(event: Event, data: dict[str, Any], call_next: Next) -> None:
    session: Session = data["session"]
    clock: Clock = data["clock"]
    try:
        with session.begin_nested():
            session.add(ProcessedUpdate(update_id=event.update_id, at=clock.now()))
    except IntegrityError:
        data["duplicate"] = True
        return
    call_next()
