"""The Bot API stand-in: plays Telegram's part for the bot on 127.0.0.1.

One ``BotAPIStandIn`` holds everything Telegram would: chats and their messages, the update
queue (long polling or webhook), commands, files. Tests and the simulator drive it from Python
(``user_message``, ``press``) and observe what the bot did (``sent``, ``calls``, ``wait_sent``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from bot.standin.core import DEFAULT_TOKEN, ChatState, Method, quoted, scope_key
from bot.standin.files import placeholder_png
from bot.standin.formatting import incoming_entities
from bot.standin.methods import BotApiMethods
from bot.standin.params import Params
from bot.standin.types import (
    JSON,
    ApiCall,
    ApiError,
    Failure,
    TgChat,
    TgUser,
)
from bot.standin.webhook import WebhookDelivery

__all__ = ["DEFAULT_TOKEN", "BotAPIStandIn"]

T = TypeVar("T")
log = logging.getLogger(__name__)

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_dumps = functools.partial(json.dumps, ensure_ascii=False)


class BotAPIStandIn(BotApiMethods):
    """Telegram's Bot API, in memory, for one bot.

    ``await start()`` serves it on its own port; ``install(app)`` adds its routes to an
    existing aiohttp application instead (the simulator shares the bot's port that way).

    Options: ``enforce_limits`` answers 429 beyond Telegram's flood limits (``limits``);
    ``strict_chats`` answers "chat not found" for a chat nobody wrote in (otherwise it is
    created on the fly); ``privacy_mode`` hides group chatter from a bot that is a plain
    member; ``record_calls=False`` keeps no ``calls`` list (long benchmarks);
    ``webhook_retry_delays`` are the pauses between redeliveries, the last one repeating.
    """

    def install(self, app: web.Application) -> None:
        """Add the Bot API, file and control routes to ``app``."""
        from bot.standin.control import add_control_routes

        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        app.on_shutdown.append(self._on_shutdown)
        app.on_cleanup.append(self._on_cleanup)

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        self.install(app)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 picks a free port); the base URL, e.g. for aiogram."""
        self._runner = web.AppRunner(self.make_app(), shutdown_timeout=0.25, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        self.base_url = f"http://{host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotAPIStandIn:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def _on_shutdown(self, _app: web.Application) -> None:
        self._closing = True
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("closing")

    async def _on_cleanup(self, _app: web.Application) -> None:
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            return _error(ApiError(404, "Not Found"))
        name, method = entry
        try:
            params = await Params.from_request(request)
        except ApiError as error:
            return _error(error)
        try:
            result = await self._call(name, method, params)
        except ApiError as error:
            return _error(error)
        except Exception as exc:  # a stand-in bug must still answer like Telegram
            log.exception("stand-in failed on %s", name)
            return _error(ApiError(500, f"Internal Server Error: {exc!r}"))
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def _call(self, name: str, method: Method, params: Params) -> Any:
        chat_id = params.raw("chat_id")
        failure = self._take_failure(name, chat_id) if self._failures else None
        try:
            if failure is not None:
                if failure.delay:
                    await asyncio.sleep(failure.delay)
                if failure.error_code is not None:
                    raise _failure_error(failure)
            result = await method(params)
        except ApiError as error:
            self._record(name, params, error.error_code)
            raise
        self._record(name, params, None)
        return result

    async def execute(self, method: str, params: JSON) -> Any:
        """Run a Bot API method in-process (as a webhook reply is run); its result."""
        entry = self._methods.get(method.lower())
        if entry is None:
            raise ApiError(404, "Not Found")
        return await self._call(entry[0], entry[1], Params(dict(params)))

    def _record(self, name: str, params: Params, error_code: int | None) -> None:
        if self.record_calls:
            self.calls.append(
                ApiCall(name, params.values, time.time(), error_code is None, error_code)
            )
        if self._waiters:
            self._notify()

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        stored = self.files.by_path(request.match_info["path"])
        if stored is None:
            return _error(ApiError(404, "Not Found"))
        return web.Response(body=stored.data, content_type=stored.mime_type)

    def fail_next(
        self,
        method: str,
        *,
        error_code: int | None = 400,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (``"*"``: any) with an error.

        ``delay`` seconds pass before the answer; with ``error_code=None`` the call then
        succeeds, which is how a slow or hanging Telegram is played. ``chat_id`` limits the
        failure to calls for that chat.
        """
        if description is None:
            if error_code == 429:
                description = f"Too Many Requests: retry after {retry_after or 1}"
            elif migrate_to_chat_id is not None:
                description = "Bad Request: group chat was upgraded to a supergroup chat"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(error_code or 0, "Bad Request")
        if error_code == 429 and retry_after is None:
            retry_after = 1
        self._failures.append(
            Failure(
                method=method if method == "*" else self._canonical(method),
                error_code=error_code,
                description=description,
                times=times,
                chat_id=chat_id,
                retry_after=retry_after,
                migrate_to_chat_id=migrate_to_chat_id,
                delay=delay,
            )
        )

    def slow_next(self, method: str, delay: float, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` take ``delay`` seconds, then succeed."""
        self.fail_next(method, error_code=None, delay=delay, times=times)

    def clear_failures(self) -> None:
        self._failures.clear()

    def _canonical(self, method: str) -> str:
        entry = self._methods.get(method.lower())
        return entry[0] if entry else method

    def _take_failure(self, method: str, chat_id: Any) -> Failure | None:
        for failure in self._failures:
            if failure.matches(method, chat_id):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    def duplicate_next(self, times: int = 1) -> None:
        """Deliver each of the next ``times`` updates twice (same update_id), as Telegram may."""
        self._duplicate_next += times

    def block(self, user: TgUser) -> JSON:
        """The person blocks the bot: sends to them fail with 403; a my_chat_member update."""
        self._blocked.add(user.id)
        return self._my_chat_member(user, TgChat.private(user), "member", "kicked")

    def migrate_group(self, chat_id: int, supergroup_id: int, by: TgUser) -> list[JSON]:
        """A group becomes a supergroup: the two service-message updates Telegram sends.

        From then on every call for the old id fails with 400 and ``migrate_to_chat_id``.
        """
        old = self._state(chat_id)
        new = self.add_chat(TgChat.group(supergroup_id, old.chat.title or ""))
        new.members.update(old.members)
        self.add_user(by)
        updates = [
            self.queue_update(
                {"message": self._store(old, by, {"migrate_to_chat_id": supergroup_id})}
            ),
            self.queue_update({"message": self._store(new, by, {"migrate_from_chat_id": chat_id})}),
        ]
        self._migrated[chat_id] = supergroup_id
        return updates

    def unblock(self, user: TgUser) -> JSON:
        self._blocked.discard(user.id)
        return self._my_chat_member(user, TgChat.private(user), "kicked", "member")

    def set_member(self, chat_id: int, user_id: int, status: str = "member") -> None:
        """Set someone's status in a group: creator, administrator, member, left, kicked."""
        self._state(chat_id).members[user_id] = status

    def user_message(
        self,
        user: TgUser,
        chat: TgChat | None = None,
        text: str | None = None,
        *,
        photo: bool | bytes = False,
        caption: str | None = None,
        reply_to: int | None = None,
        document: bool | bytes = False,
        document_name: str = "document.pdf",
        sticker: bool = False,
        contact: bool = False,
        location: tuple[float, float] | None = None,
    ) -> JSON:
        """``user`` writes into ``chat`` (their private chat by default); the update."""
        chat = chat or TgChat.private(user)
        self.add_user(user)
        state = self.add_chat(chat)
        if not chat.is_private:
            state.members.setdefault(user.id, "member")
        message: JSON = {}
        if text is not None:
            message["text"] = text
            entities = incoming_entities(text)
            if entities:
                message["entities"] = entities
        if photo is not False:
            data = photo if isinstance(photo, bytes) else placeholder_png()
            message["photo"] = self.files.photo_sizes(data, _image_type(data))
        if document is not False:
            data = document if isinstance(document, bytes) else b"%PDF-1.4 stand-in\n"
            stored = self.files.add(
                data, kind="documents", mime_type="application/pdf", file_name=document_name
            )
            message["document"] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": document_name,
                "mime_type": stored.mime_type,
                "file_size": len(data),
            }
        if sticker:
            stored = self.files.add(b"RIFFstand-in", kind="stickers", mime_type="image/webp")
            message["sticker"] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "🙂",
            }
        if contact:
            message["contact"] = {
                "phone_number": f"+86138{user.id % 100_000_000:08d}",
                "first_name": user.first_name,
                "user_id": user.id,
            }
        if location is not None:
            message["location"] = {"latitude": location[0], "longitude": location[1]}
        if caption is not None:
            message["caption"] = caption
            entities = incoming_entities(caption)
            if entities:
                message["caption_entities"] = entities
        if not message:
            raise ValueError("a message needs text, a photo, a document, a sticker or more")
        if reply_to is not None:
            message["reply_to_message"] = quoted(self._message(state, reply_to))
        stored_message = self._store(state, user, message)
        if not self._bot_sees(state, stored_message):
            return {"update_id": None, "message": stored_message}
        return self.queue_update({"message": stored_message})

    def _bot_sees(self, state: ChatState, message: JSON) -> bool:
        """With privacy mode a bot that is not an admin sees only commands, mentions, replies."""
        if not self.privacy_mode or state.chat.is_private:
            return True
        if state.members.get(self.bot.id, "administrator") in ("administrator", "creator"):
            return True
        entities = message.get("entities", []) + message.get("caption_entities", [])
        if any(e["type"] == "bot_command" for e in entities):
            return True
        text = message.get("text") or message.get("caption") or ""
        if f"@{self.bot.username}".lower() in text.lower():
            return True
        reply = message.get("reply_to_message") or {}
        return bool((reply.get("from") or {}).get("id") == self.bot.id)

    def press(self, user: TgUser, chat_id: int, message_id: int, data: str) -> JSON:
        """``user`` taps the inline button with ``data`` under a message; the update.

        Neither the button nor the message is checked, so a test can forge a press. A message
        that is not there (deleted, or never sent into this chat) arrives as Telegram's
        ``InaccessibleMessage`` (``date`` 0), as a press on a very old message does.
        """
        state = self._state(chat_id)
        message = state.messages.get(message_id)
        if message is None or message_id in state.deleted:
            message = {"chat": state.chat.to_api(), "message_id": message_id, "date": 0}
        self.add_user(user)
        query_id = str(next(self._callback_ids))
        self._callbacks[query_id] = (user, chat_id, message_id, data)
        return self.queue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_api(),
                    "message": message,
                    "chat_instance": str(-abs(chat_id) * 7919 % 10**18),
                    "data": data,
                }
            }
        )

    def press_button(self, user: TgUser, chat_id: int, text: str, *, exact: bool = False) -> JSON:
        """Find the button labelled ``text`` on the bot's latest keyboard and tap it."""
        message, button = self.find_button(chat_id, text, exact=exact)
        if "callback_data" not in button:
            raise ValueError(f"button {button['text']!r} is not a callback button: {button}")
        return self.press(user, chat_id, message["message_id"], button["callback_data"])

    def new_chat_members(self, chat: TgChat, users: list[TgUser], by: TgUser | None = None) -> JSON:
        """People join a group (``by`` adds them); the service-message update."""
        state = self.add_chat(chat)
        for user in users:
            self.add_user(user)
            state.members[user.id] = "member"
        sender = by or users[0]
        message = {"new_chat_members": [user.to_api() for user in users]}
        return self.queue_update({"message": self._store(state, sender, message)})

    def bot_added(self, chat: TgChat, by: TgUser, status: str = "administrator") -> JSON:
        """Someone adds the bot to a group; the ``my_chat_member`` update."""
        self.add_chat(chat)
        self.add_user(by)
        self.set_member(chat.id, self.bot.id, status)
        return self._my_chat_member(by, chat, "left", status)

    def _my_chat_member(self, by: TgUser, chat: TgChat, old: str, new: str) -> JSON:
        self.add_chat(chat)
        return self.queue_update(
            {
                "my_chat_member": {
                    "chat": chat.to_api(),
                    "from": by.to_api(),
                    "date": int(time.time()),
                    "old_chat_member": self._member_json(self.bot, old),
                    "new_chat_member": self._member_json(self.bot, new),
                }
            }
        )

    def queue_update(self, body: JSON) -> JSON:
        """Give ``body`` (one update field, e.g. ``{"message": ...}``) an id and deliver it."""
        update = {"update_id": self._next_update_id, **body}
        self._next_update_id += 1
        copies = 1
        if self._duplicate_next:
            self._duplicate_next -= 1
            copies = 2
        for _ in range(copies):
            if self._webhook is not None:
                if self._is_allowed(update, self._webhook_allowed_set()):
                    self._webhook.put(update)
            else:
                self._pending.append(update)
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("update")
        return update

    def _webhook_allowed_set(self) -> frozenset[str] | None:
        return frozenset(self._webhook_allowed) if self._webhook_allowed else None

    def chat(self, chat_id: int) -> ChatState:
        """The state of a chat the stand-in knows (KeyError otherwise)."""
        return self._chats[chat_id]

    def chats(self) -> list[ChatState]:
        return list(self._chats.values())

    def history(self, chat_id: int) -> list[JSON]:
        """Every message in the chat, people's and the bot's, as they are now."""
        state = self._chats.get(chat_id)
        if state is None:
            return []
        return [m for mid, m in state.messages.items() if mid not in state.deleted]

    def sent(self, chat_id: int | None = None) -> list[JSON]:
        """The bot's messages (current text and markup), in one chat or everywhere, in order.

        Messages the bot deleted later are included; ``is_deleted`` tells them apart.
        """
        if chat_id is None:
            return [self._chats[c].messages[m] for c, m in self._sent_log]
        state = self._chats.get(chat_id)
        return [state.messages[m] for m in state.bot_ids] if state else []

    def last_sent(self, chat_id: int) -> JSON | None:
        state = self._chats.get(chat_id)
        if not state or not state.bot_ids:
            return None
        return state.messages[state.bot_ids[-1]]

    def message(self, chat_id: int, message_id: int) -> JSON:
        return self._message(self._state(chat_id), message_id)

    def is_deleted(self, chat_id: int, message_id: int) -> bool:
        return message_id in self._state(chat_id).deleted

    def calls_to(self, method: str) -> list[ApiCall]:
        name = self._canonical(method)
        return [call for call in self.calls if call.method == name]

    def find_button(self, chat_id: int, text: str, *, exact: bool = False) -> tuple[JSON, JSON]:
        """The newest bot message in the chat with an inline button labelled ``text``."""
        state = self._state(chat_id)
        latest: list[str] = []
        for message_id in reversed(state.bot_ids):
            if message_id in state.deleted:
                continue
            message = state.messages[message_id]
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            for row in rows:
                for button in row:
                    label = str(button.get("text", ""))
                    if label == text or (not exact and text in label):
                        return message, button
            if rows and not latest:
                latest = [str(b.get("text")) for row in rows for b in row]
        raise LookupError(f"no button {text!r} in chat {chat_id}; latest keyboard: {latest}")

    def keyboard(self, chat_id: int) -> JSON | None:
        """The reply keyboard the bot last set in the chat (None after it was removed)."""
        state = self._chats.get(chat_id)
        return state.keyboard if state else None

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        return self._commands.get((scope_key(scope), language_code), [])

    @property
    def webhook(self) -> WebhookDelivery | None:
        return self._webhook

    def stats(self) -> JSON:
        """Counters for benchmarks: what was sent, 429s, rates, queue sizes."""
        data = self.counter.stats()
        data.update(
            calls=len(self.calls),
            updates_created=self._next_update_id - 100_000_001,
            pending_updates=self.pending_updates,
            answered_callbacks=len(self.answered_callbacks),
            webhook=self._webhook.url if self._webhook else "",
        )
        if self._webhook is not None:
            data.update(
                webhook_attempts=self._webhook.attempts,
                webhook_delivered=self._webhook.delivered,
                webhook_dropped=self._webhook.dropped,
            )
        return data

    async def wait_for(
        self,
        predicate: Callable[[], T],
        timeout: float = 5.0,  # noqa: ASYNC109 - a test reads better with it as an argument
    ) -> T:
        """Wait until ``predicate()`` is truthy (checked after each change); its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout} s")
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                value = predicate()
                if value:
                    return value
                raise TimeoutError(f"condition not met within {timeout} s") from None
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    async def wait_sent(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - as in wait_for
    ) -> list[JSON]:
        """The bot's next ``count`` messages in the chat (each handed out once), as they are now."""
        try:
            await self.wait_for(
                lambda: (
                    (state := self._chats.get(chat_id)) is not None
                    and len(state.bot_ids) - state.read_cursor >= count
                ),
                timeout,
            )
        except TimeoutError:
            state = self._chats.get(chat_id)
            got = [] if state is None else self.sent(chat_id)[state.read_cursor :]
            texts = [m.get("text", m.get("caption")) for m in got]
            raise TimeoutError(
                f"chat {chat_id}: waited {timeout} s for {count} message(s) from the bot, "
                f"got {len(got)}: {texts}"
            ) from None
        state = self._chats[chat_id]
        ids = state.bot_ids[state.read_cursor : state.read_cursor + count]
        state.read_cursor += count
        return [state.messages[m] for m in ids]


def _error(error: ApiError) -> web.Response:
    return web.json_response(error.to_api(), status=error.error_code, dumps=_dumps)


def _failure_error(failure: Failure) -> ApiError:
    parameters: JSON = {}
    if failure.retry_after is not None:
        parameters["retry_after"] = failure.retry_after
    if failure.migrate_to_chat_id is not None:
        parameters["migrate_to_chat_id"] = failure.migrate_to_chat_id
    return ApiError(failure.error_code or 400, failure.description, parameters or None)


def _image_type(data: bytes) -> str:
    return "image/jpeg" if data[:2] == b"\xff\xd8" else "image/png"
