"""The python-telegram-bot adapter: what it reads from an update, and what its errors become.

Each update here is also read by the aiogram adapter: the two must agree exactly, since the
handlers behind them are the same.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiogram.types import Update as AiogramUpdate
from aiogram.types import User as AiogramUser
from aiohttp import web
from telegram import Bot, Update, User
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.delivery import ChatMoved, DeliveryError, RetryLater, Transient, Unchanged, Unreachable
from bot.standin import BotAPIStandIn, TgUser
from bot.transports import aiogram_transport, make_transport, ptb_transport
from bot.transports.ptb_transport import PtbSender, PtbTransport, _translated, to_event
from handlers.events import Answer, Button, Chat, Edit, Event, Message, Press, Send, Sender, t

BOT_ID = 4242
BOT_NAME = "linli_bot"
ME = User(BOT_ID, "Linli", is_bot=True, username=BOT_NAME)
AIOGRAM_ME = AiogramUser(id=BOT_ID, is_bot=True, first_name="Linli", username=BOT_NAME)
RESIDENT = {
    "id": 101,
    "is_bot": False,
    "first_name": "陈",
    "last_name": "居民",
    "language_code": "zh-hans",
}
PRIVATE = {"id": 101, "type": "private", "first_name": "陈"}
GROUP = {"id": -1001, "type": "supergroup", "title": "铜都花园居民群"}


def update(message: dict[str, Any] | None = None, **other: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"update_id": 500, **other}
    if message is not None:
        body["message"] = {
            "message_id": 7,
            "date": 0,
            "chat": PRIVATE,
            "from": RESIDENT,
            **message,
        }
    return body


def command(text: str) -> list[dict[str, Any]]:
    return [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]


def read(data: dict[str, Any]) -> Event | None:
    """The ptb adapter's event, after checking the aiogram adapter reads the same."""
    event = to_event(Update.de_json(data, None), ME)
    assert aiogram_transport.to_event(AiogramUpdate.model_validate(data), AIOGRAM_ME) == event
    return event


# --- updates in --------------------------------------------------------------------------------


def test_a_private_text_is_a_message_from_its_sender() -> None:
    event = read(update({"text": "3号楼楼道灯坏了"}))
    assert event == Message(
        500,
        Chat(101, "private", ""),
        Sender(101, "陈 居民", None, "zh-hans"),
        7,
        "3号楼楼道灯坏了",
    )


def test_a_command_with_arguments() -> None:
    event = read(update({"text": "/report 楼道灯坏了", "entities": command("/report")}))
    assert isinstance(event, Message)
    assert (event.command, event.args) == ("report", "楼道灯坏了")


def test_a_command_named_for_this_bot_is_taken_and_one_for_another_bot_ignored() -> None:
    mine = read(update({"text": "/My@Linli_Bot", "entities": command("/My@Linli_Bot")}))
    assert isinstance(mine, Message) and mine.command == "my" and mine.args == ""
    theirs = update({"text": "/my@other_bot", "entities": command("/my@other_bot")})
    assert read(theirs) is None


def test_a_mention_of_the_bot_in_a_group_addresses_it_even_after_an_emoji() -> None:
    text = "🏠 @linli_bot 楼道里堆满了杂物"  # the emoji is two UTF-16 units: the offset is 3
    mention = [{"type": "mention", "offset": 3, "length": 10}]
    event = read(update({"chat": GROUP, "text": text, "entities": mention}))
    assert isinstance(event, Message) and event.addressed
    assert event.chat == Chat(-1001, "supergroup", "铜都花园居民群")
    other = [{"type": "mention", "offset": 0, "length": 6}]
    chatter = read(update({"chat": GROUP, "text": "@other 吃了吗", "entities": other}))
    assert isinstance(chatter, Message) and not chatter.addressed


