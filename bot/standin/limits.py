"""Telegram's flood limits and the counters a broadcast benchmark reads.

Telegram documents "about 30 messages per second" for a bot overall, "no more than 20
messages per minute" into one group and "about one message per second" into one private chat
(short bursts pass). Each limit here is a sliding window: at most ``count`` sends in any
``seconds``; beyond it the answer is 429 with ``retry_after`` the whole seconds until a slot
frees, as Telegram answers.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Limits:
    overall_count: int = 30
    overall_seconds: float = 1.0
    group_count: int = 20
    group_seconds: float = 60.0
    private_count: int = 3  # a small burst, then about one a second
    private_seconds: float = 3.0


class _Window:
    __slots__ = ("count", "seconds", "times")

    def __init__(self, count: int, seconds: float) -> None:
        self.count = count
        self.seconds = seconds
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more send fits (0 when it fits now)."""
        times = self.times
        while times and times[0] <= now - self.seconds:
            times.popleft()
        if len(times) < self.count:
            return 0.0
        return times[0] + self.seconds - now

    def add(self, now: float) -> None:
        self.times.append(now)


@dataclass(slots=True)
class _ChatCount:
    recent: deque[float] = field(default_factory=deque)
    max_per_minute: int = 0
    sent: int = 0


class SendCounter:
    """Counts what the bot sent and, if asked, refuses what Telegram would refuse."""

    def __init__(self, limits: Limits | None = None, *, enforce: bool = False) -> None:
        self.limits = limits or Limits()
        self.enforce = enforce
        self.reset()

    def reset(self) -> None:
        self.total_sent = 0
        self.total_429 = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.max_per_second = 0
        self._second: deque[float] = deque()
        self._overall = _Window(self.limits.overall_count, self.limits.overall_seconds)
        self._windows: dict[int, _Window] = {}
        self._chats: dict[int, _ChatCount] = {}

    def check(self, chat_id: int, is_group: bool) -> int | None:
        """``retry_after`` if this send is over a limit, else None (and the send is counted)."""
        now = time.monotonic()
        if self.enforce:
            window = self._windows.get(chat_id)
            if window is None:
                limits = self.limits
                window = (
                    _Window(limits.group_count, limits.group_seconds)
                    if is_group
                    else _Window(limits.private_count, limits.private_seconds)
                )
                self._windows[chat_id] = window
            wait = max(self._overall.wait(now), window.wait(now))
            if wait > 0:
                self.total_429 += 1
                return max(1, math.ceil(wait))
            self._overall.add(now)
            window.add(now)
        self._count(chat_id, now)
        return None

    def _count(self, chat_id: int, now: float) -> None:
        self.total_sent += 1
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        second = self._second
        second.append(now)
        while second[0] <= now - 1.0:
            second.popleft()
        self.max_per_second = max(self.max_per_second, len(second))
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _ChatCount()
        chat.sent += 1
        recent = chat.recent
        recent.append(now)
        while recent[0] <= now - 60.0:
            recent.popleft()
        chat.max_per_minute = max(chat.max_per_minute, len(recent))

    def max_per_minute(self, chat_id: int) -> int:
        """Most messages sent into ``chat_id`` within any 60 seconds."""
        chat = self._chats.get(chat_id)
        return chat.max_per_minute if chat else 0

    def stats(self) -> dict[str, Any]:
        span = (self.last_at - self.first_at) if self.first_at and self.last_at else 0.0
        per_minute = [chat.max_per_minute for chat in self._chats.values()]
        return {
            "enforce_limits": self.enforce,
            "total_sent": self.total_sent,
            "total_429": self.total_429,
            "chats": len(self._chats),
            "seconds": round(span, 3),
            "rate_per_second": round(self.total_sent / span, 2) if span > 0 else None,
            "max_per_second": self.max_per_second,
            "max_per_chat_per_minute": max(per_minute, default=0),
            "per_chat_max_per_minute": {
                str(chat_id): chat.max_per_minute for chat_id, chat in self._chats.items()
            },
        }
