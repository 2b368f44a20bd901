"""The python-telegram-bot 22 transport: Telegram updates → handlers.events, effects → Bot API.

The same shape as the aiogram transport: `to_event` reads an update, `PtbSender` carries out
effects and turns ptb's errors into bot.delivery's, `PtbTransport` serves by long polling
(ptb's Updater) or by webhook. The webhook is served by our own aiohttp app, as the aiogram
one is, and feeds ptb's `update_queue`: one web stack for both transports, the same secret
check and answers, and no tornado (ptb's own webhook server needs the `webhooks` extra).

Configuration, and why (measured with bench/bench_loop.py): ptb's defaults handle one update
at a time (`concurrent_updates=1`), so every update waits for the previous one's Bot API round
trips; that, not HTTP, makes a default ptb echo bot several times slower than aiogram, which
runs each update as its own task. Here updates run concurrently and `bot.runtime.Core` keeps
one person's updates in order and bounds the database work, as it does for aiogram.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, TypeAlias

from aiohttp import web
from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram import Message as TgMessage
from telegram import User as TgUser
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    ExtBot,
    TypeHandler,
)

from bot.delivery import ChatMoved, RetryLater, Transient, Unreachable
from bot.runtime import Core
from bot.transports.errors import bad_request
from bot.transports.incoming import (
    Entity,
    Incoming,
    content_kind,
    read_message,
)
from handlers.events import (
    Answer,
    Chat,
    Edit,
    Event,
    Keyboard,
    Message,
    Pin,
    Press,
    Send,
    Sender,
)

log = logging.getLogger("linli.ptb")

# Opt in to ptb's coming behaviour (durations as timedelta): otherwise ptb warns of the change
# each time it builds a RetryAfter (it reads the variable when it does). We read either form.
os.environ.setdefault("PTB_TIMEDELTA", "true")

PtbApplication: TypeAlias = Application[
    ExtBot[None],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    None,
]

ALLOWED_UPDATES = ["message", "callback_query"]
POLLING_TIMEOUT = timedelta(seconds=25)  # as the aiogram transport's long poll

# Updates handled at once. Core serialises one person's updates and runs handlers on a bounded
# worker pool, so this only bounds how many wait there; aiogram does not bound it at all.
CONCURRENT_UPDATES = 256
# Connections for Bot API calls other than getUpdates. ptb's default is 256, but httpx gets
# slower as its pool grows (bench/bench_loop.py with --rtt 50: pool 32 answered about twice as
# many updates a second as 256), and Telegram takes only about 30 messages a second from a bot
# anyway: 32 connections carry that even at a 1 s round trip.
CONNECTION_POOL = 32
# Seconds. ptb's defaults are 5 s for connect/read/write and 1 s to wait for a free
# connection: under a burst a send that waits more than 1 s for the pool fails with TimedOut,
# and a sendMessage that Telegram answers slowly is retried although it may have gone through.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 20.0
WRITE_TIMEOUT = 20.0
POOL_TIMEOUT = 30.0


def make_application(
    token: str,
    api_url: str | None,
    *,
    concurrent_updates: int = CONCURRENT_UPDATES,
    tuned: bool = True,
) -> PtbApplication:
    """A ptb Application for `token` (at `api_url`, e.g. a self-hosted Bot API server).

    `tuned=False` keeps ptb's own defaults (the benchmark's "defaults" row).
    """
    builder: ApplicationBuilder[
        ExtBot[None],
        ContextTypes.DEFAULT_TYPE,
        dict[Any, Any],
        dict[Any, Any],
        dict[Any, Any],
        None,
    ] = Application.builder().token(token).job_queue(None)  # our clock is APScheduler's
    if api_url:
        base = api_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    if tuned:
        builder = (
            builder.concurrent_updates(concurrent_updates)
            .connection_pool_size(CONNECTION_POOL)
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .write_timeout(WRITE_TIMEOUT)
            .pool_timeout(POOL_TIMEOUT)
            # getUpdates: one long poll at a time, so one connection; ptb adds the long-poll
            # timeout to the read timeout itself.
            .get_updates_connection_pool_size(1)
            .get_updates_connect_timeout(CONNECT_TIMEOUT)
            .get_updates_read_timeout(READ_TIMEOUT)
            .get_updates_write_timeout(WRITE_TIMEOUT)
            .get_updates_pool_timeout(POOL_TIMEOUT)
        )
    return builder.build()


# --- updates in --------------------------------------------------------------------------------


def to_event(update: Update, me: TgUser) -> Event | None:
    """The project's event for an update, or None for kinds the bot ignores."""
    if update.message is not None:
        return _message(update.update_id, update.message, me)
    if update.callback_query is not None:
        return _press(update.update_id, update.callback_query)
    return None