def test_a_reply_to_the_bot_addresses_it_and_a_reply_to_a_neighbour_does_not() -> None:
    def replying_to(author: dict[str, Any]) -> dict[str, Any]:
        quoted = {"message_id": 3, "date": 0, "chat": GROUP, "from": author, "text": "…"}
        return update({"chat": GROUP, "text": "还是坏的", "reply_to_message": quoted})

    bot = {"id": BOT_ID, "is_bot": True, "first_name": "Linli", "username": BOT_NAME}
    to_bot = read(replying_to(bot))
    assert isinstance(to_bot, Message) and to_bot.addressed
    to_neighbour = read(replying_to({"id": 102, "is_bot": False, "first_name": "李"}))
    assert isinstance(to_neighbour, Message) and not to_neighbour.addressed


def test_a_photo_with_a_caption_carries_the_largest_size_and_the_caption() -> None:
    sizes = [
        {"file_id": f"photo-{w}", "file_unique_id": f"u{w}", "width": w, "height": w}
        for w in (90, 320, 1280)
    ]
    caption = "/report 单元门的锁坏了"
    event = read(update({"photo": sizes, "caption": caption, "caption_entities": command(caption)}))
    assert isinstance(event, Message)
    assert (event.photo, event.text, event.media) == ("photo-1280", caption, None)
    assert (event.command, event.args) == ("report", "单元门的锁坏了")
    bare = read(update({"photo": sizes}))
    assert isinstance(bare, Message) and (bare.photo, bare.text, bare.media) == (
        "photo-1280",
        "",
        None,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sticker", {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1,
                     "height": 1, "is_animated": False, "is_video": False}),
        ("voice", {"file_id": "v", "file_unique_id": "v", "duration": 3}),
        ("location", {"latitude": 30.2, "longitude": 115.0}),
    ],
)  # fmt: skip
def test_content_without_text_is_media_of_its_kind(field: str, value: dict[str, Any]) -> None:
    event = read(update({field: value}))
    assert isinstance(event, Message) and (event.media, event.text) == (field, "")


def test_messages_from_bots_and_other_kinds_of_update_are_ignored() -> None:
    other_bot = {"id": 999, "is_bot": True, "first_name": "Spam"}
    assert read(update({"from": other_bot, "text": "买房吗"})) is None
    edited = {"message_id": 7, "date": 0, "edit_date": 1, "chat": PRIVATE, "from": RESIDENT}
    assert read(update(edited_message={**edited, "text": "改过的"})) is None


def test_a_button_press_is_a_press_in_the_chat_of_its_message() -> None:
    card = {
        "message_id": 55,
        "date": 0,
        "chat": {"id": 201, "type": "private", "first_name": "王"},
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Linli"},
        "text": "新工单",
    }
    worker = {
        "id": 201,
        "is_bot": False,
        "first_name": "王",
        "last_name": "网格",
        "username": "wgw",
    }
    data = update(
        callback_query={
            "id": "q1",
            "from": worker,
            "chat_instance": "ci",
            "message": card,
            "data": "tk:accept:1:0",
        }
    )
    assert read(data) == Press(
        500,
        "q1",
        Chat(201, "private", ""),
        Sender(201, "王 网格", "wgw", None),
        55,
        "tk:accept:1:0",
    )


# --- errors out --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (RetryAfter(timedelta(seconds=3)), RetryLater(3.0)),
        (RetryAfter(7), RetryLater(7.0)),
        (ChatMigrated(-100777), ChatMoved(-100777)),
        (Forbidden("Forbidden: bot was blocked by the user"), Unreachable("")),
        (InvalidToken("Not Found"), Unreachable("")),
        (BadRequest("Message is not modified: same text"), Unchanged("")),
        (BadRequest("Chat not found"), Unreachable("")),
        (BadRequest("User is deactivated"), Unreachable("")),
        (BadRequest("Message to be replied not found"), Transient("")),
        (BadRequest("Can't parse entities"), Unreachable("")),
        (TimedOut(), Transient("")),
        (NetworkError("Bad Gateway"), Transient("")),
        (TimeoutError(), Transient("")),
    ],
    ids=lambda value: type(value).__name__,
)
async def test_ptb_errors_become_the_projects_own(
    raised: Exception, expected: DeliveryError
) -> None:
    with pytest.raises(type(expected)) as caught:
        async with _translated():
            raise raised
    assert caught.value.__cause__ is raised
    error = caught.value
    if isinstance(expected, RetryLater):
        assert isinstance(error, RetryLater) and error.seconds == expected.seconds
    if isinstance(expected, ChatMoved):
        assert isinstance(error, ChatMoved) and error.new_chat_id == expected.new_chat_id


