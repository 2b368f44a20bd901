"""aiogram 3 talks to the stand-in as to Telegram: polling, buttons, edits, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F
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
    TelegramUnauthorizedError,
)
from aiogram.filters import Command
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.standin import BotAPIStandIn, TgChat, TgUser


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=t.lower()) for t in labels]]
    )


@pytest.fixture
async def bot(standin: BotAPIStandIn) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(standin.base_url))
    bot = Bot(standin.token, session=session)
    yield bot
    await bot.session.close()


def echo_dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.message(Command("start"))
    async def start(message: Message) -> None:
        await message.answer("<b>Welcome</b>, neighbour", parse_mode="HTML")

    @dp.message(F.photo)
    async def photo(message: Message, bot: Bot) -> None:
        assert message.photo
        file = await bot.get_file(message.photo[-1].file_id)
        assert file.file_path
        data = await bot.download_file(file.file_path)
        assert data is not None
        await message.answer(f"photo {len(data.read())} bytes: {message.caption}")

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}", reply_markup=keyboard("Done", "Later"))

    @dp.callback_query(F.data == "done")
    async def done(query: CallbackQuery) -> None:
        await query.answer("Marked done")
        assert isinstance(query.message, Message)
        await query.message.edit_text("done ✓")

    return dp


async def test_polling_echo_button_and_edit(
    standin: BotAPIStandIn, bot: Bot, alice: TgUser
) -> None:
    dp = echo_dispatcher()
    polling = asyncio.create_task(
        dp.start_polling(bot, polling_timeout=1, handle_signals=False, close_bot_session=False)
    )
    try:
        standin.user_message(alice, text="/start")
        [welcome] = await standin.wait_sent(alice.id)
        assert welcome["text"] == "Welcome, neighbour"
        assert welcome["entities"] == [{"type": "bold", "offset": 0, "length": 7}]

        standin.user_message(alice, text="水管漏了")
        [reply] = await standin.wait_sent(alice.id)
        assert reply["text"] == "echo: 水管漏了"
        assert reply["from"]["is_bot"] is True

        standin.press_button(alice, alice.id, "Done")
        await standin.wait_for(lambda: standin.edits)
        assert standin.answered_callbacks[0].text == "Marked done"
        assert standin.message(alice.id, reply["message_id"])["text"] == "done ✓"
        assert "reply_markup" not in standin.message(alice.id, reply["message_id"])

        standin.user_message(alice, photo=True, caption="楼道灯坏了")
        [answer] = await standin.wait_sent(alice.id)
        assert answer["text"].startswith("photo ")
        assert answer["text"].endswith(": 楼道灯坏了")
    finally:
        await dp.stop_polling()
        await polling
    methods = {call.method for call in standin.calls}
    assert {"getMe", "getUpdates", "sendMessage", "answerCallbackQuery"} <= methods


async def test_group_command_with_bot_name(
    standin: BotAPIStandIn, bot: Bot, bob: TgUser, group: TgChat
) -> None:
    dp = echo_dispatcher()
    polling = asyncio.create_task(
        dp.start_polling(bot, polling_timeout=1, handle_signals=False, close_bot_session=False)
    )
    try:
        update = standin.user_message(bob, group, "/start@linli_bot")
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 16}]
        [welcome] = await standin.wait_sent(group.id)
        assert welcome["chat"]["title"] == group.title
    finally:
        await dp.stop_polling()
        await polling


async def test_methods_round_trip(standin: BotAPIStandIn, bot: Bot, alice: TgUser) -> None:
    me = await bot.get_me()
    assert me.username == "linli_bot"
    await bot.set_my_commands([BotCommand(command="report", description="Report a problem")])
    assert [c.command for c in await bot.get_my_commands()] == ["report"]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []

    standin.user_message(alice, text="hi")
    sent = await bot.send_message(alice.id, "first", reply_markup=keyboard("A"))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "first", chat_id=alice.id, message_id=sent.message_id, reply_markup=keyboard("A")
        )
    edited = await bot.edit_message_reply_markup(
        chat_id=alice.id, message_id=sent.message_id, reply_markup=keyboard("B")
    )
    assert isinstance(edited, Message)
    photo = await bot.send_photo(
        alice.id,
        BufferedInputFile(b"\x89PNG\r\n\x1a\nfake", "p.png"),
        caption="<i>c</i>",
        parse_mode="HTML",
    )
    assert photo.photo and photo.caption == "c"
    await bot.edit_message_caption(chat_id=alice.id, message_id=photo.message_id, caption="d")
    doc = await bot.send_document(alice.id, BufferedInputFile(b"a,b\n1,2\n", "report.csv"))
    assert doc.document and doc.document.file_name == "report.csv"
    assert await bot.send_chat_action(alice.id, "typing")
    assert await bot.pin_chat_message(alice.id, sent.message_id)
    chat = await bot.get_chat(alice.id)
    assert chat.pinned_message and chat.pinned_message.message_id == sent.message_id
    assert await bot.unpin_chat_message(alice.id)
    member = await bot.get_chat_member(alice.id, alice.id)
    assert member.status == "member"
    assert await bot.delete_message(alice.id, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(alice.id, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(alice.id, "1 <2> 3", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(
            alice.id,
            "x",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="y" * 65)]]
            ),
        )
    info = await bot.get_webhook_info()
    assert info.url == ""


async def test_injected_failures_raise_aiogram_errors(
    standin: BotAPIStandIn, bot: Bot, alice: TgUser
) -> None:
    standin.fail_next("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(alice.id, "x")
    assert retry.value.retry_after == 7

    standin.fail_next("sendMessage", error_code=403)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "x")

    standin.fail_next("sendMessage", error_code=400, migrate_to_chat_id=-1009999, chat_id=-42)
    await bot.send_message(alice.id, "not the failing chat")
    with pytest.raises(TelegramMigrateToChat) as migrated:
        await bot.send_message(-42, "x")
    assert migrated.value.migrate_to_chat_id == -1009999

    standin.fail_next("sendMessage", error_code=400, description="Bad Request: chat not found")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(alice.id, "x")

    standin.fail_next("*", error_code=502, description="Bad Gateway")
    with pytest.raises(TelegramServerError):
        await bot.get_me()

    standin.slow_next("sendMessage", 2.0)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(alice.id, "slow", request_timeout=1)

    standin.block(alice)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(alice.id, "x")


async def test_bad_token_and_unknown_method(standin: BotAPIStandIn) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(standin.base_url))
    stranger = Bot("42:WRONG-token", session=session)
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    finally:
        await session.close()
    session = AiohttpSession(api=TelegramAPIServer.from_base(standin.base_url))
    bot = Bot(standin.token, session=session)
    try:
        from aiogram.methods import SendGame

        with pytest.raises(TelegramNotFound):
            await bot(SendGame(chat_id=1, game_short_name="x"))
    finally:
        await session.close()
