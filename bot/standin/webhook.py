"""Webhook delivery: POST each update to the bot, retrying with backoff until it answers 2xx."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp

from bot.standin.types import JSON

log = logging.getLogger(__name__)
Execute = Callable[[str, JSON], Awaitable[None]]


class WebhookDelivery:
    """Workers that deliver queued updates to one URL, ``max_connections`` at a time."""

    def __init__(
        self,
        url: str,
        *,
        secret_token: str | None,
        max_connections: int,
        retry_delays: Sequence[float],
        max_attempts: int,
        timeout: float,
        execute: Execute,
        on_attempt: Callable[[], None] = lambda: None,
    ) -> None:
        self.url = url
        self.secret_token = secret_token
        self.max_connections = max_connections
        self.retry_delays = tuple(retry_delays) or (1.0,)
        self.max_attempts = max_attempts
        self.execute = execute
        self.on_attempt = on_attempt
        self.queue: asyncio.Queue[JSON] = asyncio.Queue()
        self.in_flight: dict[int, JSON] = {}
        self._keys = itertools.count()
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.attempts = 0
        self.delivered = 0
        self.dropped = 0
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout),
            connector=aiohttp.TCPConnector(limit=max_connections),
            trust_env=False,  # never through a proxy: the bot is on loopback
        )
        self._workers = [
            asyncio.create_task(self._work(), name=f"standin-webhook-{n}")
            for n in range(max_connections)
        ]

    @property
    def pending(self) -> int:
        return self.queue.qsize() + len(self.in_flight)

    def put(self, update: JSON) -> None:
        self.queue.put_nowait(update)

    async def stop(self) -> list[JSON]:
        """Stop delivering; the updates not yet delivered, oldest first."""
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        await self._session.close()
        left = list(self.in_flight.values())
        while not self.queue.empty():
            left.append(self.queue.get_nowait())
        return sorted(left, key=lambda update: int(update["update_id"]))

    async def _work(self) -> None:
        while True:
            update = await self.queue.get()
            key = next(self._keys)  # not id(update): a duplicated update is one object
            self.in_flight[key] = update
            try:
                await self._deliver(update)
            except Exception:
                log.exception("webhook delivery of update %s failed", update["update_id"])
            # Not in a ``finally``: when stop() cancels a delivery, the update stays in
            # in_flight so that stop() hands it back and the next webhook delivers it.
            del self.in_flight[key]

    async def _deliver(self, update: JSON) -> None:
        body = json.dumps(update, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if self.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.secret_token
        for attempt in range(self.max_attempts):
            self.attempts += 1
            try:
                async with self._session.post(self.url, data=body, headers=headers) as response:
                    if 200 <= response.status < 300:
                        self.delivered += 1
                        await self._run_reply(response)
                        self.on_attempt()
                        return
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc.__class__.__name__}"
            self.last_error_date = int(time.time())
            self.last_error_message = error
            log.debug("webhook %s, update %s: %s", self.url, update["update_id"], error)
            self.on_attempt()
            await asyncio.sleep(self.retry_delays[min(attempt, len(self.retry_delays) - 1)])
        self.dropped += 1

    async def _run_reply(self, response: aiohttp.ClientResponse) -> None:
        """Telegram executes a method the bot returns in its webhook answer."""
        params: dict[str, Any] = {}
        if response.content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = await response.json(content_type=None)
                if isinstance(body, dict):
                    params = body
        elif response.content_type.startswith("multipart/"):
            reader = aiohttp.MultipartReader(response.headers, response.content)
            while True:
                part = await reader.next()
                if part is None:
                    break
                if isinstance(part, aiohttp.BodyPartReader) and part.name:
                    params[part.name] = await part.text()
        method = params.pop("method", None)
        if isinstance(method, str) and method:
            await self.execute(method, params)
