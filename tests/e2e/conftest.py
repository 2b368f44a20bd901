"""End to end: the real bot, over HTTP, against the Bot API stand-in, on the test organisation."""

from __future__ import annotations

import asyncio
import socket
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pydantic import SecretStr
from sqlmodel import select

from bot.app import App, build, serve
from bot.config import DatabaseSettings, Settings, TelegramSettings, WebhookSettings
from bot.outbox import SendLimits
from bot.standin import DEFAULT_TOKEN, BotAPIStandIn, TgChat, TgUser
from bot.standin.types import JSON
from bot.transports import TransportName
from domain.clock import ManualClock
from handlers.events import Effect, Event
from storage.db import session as open_session
from storage.models import Person

GROUP = TgChat.group(-1001, "铜都花园居民群")  # bound to the compound 铜都花园
BUILDING_GROUP = TgChat.group(-1003, "铜都花园3栋群")  # bound to building 3
UNBOUND_GROUP = TgChat.group(-1999, "随便聊聊")
WEBHOOK_SECRET = "webhook-secret-123"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class World:
    """The bot running against the stand-in; people talk, the test reads what they see."""

    def __init__(
        self,
        standin: BotAPIStandIn,
        database_url: str,
        clock: ManualClock,
        webhook_port: int = 0,
        transport: TransportName = "aiogram",
    ):
        self.standin = standin
        self.transport = transport
        self.webhook_port = webhook_port
        self.database_url = database_url
        self.clock = clock
        self.app: App | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._done: defaultdict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self._cursor: dict[int, int] = {}
        self.people: dict[str, TgUser] = {}

    # --- running -------------------------------------------------------------------------------

    async def start(self) -> None:
        settings = Settings(
            transport=self.transport,
            telegram=TelegramSettings(token=DEFAULT_TOKEN, api_url=self.standin.base_url),
            database=DatabaseSettings(url=self.database_url),
        )
        if self.webhook_port:
            settings.webhook = WebhookSettings(
                url=self.webhook_url,
                secret=SecretStr(WEBHOOK_SECRET),
                host="127.0.0.1",
                port=self.webhook_port,
            )
        self.app = build(settings, clock=self.clock)
        # Tests talk at machine speed: Telegram's per-chat pace would only slow them down
        # (tests/e2e/test_outbox.py and bench/ check the real limits).
        self.app.send_limits = SendLimits(private=1000, group=1000)
        core = self.app.core
        process = core.process
        run_job = core.run_job

        async def settled_job(job: Callable[[], list[Effect]]) -> None:
            await run_job(job)
            await core.drain()  # a job's messages go through the outbox: wait for them

        core.run_job = settled_job  # type: ignore[method-assign]

        async def tracked(event: Event) -> None:
            try:
                await process(event)
            finally:
                self._done[event.update_id].set()

        core.process = tracked  # type: ignore[method-assign]
        self._stop = asyncio.Event()
        ready = "setWebhook" if self.webhook_port else "deleteWebhook"  # just before polling
        before = len(self.standin.calls_to(ready))
        self._task = asyncio.create_task(serve(self.app, stop=self._stop, clock_jobs=False))
        await self.standin.wait_for(lambda: len(self.standin.calls_to(ready)) > before, 10)
        with open_session(self.app.engine) as session:
            for person in session.exec(select(Person)):
                if person.key and person.telegram_id:
                    self.people[person.key] = TgUser(
                        person.telegram_id, person.name, language_code="zh-hans"
                    )

    async def stop(self) -> None:
        assert self._stop is not None and self._task is not None
        self._stop.set()
        await asyncio.wait_for(self._task, 15)
        self.core_app.engine.dispose()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.webhook_port}/telegram/webhook"

    @property
    def core_app(self) -> App:
        assert self.app is not None
        return self.app

    # --- people --------------------------------------------------------------------------------

    def user(self, key: str) -> TgUser:
        return self.people[key]

    async def _settle(self, update: JSON) -> None:
        """Wait until the update was handled and everything it caused was delivered."""
        await asyncio.wait_for(self._done[update["update_id"]].wait(), 10)
        await asyncio.wait_for(self.core_app.core.drain(), 10)

    async def say(
        self, who: str | TgUser, text: str | None = None, chat: TgChat | None = None, **kw: Any
    ) -> list[str]:
        """`who` writes; returns the texts the bot sent into that chat in answer."""
        user = self.user(who) if isinstance(who, str) else who
        target = chat or TgChat.private(user)
        self.read(target.id)
        update = self.standin.user_message(user, target, text, **kw)
        await self._settle(update)
        return self.texts(target.id)

    async def press(self, who: str | TgUser, label: str, chat_id: int | None = None) -> str:
        """`who` taps the newest button labelled `label`; returns the callback's answer text."""
        user = self.user(who) if isinstance(who, str) else who
        update = self.standin.press_button(user, chat_id or user.id, label)
        await self._settle(update)
        query_id = update["callback_query"]["id"]
        answers = [a for a in self.standin.answered_callbacks if a.callback_query_id == query_id]
        assert len(answers) == 1, f"callback {query_id} answered {len(answers)} times"
        return answers[0].text or ""

    async def run(self, job: str) -> None:
        """Run a clock job now (the scheduler is off in tests; the clock is ours)."""
        app = self.core_app
        await app.core.run_job(getattr(app.jobs, job))

    # --- what people see -----------------------------------------------------------------------

    def read(self, chat_id: int) -> None:
        """Mark everything in the chat as seen."""
        self._cursor[chat_id] = len(self.standin.sent(chat_id)) if self._has(chat_id) else 0

    def _has(self, chat_id: int) -> bool:
        return any(c.chat.id == chat_id for c in self.standin.chats())

    def new(self, chat_id: int) -> list[JSON]:
        """Messages the bot sent into the chat since it was last read (as they are now)."""
        if not self._has(chat_id):
            return []
        sent = self.standin.sent(chat_id)
        start = self._cursor.get(chat_id, 0)
        self._cursor[chat_id] = len(sent)
        return sent[start:]

    def texts(self, chat_id: int) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.new(chat_id)]

    def inbox(self, who: str) -> list[str]:
        return self.texts(self.user(who).id)

    def buttons(self, chat_id: int) -> list[str]:
        last = self.standin.sent(chat_id)[-1]
        rows = (last.get("reply_markup") or {}).get("inline_keyboard", [])
        return [b["text"] for row in rows for b in row]


TRANSPORTS: tuple[TransportName, ...] = ("aiogram", "ptb")
MODES = ("polling", "webhook")


@pytest.fixture(
    params=[(transport, mode) for transport in TRANSPORTS for mode in MODES],
    ids=lambda param: "-".join(param),
)
async def world(
    request: pytest.FixtureRequest, database_url: str, clock: ManualClock
) -> AsyncIterator[World]:
    """The bot on aiogram and on python-telegram-bot, each by long polling and by webhook:
    every dialogue must hold for all four."""
    transport, mode = request.param
    standin = BotAPIStandIn(DEFAULT_TOKEN)
    await standin.start()
    port = free_port() if mode == "webhook" else 0
    world = World(standin, database_url, clock, port, transport)
    await world.start()
    try:
        yield world
    finally:
        if world._task and not world._task.done():
            await world.stop()
        await standin.stop()
