"""Carrying out effects through a transport, with one retry policy for every transport.

Each transport adapter implements `RawSender` (and `PinningSender` for pinChatMessage) and
translates its library's errors into the exceptions below. In service, bot/outbox.Outbox decides
what to do about them; `Deliverer` is the direct, unpersisted path (kept for tools and tests).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from handlers.events import Answer, Edit, Effect, Pin, Send

log = logging.getLogger("linli.delivery")


class DeliveryError(Exception):
    """Telegram did not take a message."""


class RetryLater(DeliveryError):
    """429: wait `seconds` before sending to this chat again."""

    def __init__(self, seconds: float):
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Unreachable(DeliveryError):
    """Permanent for this chat: the bot was blocked, kicked, or the chat does not exist."""


class ChatMoved(DeliveryError):
    """The group became a supergroup with a new id."""

    def __init__(self, new_chat_id: int):
        super().__init__(f"migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class Transient(DeliveryError):
    """A timeout, a 5xx, a dropped connection: try again later."""


class Unchanged(DeliveryError):
    """An edit that changes nothing; harmless."""


class RawSender(Protocol):
    """What a transport adapter must do: one Bot API call per effect."""

    async def send(self, effect: Send) -> int: ...  # the new message's id
    async def edit(self, effect: Edit) -> None: ...
    async def answer(self, effect: Answer) -> None: ...


class PinningSender(RawSender, Protocol):
    """A RawSender that can also pin a message in a group (pinChatMessage)."""

    async def pin(self, effect: Pin) -> None: ...


class Deliverer:
    """Sends effects in order; retries what may succeed later, records what never will."""

    def __init__(self, sender: RawSender, *, attempts: int = 4, backoff: float = 0.5):
        self.sender = sender
        self.attempts = attempts
        self.backoff = backoff
        self.failed: list[tuple[Effect, str]] = []

    async def deliver(self, effects: Sequence[Effect]) -> None:
        for effect in effects:
            await self._one(effect)

    async def _one(self, effect: Effect) -> None:
        for attempt in range(self.attempts):
            try:
                if isinstance(effect, Send):
                    await self.sender.send(effect)
                elif isinstance(effect, Edit):
                    await self.sender.edit(effect)
                elif isinstance(effect, Pin):
                    pin = getattr(self.sender, "pin", None)
                    if pin is not None:
                        await pin(effect)
                else:
                    await self.sender.answer(effect)
                return
            except Unchanged:
                return
            except RetryLater as error:
                await asyncio.sleep(error.seconds)
            except ChatMoved as moved:
                if isinstance(effect, Send):
                    effect = Send(moved.new_chat_id, effect.text, effect.buttons, effect.photo)
            except Transient as error:
                await asyncio.sleep(self.backoff * 2**attempt)
                log.warning("retrying %s after %s", type(effect).__name__, error)
            except Unreachable as error:
                log.info("not delivered (%s): %s", error, effect)
                self.failed.append((effect, str(error)))
                return
        self.failed.append((effect, "gave up"))
        log.warning("gave up delivering %s", effect)
