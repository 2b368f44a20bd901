"""No traceback reaches a person: a failure is logged and answered plainly.

A refusal (domain.lifecycle.Refused) that no handler answered itself is answered here with its
own text, after the unit of work has rolled back whatever the handler had begun.
"""

from __future__ import annotations

import logging
from typing import Any

from domain.lifecycle import Refused
from handlers.dispatch import Next
from handlers.events import Event, Press, t
from handlers.replies import Replies, refusal

log = logging.getLogger("linli.errors")


def errors(event: Event, data: dict[str, Any], call_next: Next) -> None:
    replies: Replies = data["replies"]
    try:
        call_next()
    except Refused as refused:
        replies.effects.clear()
        if isinstance(event, Press):
            replies.answer(refusal(refused), alert=True)
        else:
            replies.reply(refusal(refused))
    except Exception:
        log.exception("handling update %s failed", event.update_id)
        replies.effects.clear()
        if isinstance(event, Press):
            replies.answer(t("error-internal"), alert=True)
        elif event.chat.private or getattr(event, "addressed", False) or event.command:
            replies.reply(t("error-internal"))
