"""An update Telegram delivers twice (webhook retries, a restart mid-batch) is handled once."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from domain.clock import Clock
from handlers.dispatch import Next
from handlers.events import Event
from storage.db import insert_new
from storage.models import ProcessedUpdate


def dedup(event: Event, data: dict[str, Any], call_next: Next) -> None:
    session: Session = data["session"]
    clock: Clock = data["clock"]
    if not insert_new(session, ProcessedUpdate, update_id=event.update_id, at=clock.now()):
        data["duplicate"] = True
        return
    call_next()