def _sender(user: TgUser) -> Sender:
    return Sender(user.id, user.full_name, user.username, user.language_code)


def _message(update_id: int, msg: TgMessage, me: TgUser) -> Message | None:
    if msg.from_user is None:
        return None
    replied = msg.reply_to_message
    return read_message(
        Incoming(
            update_id,
            Chat(msg.chat.id, str(msg.chat.type), msg.chat.title or ""),
            _sender(msg.from_user),
            msg.from_user.is_bot,
            msg.message_id,
            msg.text,
            msg.caption,
            msg.photo[-1].file_id if msg.photo else None,
            content_kind(msg),
            [
                Entity(str(e.type), e.offset, e.length)
                for e in msg.entities or msg.caption_entities or ()
            ],
            replied.from_user.id if replied and replied.from_user else None,
            msg.document.file_id if msg.document else None,
        ),
        me.id,
        me.username,
    )


def _press(update_id: int, query: CallbackQuery) -> Press | None:
    message = query.message
    if message is None or query.data is None:
        return None
    chat = Chat(message.chat.id, str(message.chat.type), message.chat.title or "")
    return Press(
        update_id, query.id, chat, _sender(query.from_user), message.message_id, query.data
    )


# --- effects out -------------------------------------------------------------------------------


def _markup(rows: Keyboard) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    b.text if isinstance(b.text, str) else b.text.key,
                    callback_data=b.data,
                    url=b.url,
                )
                for b in row
            ]
            for row in rows
        ]
    )


