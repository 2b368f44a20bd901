"""Who is writing: their Person (made on first contact), roles, pending question, chat binding."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from domain.access import Who
from domain.clock import Clock, aware
from handlers.dispatch import Next
from handlers.events import Event
from storage import org
from storage.models import Conversation, Person


def identity(event: Event, data: dict[str, Any], call_next: Next) -> None:
    session: Session = data["session"]
    clock: Clock = data["clock"]
    sender = event.sender
    person = org.person_by_telegram(session, sender.id)
    if person is None:
        person = Person(
            telegram_id=sender.id,
            name=sender.name,
            telegram_language=sender.language_code,
            created_at=clock.now(),
        )
        session.add(person)
        session.flush()
    elif sender.language_code and person.telegram_language != sender.language_code:
        person.telegram_language = sender.language_code
        session.add(person)
    if not person.name and sender.name:
        person.name = sender.name
    data["person"] = person
    data["grants"] = org.roles_of(session, person.id) if person.id else []
    data["who"] = Who(person, tuple(data["grants"]))
    data["binding"] = None if event.chat.private else org.binding(session, event.chat.id)
    pending = session.get(Conversation, (sender.id, event.chat.id))
    if pending is not None and aware(pending.expires_at) <= clock.now():
        session.delete(pending)
        pending = None
    data["pending"] = pending
    call_next()
