"""python-telegram-bot 22 talks to the stand-in as to Telegram: polling, buttons, errors."""

from __future__ import annotations

import datetime as dt

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.standin import BotAPIStandIn, TgChat, TgUser


def build_app(standin: BotAPIStandIn) -> Application:  # type: ignore[type-arg]
    url = standin.base_url
    return (
        Application.builder()
        .token(standin.token)
        .base_url(url + "/bot")
        .base_file_url(url + "/file/bot")
        .get_updates_request(HTTPXRequest(read_timeout=5))
        .build()
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message
    await update.effective_message.reply_html("<b>欢迎</b> neighbour")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Done", callback_data="done")]])
    await update.effective_message.reply_text(
        f"echo: {update.effective_message.text}", reply_markup=markup
    )


async def done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query
    await query.answer("Marked done", show_alert=True)
    await query.edit_message_text("done ✓")


async def test_polling_echo_and_button(
    standin: BotAPIStandIn, alice: TgUser, bob: TgUser, group: TgChat
) -> None:
    app = build_app(standin)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(done))
    async with app:
        await app.start()
        assert app.updater
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            standin.user_message(alice, text="/start")
            [welcome] = await standin.wait_sent(alice.id)
            assert welcome["text"] == "欢迎 neighbour"
            assert welcome["entities"][0]["type"] == "bold"

            standin.user_message(bob, group, "电梯坏了")
            [reply] = await standin.wait_sent(group.id)
            assert reply["text"] == "echo: 电梯坏了"
            assert reply["reply_to_message"]["text"] == "电梯坏了"

            standin.press_button(bob, group.id, "Done")
            await standin.wait_for(lambda: standin.edits)
            [answer] = standin.answered_callbacks
            assert (answer.text, answer.show_alert, answer.user_id) == ("Marked done", True, bob.id)
            assert standin.message(group.id, reply["message_id"])["text"] == "done ✓"
        finally:
            await app.updater.stop()
            await app.stop()
    assert standin.calls_to("deleteWebhook")  # ptb clears the webhook before polling


async def test_injected_failures_raise_ptb_errors(
    standin: BotAPIStandIn, alice: TgUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # retry_after as a timedelta, without a warning
    bot = Bot(
        standin.token,
        base_url=standin.base_url + "/bot",
        base_file_url=standin.base_url + "/file/bot",
    )
    async with bot:
        standin.fail_next("sendMessage", error_code=429, retry_after=3)
        with pytest.raises(RetryAfter) as retry:
            await bot.send_message(alice.id, "x")
        assert retry.value.retry_after == dt.timedelta(seconds=3)

        standin.fail_next("sendMessage", error_code=403)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(alice.id, "x")

        standin.fail_next("sendMessage", error_code=400, migrate_to_chat_id=-100777)
        with pytest.raises(ChatMigrated) as migrated:
            await bot.send_message(-5, "x")
        assert migrated.value.new_chat_id == -100777

        standin.fail_next("sendMessage", error_code=400, description="Bad Request: chat not found")
        with pytest.raises(BadRequest, match=r"[Cc]hat not found"):
            await bot.send_message(alice.id, "x")

        standin.slow_next("sendMessage", 1.5)
        with pytest.raises(TimedOut):
            await bot.send_message(alice.id, "slow", read_timeout=0.5)

        sent = await bot.send_photo(alice.id, b"\x89PNG\r\n\x1a\n" + b"0" * 30, caption="c")
        file = await bot.get_file(sent.photo[-1].file_id)
        data = await file.download_as_bytearray()
        assert bytes(data).startswith(b"\x89PNG")
        chat = await bot.get_chat(alice.id)
        assert chat.id == alice.id
