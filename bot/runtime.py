"""The bridge between the asynchronous transports and the synchronous, transport-free heart.

Handlers and jobs run on worker threads (one for SQLite, whose writes are serialised anyway;
a few for PostgreSQL); the event loop keeps talking to Telegram meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from handlers.dispatch import Dispatcher
from handlers.events import Effect, Event

log = logging.getLogger("linli.runtime")


class Delivery(Protocol):
    async def deliver(self, effects: Sequence[Effect]) -> None: ...


class Core:
    """Handles events and runs jobs off the loop, then delivers what they produced."""

    def __init__(self, dispatcher: Dispatcher, delivery: Delivery | None, workers: int = 1):
        self.dispatcher = dispatcher
        self.delivery = delivery
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="linli-core")
        self.bot_username = ""
        self._inflight: set[asyncio.Future[None]] = set()
        # One person's updates are handled in the order they came (asyncio.Lock is FIFO), so a
        # note typed right after pressing "add progress" finds the question already recorded.
        self._turns: dict[int, tuple[asyncio.Lock, int]] = {}

    async def process(self, event: Event) -> None:
        """Handle one event and deliver its effects (the transport calls this per update)."""
        task = asyncio.ensure_future(self._process(event))
        self._inflight.add(task)
        try:
            await task
        finally:
            self._inflight.discard(task)

    async def _process(self, event: Event) -> None:
        who = event.sender.id
        lock, waiting = self._turns.get(who, (asyncio.Lock(), 0))
        self._turns[who] = (lock, waiting + 1)
        try:
            async with lock:
                loop = asyncio.get_running_loop()
                effects = await loop.run_in_executor(
                    self.executor,
                    lambda: self.dispatcher.handle(event, bot_username=self.bot_username),
                )
                await self._deliver(effects)
        finally:
            lock, waiting = self._turns[who]
            if waiting == 1:
                del self._turns[who]
            else:
                self._turns[who] = (lock, waiting - 1)

    async def run_job(self, job: Callable[[], list[Effect]]) -> None:
        """Run a clock job off the loop and deliver its messages."""
        loop = asyncio.get_running_loop()
        try:
            effects = await loop.run_in_executor(self.executor, job)
        except Exception:
            log.exception("job %s failed", getattr(job, "__name__", job))
            return
        await self._deliver(effects)

    async def _deliver(self, effects: Sequence[Effect]) -> None:
        # Called even with no effects: the handler may have committed messages to the outbox,
        # and the delivery is told to look for them.
        if self.delivery is None:
            return
        try:
            await self.delivery.deliver(effects)
        except Exception:
            log.exception("delivery failed")

    async def drain(self, *, outbox: bool = True) -> None:
        """Wait for the events being handled (a clean stop loses none) and, with `outbox`, until
        the delivery has nothing due (what tests call "settled"; a stop does not wait for it:
        the queue is persistent and resumes at the next start)."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)
        settle = getattr(self.delivery, "drain", None)
        if outbox and settle is not None:
            await settle()

    def close(self) -> None:
        self.executor.shutdown(wait=True)
