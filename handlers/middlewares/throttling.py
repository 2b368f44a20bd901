"""Button mashing and command floods are slowed down; reports are never dropped."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from handlers.dispatch import Next
from handlers.events import Event, Press, t
from handlers.replies import Replies


class Throttle:
    """At most `limit` presses or commands per person in `per` seconds."""

    def __init__(self, limit: int = 20, per: float = 10.0):
        self.limit = limit
        self.per = per
        self._seen: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def __call__(self, event: Event, data: dict[str, Any], call_next: Next) -> None:
        if isinstance(event, Press) or event.command:
            now = time.monotonic()
            with self._lock:
                seen = self._seen.setdefault(event.sender.id, deque())
                while seen and now - seen[0] > self.per:
                    seen.popleft()
                seen.append(now)
                flooded = len(seen) > self.limit
            if flooded:
                replies: Replies = data["replies"]
                if isinstance(event, Press):
                    replies.answer(t("error-too-fast"))
                return
        call_next()
