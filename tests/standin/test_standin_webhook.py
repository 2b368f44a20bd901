"""Webhook mode: delivery with the secret header, redelivery on failure, deliberate duplicates."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramConflictError
from aiogram.methods import SendMessage
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.standin import BotAPIStandIn, TgUser

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def receiver() -> AsyncIterator[Callable[[web.Application], Awaitable[str]]]:
    """Serve an aiohttp app on a free loopback port; its base URL."""
    runners: list[web.AppRunner] = []

    async def serve(app: web.Application) -> str:
        runner = web.AppRunner(app, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield serve
    for runner in runners:
        await runner.cleanup()


async def test_aiogram_webhook_with_secret(
    standin: BotAPIStandIn, receiver: Callable[[web.Application], Awaitable[str]], alice: TgUser
) -> None:
    bot = Bot(
        standin.token, session=AiohttpSession(api=TelegramAPIServer.from_base(standin.base_url))
    )
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    app = web.Application()
    SimpleRequestHandler(dp, bot, secret_token="s3cr3t-token").register(app, "/hook")
    url = await receiver(app)
    assert await bot.set_webhook(f"{url}/hook", secret_token="s3cr3t-token")
    try:
        standin.user_message(alice, text="hello")
        [reply] = await standin.wait_sent(alice.id)
        assert reply["text"] == "echo: hello"
        info = await bot.get_webhook_info()
        assert info.url == f"{url}/hook" and info.pending_update_count == 0
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()
    finally:
        await bot.delete_webhook()
        await bot.session.close()


async def test_webhook_reply_in_response_body(
    standin: BotAPIStandIn, receiver: Callable[[web.Application], Awaitable[str]], alice: TgUser
) -> None:
    bot = Bot(
        standin.token, session=AiohttpSession(api=TelegramAPIServer.from_base(standin.base_url))
    )
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> SendMessage:
        return message.answer(f"inline: {message.text}")

    app = web.Application()
    SimpleRequestHandler(dp, bot, handle_in_background=False).register(app, "/hook")
    await bot.set_webhook(await receiver(app) + "/hook")
    try:
        standin.user_message(alice, text="你好")
        [reply] = await standin.wait_sent(alice.id)
        assert reply["text"] == "inline: 你好"
    finally:
        await bot.session.close()


async def test_redelivery_until_2xx_and_duplicates(
    standin: BotAPIStandIn, receiver: Callable[[web.Application], Awaitable[str]], alice: TgUser
) -> None:
    seen: list[tuple[int, str | None]] = []

    async def flaky(request: web.Request) -> web.Response:
        update = await request.json()
        seen.append((update["update_id"], request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.Response(status=500 if len(seen) <= 2 else 200)

    app = web.Application()
    app.router.add_post("/hook", flaky)
    url = await receiver(app)
    await standin.execute("setWebhook", {"url": f"{url}/hook", "secret_token": "abc"})

    first = standin.user_message(alice, text="one")
    await standin.wait_for(lambda: len(seen) == 3)
    assert seen == [(first["update_id"], "abc")] * 3
    hook = standin.webhook
    assert hook is not None and hook.last_error_message and "500" in hook.last_error_message

    standin.duplicate_next()
    second = standin.user_message(alice, text="two")
    await standin.wait_for(lambda: len(seen) == 5)
    assert [update_id for update_id, _ in seen[3:]] == [second["update_id"]] * 2

    await standin.execute("deleteWebhook", {})
    standin.user_message(alice, text="three")
    updates = await standin.execute("getUpdates", {"timeout": 0})
    assert [u["message"]["text"] for u in updates] == ["three"]


async def test_webhook_only_to_loopback(standin: BotAPIStandIn) -> None:
    from bot.standin import ApiError

    with pytest.raises(ApiError, match=r"127\.0\.0\.1"):
        await standin.execute("setWebhook", {"url": "https://example.com/hook"})


async def test_an_update_failing_while_the_bot_restarts_is_not_lost(
    standin: BotAPIStandIn, receiver: Callable[[web.Application], Awaitable[str]], alice: TgUser
) -> None:
    """Regression: setWebhook during a retry's backoff dropped the update being retried."""
    got: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        got.append((await request.json())["update_id"])
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    url = await receiver(app)
    standin.webhook_retry_delays = (5.0,)  # the retry would come too late for this test
    await standin.execute("setWebhook", {"url": url.replace("127.0.0.1", "localhost") + "/gone"})
    update = standin.user_message(alice, text="during the restart")
    hook_state = standin.webhook
    assert hook_state is not None
    await standin.wait_for(lambda: hook_state.attempts == 1)
    await standin.execute("setWebhook", {"url": f"{url}/hook"})
    await standin.wait_for(lambda: got == [update["update_id"]], timeout=2)
