"""The aiogram 3 transport: Telegram updates → handlers.events, effects → Bot API calls."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
    User,
)
from aiogram.types import Message as TgMessage
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.delivery import ChatMoved, RetryLater, Transient, Unreachable
from bot.runtime import Core
from bot.transports.errors import bad_request
from bot.transports.incoming import Entity, Incoming, read_message
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

log = logging.getLogger("linli.aiogram")


def make_bot(token: str, api_url: str | None) -> Bot:
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(api_url)) if api_url else AiohttpSession()
    )
    return Bot(token, session=session)


def to_event(update: Update, me: User) -> Event | None:
    """The project's event for an update, or None for kinds the bot ignores."""
    if update.message is not None:
        return _message(update.update_id, update.message, me)
    if update.callback_query is not None:
        return _press(update.update_id, update.callback_query)
    return None


def _sender(user: User) -> Sender:
    return Sender(user.id, user.full_name, user.username, user.language_code)


def _message(update_id: int, msg: TgMessage, me: User) -> Message | None:
    if msg.from_user is None:
        return None
    replied = msg.reply_to_message
    return read_message(
        Incoming(
            update_id,
            Chat(msg.chat.id, msg.chat.type, msg.chat.title or ""),
            _sender(msg.from_user),
            msg.from_user.is_bot,
            msg.message_id,
            msg.text,
            msg.caption,
            msg.photo[-1].file_id if msg.photo else None,
            msg.content_type,
            [
                Entity(e.type, e.offset, e.length)
                for e in msg.entities or msg.caption_entities or []
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
    chat = Chat(message.chat.id, message.chat.type, getattr(message.chat, "title", None) or "")
    return Press(
        update_id, query.id, chat, _sender(query.from_user), message.message_id, query.data
    )


def _markup(rows: Keyboard) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=b.text if isinstance(b.text, str) else b.text.key,
                    callback_data=b.data,
                    url=b.url,
                )
                for b in row
            ]
            for row in rows
        ]
    )


class AiogramSender:
    """RawSender over an aiogram Bot: library errors become the project's own."""

    def __init__(self, bot: Bot):
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
                    FSInputFile(effect.upload) if effect.upload else effect.document or "",
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


class _translated:
    """Maps aiogram's exceptions onto bot.delivery's."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: Any
    ) -> bool:
        if error is None:
            return False
        if isinstance(error, TelegramRetryAfter):
            raise RetryLater(error.retry_after) from error
        if isinstance(error, TelegramMigrateToChat):
            raise ChatMoved(error.migrate_to_chat_id) from error
        if isinstance(error, TelegramForbiddenError | TelegramNotFound):
            raise Unreachable(str(error)) from error
        if isinstance(error, TelegramBadRequest):
            raise bad_request(str(error)) from error
        if isinstance(error, TelegramServerError | TelegramNetworkError | asyncio.TimeoutError):
            raise Transient(str(error)) from error
        return False


class AiogramTransport:
    """Serves the core over aiogram, by long polling or by webhook."""

    def __init__(self, core: Core, bot: Bot, commands: dict[str, dict[str, str]]):
        self.core = core
        self.bot = bot
        self.commands = commands
        self.sender = AiogramSender(bot)
        self.dp = Dispatcher()
        # aiogram's own update handler feeds these observers; event_update is the whole Update.
        self.dp.message.register(self._on_update)
        self.dp.callback_query.register(self._on_update)
        self.me: User | None = None

    async def _on_update(self, _: object, event_update: Update) -> None:
        assert self.me is not None
        event = to_event(event_update, self.me)
        if event is not None:
            await self.core.process(event)

    async def prepare(self) -> None:
        self.me = await self.bot.get_me()
        self.core.bot_username = self.me.username or ""
        for lang, table in self.commands.items():
            await self.bot.set_my_commands(
                [BotCommand(command=name, description=text) for name, text in table.items()],
                language_code=None if lang == "default" else lang,
            )

    async def poll(self) -> None:
        await self.prepare()
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self.dp.start_polling(
            self.bot,
            handle_signals=False,
            close_bot_session=False,
            polling_timeout=25,
            allowed_updates=["message", "callback_query"],
        )

    async def stop_receiving(self) -> None:
        """Stop taking updates (those being handled still finish)."""
        if self.dp._running_lock.locked():  # start_polling holds this lock while it runs
            await self.dp.stop_polling()

    async def close(self) -> None:
        await self.bot.session.close()

    def webhook_app(self, path: str, secret: str | None) -> web.Application:
        """The aiohttp app that takes Telegram's POSTs (the secret header checked by aiogram)."""
        app = web.Application()
        SimpleRequestHandler(
            self.dp, self.bot, handle_in_background=True, secret_token=secret
        ).register(app, path=path)
        return app

    async def set_webhook(self, url: str, secret: str | None) -> None:
        """Tell Telegram where to post, once the server is listening."""
        await self.prepare()
        await self.bot.set_webhook(
            url, secret_token=secret, allowed_updates=["message", "callback_query"]
        )
