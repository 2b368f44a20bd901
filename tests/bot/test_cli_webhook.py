"""`linli webhook set|info|delete` against the Bot API stand-in, over HTTP with aiogram."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.standin import DEFAULT_TOKEN, BotAPIStandIn, TgUser

URL = "https://127.0.0.1:8443/telegram/webhook"  # the stand-in delivers only to loopback
SECRET = "webhook-secret-123"


@pytest.fixture
async def standin(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotAPIStandIn]:
    api = BotAPIStandIn(webhook_retry_delays=(60,))  # nothing listens at URL: no hurry
    await api.start()
    for name, value in (
        ("LINLI_TELEGRAM_TOKEN", DEFAULT_TOKEN),
        ("LINLI_TELEGRAM_API_URL", api.base_url),
        ("LINLI_WEBHOOK_URL", URL),
        ("LINLI_WEBHOOK_SECRET", SECRET),
    ):
        monkeypatch.setenv(name, value)
    yield api
    await api.stop()


async def linli(*args: str) -> Result:
    """The command in a thread of its own: it runs its own event loop, as from a shell."""
    return await asyncio.to_thread(CliRunner().invoke, main, list(args))


async def test_set_info_delete(standin: BotAPIStandIn) -> None:
    standin.user_message(TgUser(101, "陈居民"), text="在吗")  # one update waiting at Telegram

    result = await linli("webhook", "set", "--max-connections", "10")

    assert result.exit_code == 0, result.output
    call = standin.calls_to("setWebhook")[-1].params  # as sent over HTTP
    assert (call["url"], call["secret_token"], call["max_connections"]) == (URL, SECRET, "10")
    assert call["allowed_updates"] == ["message", "callback_query"]
    assert result.output.splitlines()[:3] == [
        f"url: {URL}",
        "pending updates: 1",
        "max connections: 10",
    ]

    info = await linli("webhook", "info")
    assert info.exit_code == 0 and f"url: {URL}" in info.output

    deleted = await linli("webhook", "delete", "--drop-pending")
    assert (deleted.exit_code, deleted.output) == (0, "webhook deleted\n")
    assert standin.calls_to("deleteWebhook")[-1].params["drop_pending_updates"] == "true"
    assert (await linli("webhook", "info")).output.splitlines()[:2] == [
        "url: (none: the bot polls)",
        "pending updates: 0",
    ]


async def test_info_says_when_the_registered_url_is_not_the_configured_one(
    standin: BotAPIStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    await linli("webhook", "set")
    monkeypatch.setenv("LINLI_WEBHOOK_URL", "https://127.0.0.1/elsewhere")
    info = await linli("webhook", "info")
    assert "LINLI_WEBHOOK_URL differs: https://127.0.0.1/elsewhere" in info.output


async def test_a_wrong_token_is_telegrams_answer_in_one_line(
    standin: BotAPIStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_TELEGRAM_TOKEN", "999:wrong")
    result = await linli("webhook", "info")
    assert result.exit_code == 1
    assert result.output.startswith("Error: Telegram: ") and result.output.count("\n") == 1


@pytest.mark.parametrize(
    "url",
    ["http://bot.example.org/telegram/webhook", "https://bot.example.org:8080/telegram/webhook"],
)
def test_telegram_only_posts_https_to_its_ports(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.delenv("LINLI_TELEGRAM_API_URL", raising=False)
    monkeypatch.setenv("LINLI_WEBHOOK_URL", url)
    result = CliRunner().invoke(main, ["webhook", "set"])  # refused before any request
    assert result.exit_code == 1
    assert result.output == (
        "Error: Telegram posts only to https on ports 443, 80, 88, 8443; "
        f"LINLI_WEBHOOK_URL is {url}\n"
    )


def test_set_needs_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.delenv("LINLI_WEBHOOK_URL", raising=False)
    result = CliRunner().invoke(main, ["webhook", "set"])
    assert (result.exit_code, result.output) == (1, "Error: LINLI_WEBHOOK_URL is not set\n")