async def test_anything_else_passes_through() -> None:
    with pytest.raises(KeyError):
        async with _translated():
            raise KeyError("a bug of ours")


# --- against the stand-in ----------------------------------------------------------------------


@pytest.fixture
async def standin() -> AsyncIterator[BotAPIStandIn]:
    api = BotAPIStandIn(webhook_retry_delays=(0.05,))
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def sender(standin: BotAPIStandIn) -> AsyncIterator[PtbSender]:
    application = ptb_transport.make_application(standin.token, standin.base_url)
    async with application:
        yield PtbSender(application.bot)


async def test_a_send_carries_its_buttons_and_reply_and_an_edit_replaces_them(
    standin: BotAPIStandIn, sender: PtbSender
) -> None:
    resident = TgUser(101, "陈")
    said = standin.user_message(resident, text="楼道灯坏了")["message"]["message_id"]
    buttons = ((Button(t("btn-accept"), data="tk:accept:1:0"), Button("地图", url="https://x.cn")),)
    sent = await sender.send(Send(101, "收到", buttons, reply_to=said))
    message = standin.message(101, sent)
    assert message["text"] == "收到" and message["reply_to_message"]["message_id"] == said
    row = message["reply_markup"]["inline_keyboard"][0]
    assert row[0] == {"text": "btn-accept", "callback_data": "tk:accept:1:0"}
    assert row[1] == {"text": "地图", "url": "https://x.cn"}

    await sender.edit(Edit(101, sent, "已受理"))
    assert standin.message(101, sent)["text"] == "已受理"
    assert "reply_markup" not in standin.message(101, sent)
    with pytest.raises(Unchanged):
        await sender.edit(Edit(101, sent, "已受理"))


async def test_a_photo_goes_with_its_caption(standin: BotAPIStandIn, sender: PtbSender) -> None:
    update = standin.user_message(TgUser(101, "陈"), photo=True, caption="锁坏了")
    photo = update["message"]["photo"][-1]["file_id"]
    sent = await sender.send(Send(201, "新工单：锁坏了", photo=photo))
    message = standin.message(201, sent)
    assert message["caption"] == "新工单：锁坏了" and message["photo"]


async def test_telegrams_refusals_arrive_as_the_projects_errors(
    standin: BotAPIStandIn, sender: PtbSender
) -> None:
    standin.fail_next("sendMessage", error_code=429, retry_after=3)
    with pytest.raises(RetryLater) as retry:
        await sender.send(Send(101, "x"))
    assert retry.value.seconds == 3
    standin.fail_next("sendMessage", error_code=403)
    with pytest.raises(Unreachable, match="blocked"):
        await sender.send(Send(101, "x"))
    standin.fail_next("sendMessage", error_code=400, migrate_to_chat_id=-100777)
    with pytest.raises(ChatMoved) as moved:
        await sender.send(Send(-5, "x"))
    assert moved.value.new_chat_id == -100777
    standin.fail_next("sendMessage", error_code=502)
    with pytest.raises(Transient):
        await sender.send(Send(101, "x"))
    standin.fail_next(
        "answerCallbackQuery", error_code=400, description="Bad Request: chat not found"
    )
    with pytest.raises(Unreachable):
        await sender.answer(Answer("no-such-query", "好"))


async def test_a_telegram_that_does_not_answer_is_transient(standin: BotAPIStandIn) -> None:
    bot = Bot(
        standin.token,
        base_url=standin.base_url + "/bot",
        request=HTTPXRequest(read_timeout=0.2),
    )
    async with bot:
        standin.slow_next("sendMessage", 1.0)
        with pytest.raises(Transient):
            await PtbSender(bot).send(Send(101, "slow"))  # type: ignore[arg-type]


