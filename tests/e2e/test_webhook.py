"""Webhook mode: the secret header is checked; a redelivered update is handled once."""

from __future__ import annotations

import aiohttp
import pytest

from tests.e2e.conftest import World


async def test_a_request_without_the_secret_is_refused(world: World) -> None:
    if not world.webhook_port:
        pytest.skip("polling has no webhook")
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 101, "type": "private"},
            "from": {"id": 101, "is_bot": False, "first_name": "x"},
            "text": "楼道灯坏了",
        },
    }
    async with aiohttp.ClientSession() as http:
        for secret in (None, "wrong"):
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            async with http.post(world.webhook_url, json=update, headers=headers) as response:
                assert response.status == 401
    assert world.inbox("gw1") == []


async def test_telegram_set_the_webhook_with_the_secret(world: World) -> None:
    if not world.webhook_port:
        pytest.skip("polling has no webhook")
    calls = world.standin.calls_to("setWebhook")
    assert calls and calls[-1].params["url"] == world.webhook_url
    assert calls[-1].params["secret_token"] == "webhook-secret-123"
