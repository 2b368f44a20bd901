"""`linli run` without a token: the simulator serves the sample organisation, and a newcomer
walks the loop through its page's JSON API (report → ping → accept → resolve → rating)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import build, serve
from bot.config import DatabaseSettings, Settings, SimulatorSettings
from tests.e2e.conftest import free_port

RESIDENT, WORKER = 1001, 2001  # 铜都社区: a resident of 铜都花园 2栋 and the grid worker there


@pytest.fixture
async def simulator(tmp_path: Path) -> AsyncIterator[str]:
    port = free_port()
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'sim.db'}"),
        simulator=SimulatorSettings(port=port),
    )
    app = build(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, stop=stop, clock_jobs=False))
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                async with http.get(f"{url}/sim/api/people") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    try:
        yield url
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
        app.engine.dispose()


async def wait_message(
    http: aiohttp.ClientSession, url: str, user: int, match: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    for _ in range(100):
        async with http.get(f"{url}/sim/api/poll", params={"user_id": user, "since": 0}) as r:
            found = [m for m in (await r.json())["messages"] if match(m)]
        if found:
            return found[-1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no such message for {user}")


def _button(message: dict[str, Any], label: str) -> str:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return next(b["callback_data"] for row in rows for b in row if label in b["text"])


async def test_a_newcomer_walks_the_whole_loop(simulator: str) -> None:
    url = simulator
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/sim/api/people") as response:
            people = {p["id"]: p for p in (await response.json())["people"]}
        assert people[RESIDENT]["role"] == "resident" and people[WORKER]["role"] == "grid_worker"
        assert any(c["type"] != "private" for c in people[RESIDENT]["chats"])  # the compound group

        async def send(user: int, text: str) -> None:
            body = {"user_id": user, "chat_id": user, "text": text}
            async with http.post(f"{url}/sim/api/send", json=body) as response:
                assert response.status == 200

        async def press(user: int, message: dict[str, Any], label: str) -> None:
            body = {
                "user_id": user,
                "chat_id": user,
                "message_id": message["message_id"],
                "data": _button(message, label),
            }
            async with http.post(f"{url}/sim/api/press", json=body) as response:
                assert response.status == 200

        def says(text: str) -> Callable[[dict[str, Any]], bool]:
            return lambda m: text in (m.get("text") or m.get("caption") or "")

        await send(RESIDENT, "2号楼楼道灯坏了，晚上看不见")
        await wait_message(http, url, RESIDENT, says("TD-"))
        ping = await wait_message(http, url, WORKER, says("新工单"))
        await press(WORKER, ping, "受理")
        await wait_message(http, url, RESIDENT, says("受理"))
        card = await wait_message(http, url, WORKER, says("处理中"))
        await press(WORKER, card, "办结")
        await wait_message(http, url, WORKER, says("怎么处理的"))
        await send(WORKER, "换了新灯泡")
        done = await wait_message(http, url, RESIDENT, says("已办结"))
        await press(RESIDENT, done, "满意")
        await wait_message(http, url, RESIDENT, says("谢谢"))

        async with http.get(f"{url}/sim/api/texts", params={"lang": "zh"}) as response:
            labels = await response.json()
        assert labels and all(not text.startswith("sim-") for text in labels.values())
