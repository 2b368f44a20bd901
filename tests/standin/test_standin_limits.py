"""Telegram's flood limits: beyond them the stand-in answers 429 with retry_after."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter

from bot.standin import ApiError, BotAPIStandIn


async def send(standin: BotAPIStandIn, chat_id: int) -> int | None:
    """None if sent, else the retry_after of the 429."""
    try:
        await standin.execute("sendMessage", {"chat_id": chat_id, "text": "notice"})
    except ApiError as error:
        assert error.error_code == 429
        assert error.description.startswith("Too Many Requests: retry after ")
        assert error.parameters
        return int(error.parameters["retry_after"])
    return None


async def test_private_chat_allows_a_small_burst_then_429(standin: BotAPIStandIn) -> None:
    standin.counter.enforce = True
    results = [await send(standin, 501) for _ in range(5)]
    assert results[:3] == [None, None, None]
    assert results[3] is not None and 1 <= results[3] <= 3


async def test_group_gets_20_a_minute(standin: BotAPIStandIn) -> None:
    standin.counter.enforce = True
    results = [await send(standin, -100501) for _ in range(21)]
    assert results[:20] == [None] * 20
    assert results[20] is not None and results[20] > 50
    stats = standin.stats()
    assert stats["total_sent"] == 20 and stats["total_429"] == 1
    assert stats["max_per_chat_per_minute"] == 20
    assert standin.counter.max_per_minute(-100501) == 20


async def test_overall_30_a_second(standin: BotAPIStandIn) -> None:
    standin.counter.enforce = True
    results = [await send(standin, 1000 + n) for n in range(35)]
    assert results[:30] == [None] * 30
    assert results[30] == 1
    assert standin.stats()["max_per_second"] == 30


async def test_limits_reach_aiogram_as_retry_after(standin: BotAPIStandIn) -> None:
    standin.counter.enforce = True
    bot = Bot(
        standin.token, session=AiohttpSession(api=TelegramAPIServer.from_base(standin.base_url))
    )
    try:
        for _ in range(3):
            await bot.send_message(77, "hi")
        with pytest.raises(TelegramRetryAfter) as error:
            await bot.send_message(77, "hi")
        assert error.value.retry_after >= 1
    finally:
        await bot.session.close()


async def test_counts_without_enforcing(standin: BotAPIStandIn) -> None:
    for _ in range(25):
        assert await send(standin, -100777) is None
    stats = standin.stats()
    assert stats["total_429"] == 0 and stats["per_chat_max_per_minute"]["-100777"] == 25
