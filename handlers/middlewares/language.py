"""The reader's language: their choice, else Telegram's language code."""

from __future__ import annotations

from typing import Any

from handlers.dispatch import Next
from handlers.events import Event
from handlers.i18n import pick_language
from handlers.replies import Replies
from storage.models import Person


def language(event: Event, data: dict[str, Any], call_next: Next) -> None:
    person: Person = data["person"]
    lang = pick_language(person.language, event.sender.language_code or person.telegram_language)
    replies: Replies = data["replies"]
    replies.lang = lang
    data["lang"] = lang
    call_next()
