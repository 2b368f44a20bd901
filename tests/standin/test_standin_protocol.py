"""The Bot API wire protocol: encodings, long polling, errors, and the control endpoints."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest

from bot.standin import BotAPIStandIn, TgChat, TgUser
from bot.standin.process import run_standin_in_subprocess


async def call(
    http: aiohttp.ClientSession, standin: BotAPIStandIn, method: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{standin.base_url}/bot{standin.token}/{method}", **kwargs) as r:
        return r.status, await r.json()


async def test_every_encoding_is_understood(standin: BotAPIStandIn, alice: TgUser) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with aiohttp.ClientSession() as http:
        status, body = await call(
            http,
            standin,
            "sendMessage",
            json={"chat_id": alice.id, "text": "json", "reply_markup": markup},
        )
        assert status == 200 and body["result"]["reply_markup"] == markup
        status, body = await call(
            http,
            standin,
            "sendMessage",
            data={"chat_id": str(alice.id), "text": "form", "reply_markup": json.dumps(markup)},
        )
        assert body["result"]["reply_markup"] == markup
        form = aiohttp.FormData()
        form.add_field("chat_id", str(alice.id))
        form.add_field("caption", "multi")
        form.add_field("photo", b"\x89PNG\r\n\x1a\n" + b"1" * 20, filename="x.png")
        status, body = await call(http, standin, "sendPhoto", data=form)
        assert status == 200 and body["result"]["caption"] == "multi"
        async with http.get(
            f"{standin.base_url}/bot{standin.token}/sendMessage",
            params={"chat_id": alice.id, "text": "query"},
        ) as response:
            assert (await response.json())["result"]["message_id"] == 4
        status, body = await call(http, standin, "sendMessage", json={"chat_id": alice.id})
        assert (status, body["description"]) == (400, "Bad Request: message text is empty")
        status, body = await call(http, standin, "noSuchMethod")
        assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
        async with http.get(f"{standin.base_url}/bot1:bad/getMe") as response:
            assert response.status == 401
            assert (await response.json())["description"] == "Unauthorized"
    assert [m["message_id"] for m in standin.sent(alice.id)] == [1, 2, 3, 4]


async def test_long_polling(standin: BotAPIStandIn, alice: TgUser, group: TgChat) -> None:
    async with aiohttp.ClientSession() as http:
        started = time.monotonic()
        _, body = await call(http, standin, "getUpdates", json={"timeout": 0.3})
        assert body["result"] == [] and time.monotonic() - started >= 0.25

        async def later() -> None:
            await asyncio.sleep(0.1)
            standin.user_message(alice, text="wake up")

        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(later()))
        started = time.monotonic()
        _, body = await call(http, standin, "getUpdates", json={"timeout": 5})
        assert time.monotonic() - started < 2
        [update] = body["result"]
        assert update["message"]["text"] == "wake up"

        for n in range(3):
            standin.user_message(alice, group, f"m{n}")
        _, body = await call(http, standin, "getUpdates", json={"offset": update["update_id"]})
        assert len(body["result"]) == 4  # not confirmed yet: offset was the same id
        _, body = await call(
            http, standin, "getUpdates", json={"offset": update["update_id"] + 1, "limit": 2}
        )
        assert [u["message"]["text"] for u in body["result"]] == ["m0", "m1"]
        last = body["result"][-1]["update_id"]
        _, body = await call(
            http,
            standin,
            "getUpdates",
            json={"offset": last + 1, "allowed_updates": ["callback_query"]},
        )
        assert body["result"] == []
        ids = [u["update_id"] for u in body["result"]]
        assert ids == []
        _, body = await call(http, standin, "getUpdates", json={"allowed_updates": []})
        assert [u["message"]["text"] for u in body["result"]] == ["m2"]


async def test_a_second_poller_ends_the_first(standin: BotAPIStandIn) -> None:
    async with aiohttp.ClientSession() as http:
        first = asyncio.ensure_future(call(http, standin, "getUpdates", json={"timeout": 5}))
        await asyncio.sleep(0.1)
        second = asyncio.ensure_future(call(http, standin, "getUpdates", json={"timeout": 0.2}))
        status, body = await first
        assert status == 409 and "terminated by other getUpdates" in body["description"]
        assert (await second)[0] == 200


async def test_edits_history_and_buttons(standin: BotAPIStandIn, alice: TgUser) -> None:
    markup = {"inline_keyboard": [[{"text": "Yes 赞成", "callback_data": "vote:yes"}]]}
    sent = await standin.execute(
        "sendMessage", {"chat_id": alice.id, "text": "Vote?", "reply_markup": markup}
    )
    message, button = standin.find_button(alice.id, "赞成")
    assert message["message_id"] == sent["message_id"] and button["callback_data"] == "vote:yes"
    update = standin.press_button(alice, alice.id, "Yes")
    assert update["callback_query"]["message"]["text"] == "Vote?"
    await standin.execute(
        "editMessageText", {"chat_id": alice.id, "message_id": sent["message_id"], "text": "Voted"}
    )
    [edit] = standin.edits
    assert (edit.before["text"], edit.after["text"]) == ("Vote?", "Voted")
    with pytest.raises(LookupError):
        standin.find_button(alice.id, "Yes")
    with pytest.raises(TimeoutError, match=r"got 1: \[.Voted.\]"):
        standin.user_message(alice, text="hi")
        await standin.wait_sent(alice.id, count=2, timeout=0.1)


async def test_commands_by_scope_and_language(standin: BotAPIStandIn) -> None:
    scope = {"type": "chat", "chat_id": 5}
    await standin.execute("setMyCommands", {"commands": [{"command": "a", "description": "A"}]})
    await standin.execute(
        "setMyCommands",
        {"commands": [{"command": "b", "description": "B"}], "scope": scope, "language_code": "zh"},
    )
    assert standin.commands() == [{"command": "a", "description": "A"}]
    assert standin.commands(scope, "zh") == [{"command": "b", "description": "B"}]
    from bot.standin import ApiError

    with pytest.raises(ApiError, match="BOT_COMMAND_INVALID"):
        await standin.execute(
            "setMyCommands", {"commands": [{"command": "Bad-One", "description": "x"}]}
        )


async def test_subprocess_and_control_endpoints() -> None:
    async with run_standin_in_subprocess(enforce_limits=True) as process:
        result = await process.post(
            "/standin/updates",
            {"updates": [{"user": {"id": 5, "first_name": "Li"}, "text": "hi"}] * 3},
        )
        assert len(result["update_ids"]) == 3
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{process.url}/bot{process.token}/sendMessage",
                json={"chat_id": -1001, "text": "x"},
            ) as response,
        ):
            assert response.status == 200
        stats = await process.stats()
        assert stats["total_sent"] == 1 and stats["enforce_limits"] is True
        assert stats["pending_updates"] == 3
        messages = await process.get("/standin/chats/5/messages")
        assert [m["text"] for m in messages["messages"]] == ["hi"] * 3


async def test_group_migration_answers_with_the_new_id(standin: BotAPIStandIn, bob: TgUser) -> None:
    from bot.standin import ApiError

    standin.add_chat(TgChat.group(-5001, "旧群", supergroup=False))
    old, new = standin.migrate_group(-5001, -1005001, bob)
    assert old["message"]["migrate_to_chat_id"] == -1005001
    assert new["message"]["migrate_from_chat_id"] == -5001
    with pytest.raises(ApiError) as error:
        await standin.execute("sendMessage", {"chat_id": -5001, "text": "x"})
    assert error.value.parameters == {"migrate_to_chat_id": -1005001}
    sent = await standin.execute("sendMessage", {"chat_id": -1005001, "text": "x"})
    assert sent["chat"] == {"id": -1005001, "type": "supergroup", "title": "旧群"}


async def test_every_update_kind_parses_in_both_libraries(
    standin: BotAPIStandIn, alice: TgUser, bob: TgUser, group: TgChat
) -> None:
    import aiogram
    import telegram
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    standin.user_message(alice, text="/report@linli_bot 楼道 @linli_bot")
    first = standin.user_message(bob, group, photo=True, caption="看 /help")
    standin.user_message(bob, group, document=True, reply_to=first["message"]["message_id"])
    standin.user_message(alice, sticker=True)
    standin.user_message(alice, contact=True)
    standin.user_message(alice, location=(31.2, 121.5))
    standin.new_chat_members(group, [alice], by=bob)
    standin.bot_added(group, bob)
    standin.block(alice)
    standin.unblock(alice)
    await standin.execute(
        "sendMessage",
        {
            "chat_id": group.id,
            "text": "x",
            "reply_markup": {
                "inline_keyboard": [
                    [{"text": "t", "callback_data": "d"}, {"text": "u", "url": "https://a.cn"}]
                ]
            },
        },
    )
    standin.press(bob, group.id, standin.last_sent(group.id)["message_id"], "d")  # type: ignore[index]

    session = AiohttpSession(api=TelegramAPIServer.from_base(standin.base_url))
    async with aiogram.Bot(standin.token, session=session) as bot:
        updates = await bot.get_updates(allowed_updates=[])
    assert len(updates) == 11
    assert updates[0].message and updates[0].message.entities
    assert [e.type for e in updates[0].message.entities] == ["bot_command", "mention"]
    assert updates[-1].callback_query and updates[-1].callback_query.data == "d"
    async with telegram.Bot(
        standin.token,
        base_url=standin.base_url + "/bot",
        base_file_url=standin.base_url + "/file/bot",
    ) as ptb:
        again = await ptb.get_updates()
    assert [u.update_id for u in again] == [u.update_id for u in updates]
    assert again[2].message and again[2].message.reply_to_message
    assert (
        again[7].my_chat_member
        and again[7].my_chat_member.new_chat_member.status == "administrator"
    )


async def test_privacy_mode_hides_group_chatter_from_a_plain_member(
    standin: BotAPIStandIn, bob: TgUser, group: TgChat
) -> None:
    standin.privacy_mode = True
    standin.add_chat(group)
    standin.set_member(group.id, standin.bot.id, "member")
    assert standin.user_message(bob, group, "大家好")["update_id"] is None
    assert standin.user_message(bob, group, "/report 漏水")["update_id"] is not None
    assert standin.user_message(bob, group, "@linli_bot 你好")["update_id"] is not None
    standin.set_member(group.id, standin.bot.id, "administrator")
    assert standin.user_message(bob, group, "大家好")["update_id"] is not None
    assert len(standin.history(group.id)) == 4


async def test_forward_and_copy_a_residents_photo(
    standin: BotAPIStandIn, alice: TgUser, bob: TgUser
) -> None:
    update = standin.user_message(alice, photo=True, caption="楼道灯坏了")
    message_id = update["message"]["message_id"]
    forwarded = await standin.execute(
        "forwardMessage", {"chat_id": bob.id, "from_chat_id": alice.id, "message_id": message_id}
    )
    assert forwarded["photo"] == update["message"]["photo"]
    assert forwarded["forward_origin"]["sender_user"]["id"] == alice.id
    copied = await standin.execute(
        "copyMessage",
        {
            "chat_id": bob.id,
            "from_chat_id": alice.id,
            "message_id": message_id,
            "caption": "<b>工单 #3</b>",
            "parse_mode": "HTML",
        },
    )
    copy = standin.message(bob.id, copied["message_id"])
    assert (copy["caption"], copy["caption_entities"][0]["type"]) == ("工单 #3", "bold")
    assert await standin.execute("deleteMessages", {"chat_id": bob.id, "message_ids": [1, 2]})
    assert standin.history(bob.id) == []


async def test_a_press_on_a_missing_message_is_an_inaccessible_message(
    standin: BotAPIStandIn, alice: TgUser
) -> None:
    import aiogram
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import InaccessibleMessage

    standin.user_message(alice, text="hi")
    update = standin.press(alice, alice.id, 99, "forged")
    assert update["callback_query"]["message"]["date"] == 0
    session = AiohttpSession(api=TelegramAPIServer.from_base(standin.base_url))
    async with aiogram.Bot(standin.token, session=session) as bot:
        updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert query and isinstance(query.message, InaccessibleMessage)