# --- serving -----------------------------------------------------------------------------------


class EchoCore:
    """Stands in for bot.runtime.Core: answers every message with its text, through ptb."""

    def __init__(self, slow_chat: int | None = None) -> None:
        self.bot_username = ""
        self.sender: PtbSender | None = None
        self.slow_chat = slow_chat
        self.answered: list[int] = []

    async def process(self, event: Event) -> None:
        assert isinstance(event, Message) and self.sender is not None
        if event.chat.id == self.slow_chat:
            await asyncio.sleep(0.5)
        await self.sender.send(Send(event.chat.id, f"echo: {event.text}"))
        self.answered.append(event.chat.id)


def transport_for(standin: BotAPIStandIn, core: EchoCore) -> PtbTransport:
    transport = make_transport("ptb", core, standin.token, standin.base_url, {"default": {}})  # type: ignore[arg-type]
    assert isinstance(transport, PtbTransport)
    core.sender = transport.sender
    return transport


async def test_one_slow_update_does_not_hold_up_another_persons(standin: BotAPIStandIn) -> None:
    core = EchoCore(slow_chat=101)
    transport = transport_for(standin, core)
    polling = asyncio.create_task(transport.poll())
    try:
        await standin.wait_for(lambda: standin.calls_to("deleteWebhook"), 5)
        standin.user_message(TgUser(101, "陈"), text="先到")
        standin.user_message(TgUser(102, "李"), text="后到")
        await standin.wait_for(lambda: len(standin.sent()) == 2, 5)
        order = [m["chat"]["id"] for m in standin.sent()]
        assert order == [102, 101]  # ptb's default (one update at a time) gives 101, 102
        assert core.bot_username == "linli_bot"
    finally:
        await transport.stop_receiving()
        await asyncio.wait_for(polling, 5)
        await transport.close()
    assert standin.calls_to("getUpdates")[-1].params.get("timeout") == "0"  # the offset confirmed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_webhook_checks_the_secret_and_refuses_updates_while_stopping(
    standin: BotAPIStandIn,
) -> None:
    core = EchoCore()
    transport = transport_for(standin, core)
    runner = web.AppRunner(transport.webhook_app("/hook", "s3cret"))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}/hook"
    try:
        await transport.set_webhook(url, "s3cret")
        assert standin.calls_to("setWebhook")[-1].params["secret_token"] == "s3cret"
        body = update({"text": "你好"})
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=body) as refused:
                assert refused.status == 401
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
            async with http.post(url, json=body, headers=headers) as taken:
                assert taken.status == 200
            await standin.wait_for(lambda: standin.sent(101), 5)
            assert standin.sent(101)[-1]["text"] == "echo: 你好"
            await transport.stop_receiving()
            async with http.post(url, json=body, headers=headers) as later:
                assert later.status == 503  # Telegram delivers it again after the restart
    finally:
        await transport.stop_receiving()
        await transport.close()
        await runner.cleanup()
    assert core.answered == [101]


def test_the_application_is_configured_for_many_people_at_once() -> None:
    application = ptb_transport.make_application("1:x", "http://127.0.0.1:1")
    assert application.concurrent_updates == ptb_transport.CONCURRENT_UPDATES
    request = application.bot.request
    assert isinstance(request, HTTPXRequest) and request.read_timeout == ptb_transport.READ_TIMEOUT
    default = ptb_transport.make_application("1:x", None, tuned=False)
    assert default.concurrent_updates == 1  # why a default ptb bot is slow
    assert default.bot.base_url == "https://api.telegram.org/bot1:x"


def test_an_unknown_transport_is_refused() -> None:
    with pytest.raises(ValueError, match="aiogram or ptb"):
        make_transport("telethon", None, "1:x", None, {})  # type: ignore[arg-type]