class PtbSender:
    """RawSender over a ptb Bot: library errors become the project's own."""

    def __init__(self, bot: ExtBot[None]):
        self.bot = bot

    async def send(self, effect: Send) -> int:
        async with _translated():
            if effect.photo:
                sent = await self.bot.send_photo(
                    effect.chat_id,
                    effect.photo,
                    caption=effect.text[:1024],
                    reply_markup=_markup(effect.buttons),
                )
            elif effect.document or effect.upload:
                sent = await self.bot.send_document(
                    effect.chat_id,
                    Path(effect.upload) if effect.upload else effect.document or "",
                    caption=effect.text[:1024],
                    reply_markup=_markup(effect.buttons),
                )
            else:
                sent = await self.bot.send_message(
                    effect.chat_id,
                    effect.text,
                    reply_markup=_markup(effect.buttons),
                    reply_to_message_id=effect.reply_to,
                )
        return sent.message_id

    async def edit(self, effect: Edit) -> None:
        async with _translated():
            await self.bot.edit_message_text(
                effect.text,
                chat_id=effect.chat_id,
                message_id=effect.message_id,
                reply_markup=_markup(effect.buttons),
            )

    async def pin(self, effect: Pin) -> None:
        async with _translated():
            await self.bot.pin_chat_message(
                effect.chat_id, effect.message_id, disable_notification=True
            )

    async def answer(self, effect: Answer) -> None:
        async with _translated():
            await self.bot.answer_callback_query(
                effect.callback_id, text=effect.text or None, show_alert=effect.alert
            )


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _translated:
    """Maps ptb's exceptions onto bot.delivery's (the same outcomes as the aiogram adapter)."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if error is None:
            return False
        if isinstance(error, RetryAfter):
            raise RetryLater(_seconds(error.retry_after)) from error
        if isinstance(error, ChatMigrated):
            raise ChatMoved(int(error.new_chat_id)) from error
        if isinstance(error, Forbidden | EndPointNotFound | InvalidToken):
            # 403; and 404, which ptb reports as InvalidToken (aiogram: TelegramNotFound)
            raise Unreachable(error.message) from error
        if isinstance(error, BadRequest):  # before NetworkError: BadRequest is one in ptb
            raise bad_request(error.message) from error
        if isinstance(error, NetworkError | asyncio.TimeoutError):  # TimedOut, 5xx, dropped
            raise Transient(str(error)) from error
        return False


# --- serving -----------------------------------------------------------------------------------


class PtbTransport:
    """Serves the core over python-telegram-bot, by long polling or by webhook."""

    def __init__(
        self, core: Core, application: PtbApplication, commands: dict[str, dict[str, str]]
    ):
        self.core = core
        self.app = application
        self.commands = commands
        self.sender = PtbSender(application.bot)
        self.me: TgUser | None = None
        self._accepting = True  # the webhook takes updates until stop_receiving
        self._stopped = asyncio.Event()
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)

    async def _on_update(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert self.me is not None
        event = to_event(update, self.me)
        if event is not None:
            await self.core.process(event)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("update %s failed", update, exc_info=context.error)

    async def prepare(self) -> None:
        """Connect (getMe), publish the command menu, and start taking updates off the queue."""
        await self.app.initialize()
        self.me = self.app.bot.bot
        self.core.bot_username = self.me.username or ""
        for lang, table in self.commands.items():
            await self.app.bot.set_my_commands(
                [BotCommand(name, text) for name, text in table.items()],
                language_code=None if lang == "default" else lang,
            )
        if not self.app.running:
            await self.app.start()

    async def poll(self) -> None:
        """Long polling until stop_receiving (ptb's Updater deletes any webhook first)."""
        await self.prepare()
        assert self.app.updater is not None
        await self.app.updater.start_polling(
            timeout=POLLING_TIMEOUT,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )
        await self._stopped.wait()

    async def stop_receiving(self) -> None:
        """Stop taking updates; those already taken are handled and answered first."""
        self._accepting = False
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()  # also confirms the offset of what was fetched
        if self.app.running:
            await self.app.stop()  # waits until the update queue is worked off
        self._stopped.set()

    async def close(self) -> None:
        await self.app.shutdown()  # closes the HTTP clients

    def webhook_app(self, path: str, secret: str | None) -> web.Application:
        """The aiohttp app that takes Telegram's POSTs into ptb's update queue."""
        app = web.Application()
        app.router.add_post(path, self._webhook(secret))
        return app

    def _webhook(self, secret: str | None) -> Any:
        async def receive(request: web.Request) -> web.Response:
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if secret and not secrets.compare_digest(given, secret):
                return web.Response(body="Unauthorized", status=401)
            if not self._accepting:
                # Shutting down: Telegram keeps the update and delivers it again later.
                return web.Response(body="Service Unavailable", status=503)
            try:
                data = await request.json()
                update = Update.de_json(data, self.app.bot)
            except ValueError:
                return web.Response(body="Bad Request", status=400)
            # Answer at once, as the aiogram transport does (handle_in_background): the update
            # is handled from the queue; one delivered twice is handled once (handlers' dedup).
            await self.app.update_queue.put(update)
            return web.json_response({})

        return receive

    async def set_webhook(self, url: str, secret: str | None) -> None:
        """Tell Telegram where to post, once the server is listening."""
        await self.prepare()
        await self.app.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)


def make_transport(
    core: Core, token: str, api_url: str | None, commands: dict[str, dict[str, str]]
) -> PtbTransport:
    """The ptb transport as the service runs it."""
    return PtbTransport(core, make_application(token, api_url), commands)
