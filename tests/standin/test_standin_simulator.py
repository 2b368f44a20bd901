"""The simulator's JSON API: a person writes, taps a button, and sees the bot's answers."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiohttp import web

import locales
from bot.simulator import SIM_TEXT_KEYS, SimGroup, SimPerson, mount_simulator
from bot.standin import BotAPIStandIn
from handlers.i18n import Texts

CATALOGUES = Texts.load(locales.DIRECTORY, ZoneInfo("Asia/Shanghai"))


def sim_text(key: str, lang: str) -> str:
    """The simulator's labels from the project's catalogues, as bot/simulate.py serves them."""
    return CATALOGUES.get("en" if lang == "en" else "zh_Hans", key)


RESIDENT = SimPerson(8001, "李娜", "resident", groups=(SimGroup(-100800, "3 号楼"),))
GRID_WORKER = SimPerson(8002, "张伟", "grid_worker", groups=(SimGroup(-100800, "3 号楼"),))


async def sample_people() -> list[SimPerson]:
    return [RESIDENT, GRID_WORKER]


def dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.message(F.photo)
    async def photo(message: Message) -> None:
        await message.answer(f"收到照片：{message.caption}")

    @dp.message(F.text == "/start")
    async def start(message: Message) -> None:
        keyboard = ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text="报事")]], resize_keyboard=True
        )
        await message.answer("欢迎", reply_markup=keyboard)

    @dp.message(F.chat.type == "private")
    async def report(message: Message, bot: Bot) -> None:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="确认", callback_data="ok")]]
        )
        text = f"<b>工单</b> #1\n{html.escape(message.text or '')} &amp; <i>待处理</i>"
        await message.answer(text, parse_mode="HTML", reply_markup=markup)
        await bot.send_message(GRID_WORKER.user_id, "新工单 #1")

    @dp.callback_query(F.data == "ok")
    async def confirm(query: CallbackQuery) -> None:
        await query.answer("已确认")
        assert isinstance(query.message, Message)
        await query.message.edit_text("工单 #1 已确认")

    return dp


@pytest.fixture
async def site(standin: BotAPIStandIn) -> AsyncIterator[str]:
    """The stand-in and the simulator on one port, with an aiogram bot polling it."""
    app = web.Application()
    standin.install(app)
    mount_simulator(app, standin, sample_people, sim_text)
    runner = web.AppRunner(app, shutdown_timeout=0.25)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    bot = Bot(standin.token, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    dp = dispatcher()
    polling = asyncio.create_task(dp.start_polling(bot, polling_timeout=1, handle_signals=False))
    yield url
    await dp.stop_polling()
    await polling
    await runner.cleanup()


async def poll_until(
    http: aiohttp.ClientSession, url: str, user_id: int, since: int, check: Any
) -> dict[str, Any]:
    for _ in range(100):
        async with http.get(
            f"{url}/sim/api/poll", params={"user_id": user_id, "since": since}
        ) as r:
            data: dict[str, Any] = await r.json()
        if check(data):
            return data
        await asyncio.sleep(0.05)
    raise AssertionError(f"poll never matched; last: {data}")


async def test_page_and_texts(site: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{site}/") as response:
            assert response.status == 200
            assert "/sim/static/app.js" in await response.text()
        for name in ("app.js", "style.css"):
            async with http.get(f"{site}/sim/static/{name}") as response:
                assert response.status == 200
        async with http.get(f"{site}/sim/api/texts", params={"lang": "en"}) as response:
            texts = await response.json()
        assert texts["sim-send"] == "Send"
        assert set(texts) == set(SIM_TEXT_KEYS)
        assert all(texts[key] != key for key in SIM_TEXT_KEYS)  # every label is translated
        async with http.get(f"{site}/sim/api/people", params={"lang": "zh"}) as response:
            people = await response.json()
        assert [p["role_label"] for p in people["people"]] == ["居民", "网格员"]
        assert people["people"][0]["chats"][1] == {
            "id": -100800,
            "type": "supergroup",
            "title": "3 号楼",
        }


async def test_a_resident_reports_and_the_grid_worker_is_pinged(
    site: str, standin: BotAPIStandIn
) -> None:
    async with aiohttp.ClientSession() as http:
        me, chat = RESIDENT.user_id, RESIDENT.user_id
        await http.get(f"{site}/sim/api/people")
        async with http.post(
            f"{site}/sim/api/send", json={"user_id": me, "chat_id": chat, "text": "/start"}
        ) as response:
            assert (await response.json())["message"]["text"] == "/start"
        data = await poll_until(http, site, me, 0, lambda d: str(chat) in d["keyboards"])
        assert data["keyboards"][str(chat)]["keyboard"][0][0]["text"] == "报事"

        async with http.post(
            f"{site}/sim/api/send", json={"user_id": me, "chat_id": chat, "text": "水管 <漏>"}
        ):
            pass
        data = await poll_until(
            http, site, me, data["seq"], lambda d: any(m["from"]["is_bot"] for m in d["messages"])
        )
        [ticket] = [m for m in data["messages"] if m["from"]["is_bot"]]
        assert ticket["text"] == "工单 #1\n水管 <漏> & 待处理"
        assert [e["type"] for e in ticket["entities"]] == ["bold", "italic"]

        # the grid worker sees an unread ping in their private chat
        worker = await poll_until(
            http, site, GRID_WORKER.user_id, 0, lambda d: d["unread"][str(GRID_WORKER.user_id)]
        )
        assert worker["unread_people"][str(GRID_WORKER.user_id)] == 1
        await http.post(
            f"{site}/sim/api/read",
            json={"user_id": GRID_WORKER.user_id, "chat_id": GRID_WORKER.user_id},
        )
        worker = await poll_until(http, site, GRID_WORKER.user_id, 0, lambda d: True)
        assert worker["unread"][str(GRID_WORKER.user_id)] == 0

        seq = data["seq"]
        async with http.post(
            f"{site}/sim/api/press",
            json={"user_id": me, "chat_id": chat, "message_id": ticket["message_id"], "data": "ok"},
        ) as response:
            query_id = (await response.json())["callback_query_id"]
        data = await poll_until(
            http, site, me, seq, lambda d: d["answers"] and any(m["edited"] for m in d["messages"])
        )
        assert data["answers"][0]["callback_query_id"] == query_id
        assert data["answers"][0]["text"] == "已确认"
        assert data["messages"][-1]["text"] == "工单 #1 已确认"

        form = aiohttp.FormData()
        form.add_field("user_id", str(me))
        form.add_field("chat_id", str(chat))
        form.add_field("caption", "楼道")
        async with http.post(f"{site}/sim/api/photo", data=form) as response:
            photo = (await response.json())["message"]["photo"]
        async with http.get(f"{site}{photo}") as response:
            assert (await response.read()).startswith(b"\x89PNG")
        await standin.wait_for(lambda: standin.last_sent(chat)["text"] == "收到照片：楼道")  # type: ignore[index]


async def test_newcomer_gets_a_fresh_id_and_cannot_post_elsewhere(site: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{site}/sim/api/newcomer", json={"lang": "en"}) as response:
            newcomer = await response.json()
        assert newcomer["name"] == "New resident 1" and newcomer["id"] == 990_000_001
        assert newcomer["role_label"] == "Newcomer, not registered yet"
        async with http.post(
            f"{site}/sim/api/send",
            json={"user_id": newcomer["id"], "chat_id": -100800, "text": "hi"},
        ) as response:
            assert response.status == 403
