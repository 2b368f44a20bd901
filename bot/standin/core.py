"""The state a Bot API stand-in keeps, and the helpers its methods share."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from aiohttp import web

from bot.standin.files import FileStore
from bot.standin.formatting import format_text, u16len
from bot.standin.limits import Limits, SendCounter
from bot.standin.params import Params
from bot.standin.types import (
    JSON,
    AnsweredCallback,
    ApiCall,
    ApiError,
    Change,
    Edit,
    Failure,
    TgChat,
    TgUser,
    bad_request,
)
from bot.standin.webhook import WebhookDelivery

Method = Callable[[Params], Awaitable[Any]]

DEFAULT_TOKEN = "123456789:AAStandInTokenForLinliTests0123456789"
# Telegram leaves these out unless allowed_updates names them.
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_TEXT_BUTTONS = (
    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
)


@dataclass(slots=True)
class ChatState:
    """One chat as Telegram keeps it."""

    chat: TgChat
    messages: dict[int, JSON] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    bot_ids: list[int] = field(default_factory=list)
    next_id: int = 1
    read_cursor: int = 0  # how many of bot_ids ``wait_sent`` has handed out
    pinned: int | None = None
    keyboard: JSON | None = None
    members: dict[int, str] = field(default_factory=dict)


class StandInCore:
    """Chats, messages, updates and counters: what Telegram remembers for one bot."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "linli_bot",
        bot_name: str = "Linli",
        enforce_limits: bool = False,
        limits: Limits | None = None,
        strict_chats: bool = False,
        privacy_mode: bool = False,
        record_calls: bool = True,
        webhook_retry_delays: Iterable[float] = (0.05, 0.2, 0.5, 1.0, 2.0),
        webhook_max_attempts: int = 20,
        webhook_timeout: float = 10.0,
    ) -> None:
        self.token = token
        self.bot = TgUser(
            id=int(token.split(":", 1)[0]), first_name=bot_name, username=bot_username, is_bot=True
        )
        self.strict_chats = strict_chats
        self.privacy_mode = privacy_mode
        self.record_calls = record_calls
        self.webhook_retry_delays = tuple(webhook_retry_delays)
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_timeout = webhook_timeout
        self.counter = SendCounter(limits, enforce=enforce_limits)

        self.calls: list[ApiCall] = []
        self.answered_callbacks: list[AnsweredCallback] = []
        self.edits: list[Edit] = []
        self.changes: list[Change] = []
        self.files = FileStore()
        self.users: dict[int, TgUser] = {}
        self._chats: dict[int, ChatState] = {}
        self._usernames: dict[str, int] = {}
        self._sent_log: list[tuple[int, int]] = []
        self._blocked: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._callbacks: dict[str, tuple[TgUser, int, int, str]] = {}
        self._callback_ids = count(4_120_000_000_000_000_001)
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._menu_buttons: dict[int | None, JSON] = {}
        self._bot_texts: dict[str, str] = {}
        self._failures: list[Failure] = []
        self._duplicate_next = 0

        self._next_update_id = 100_000_001
        self._pending: deque[JSON] = deque()
        self._allowed: frozenset[str] | None = None
        self._poller: asyncio.Future[str] | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self._webhook: WebhookDelivery | None = None
        self._webhook_allowed: list[str] | None = None
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.base_url = ""

        # Every ``_m_<method>`` is a Bot API method; Telegram matches names case-blind.
        self._methods: dict[str, tuple[str, Method]] = {
            name[3:].lower(): (name[3:], getattr(self, name))
            for name in dir(type(self))
            if name.startswith("_m_")
        }

    def add_chat(self, chat: TgChat) -> ChatState:
        """Make a chat known (the bot can then send to it); its state."""
        state = self._chats.get(chat.id)
        if state is None:
            state = self._chats[chat.id] = ChatState(chat)
            if chat.username:
                self._usernames[chat.username.lower()] = chat.id
        elif state.chat != chat:
            state.chat = chat
        return state

    def add_user(self, user: TgUser) -> None:
        self.users[user.id] = user
        if user.username:
            self._usernames.setdefault(user.username.lower(), user.id)

    @property
    def pending_updates(self) -> int:
        if self._webhook is not None:
            return self._webhook.pending
        return len(self._pending)

    async def _execute_quietly(self, method: str, params: JSON) -> None:
        with contextlib.suppress(ApiError):
            await self.execute(method, params)

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _change(
        self, kind: str, chat_id: int, message_id: int = 0, data: JSON | None = None
    ) -> None:
        seq = len(self.changes) + 1
        self.changes.append(Change(seq, kind, chat_id, message_id, data or {}, time.time()))
        if self._waiters:
            self._notify()

    def _state(self, chat_id: int) -> ChatState:
        state = self._chats.get(chat_id)
        if state is None:
            raise bad_request("chat not found")
        return state

    def _message(self, state: ChatState, message_id: int) -> JSON:
        message = state.messages.get(message_id)
        if message is None or message_id in state.deleted:
            raise KeyError(f"no message {message_id} in chat {state.chat.id}")
        return message

    def _store(self, state: ChatState, sender: TgUser, body: JSON) -> JSON:
        message_id = state.next_id
        state.next_id += 1
        message = {
            "message_id": message_id,
            "from": sender.to_api(),
            "chat": state.chat.to_api(),
            "date": int(time.time()),
            **body,
        }
        state.messages[message_id] = message
        if sender.id == self.bot.id:
            state.bot_ids.append(message_id)
            self._sent_log.append((state.chat.id, message_id))
        self._change("message", state.chat.id, message_id)
        return message

    def _target(self, params: Params) -> ChatState:
        raw = params.raw("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            chat_id = self._usernames.get(raw[1:].lower())
            if chat_id is None or chat_id not in self._chats:
                raise bad_request("chat not found")
        else:
            try:
                chat_id = int(raw)
            except (TypeError, ValueError):
                raise bad_request("chat not found") from None
        if chat_id in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )
        state = self._chats.get(chat_id)
        if state is None:
            if self.strict_chats or chat_id == 0:
                raise bad_request("chat not found")
            if chat_id > 0:
                user = self.users.get(chat_id) or TgUser(chat_id, f"User {chat_id}")
                state = self.add_chat(TgChat.private(user))
            else:
                state = self.add_chat(TgChat.group(chat_id, f"Group {chat_id}"))
        if state.chat.is_private and chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        standing = state.members.get(self.bot.id)
        if not state.chat.is_private and standing in ("left", "kicked"):
            kind = "supergroup chat" if state.chat.type == "supergroup" else "group chat"
            if standing == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind}")
        return state

    def _edit_target(self, params: Params) -> tuple[ChatState, JSON]:
        if "inline_message_id" in params:
            raise bad_request("MESSAGE_ID_INVALID")
        state = self._target(params)
        message_id = params.required_int("message_id")
        message = state.messages.get(message_id)
        if message is None or message_id in state.deleted:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self.bot.id:
            raise bad_request("message can't be edited")
        return state, message

    def _replace(self, state: ChatState, method: str, before: JSON, after: JSON) -> JSON:
        after["edit_date"] = int(time.time())
        state.messages[before["message_id"]] = after
        self.edits.append(Edit(method, state.chat.id, before["message_id"], before, after))
        self._change("message", state.chat.id, before["message_id"])
        return after

    def _limit(self, state: ChatState) -> None:
        retry_after = self.counter.check(state.chat.id, not state.chat.is_private)
        if retry_after is not None:
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )

    def _inline_markup(self, state: ChatState, params: Params) -> JSON | None:
        """The message's inline keyboard; reply keyboards become the chat's keyboard."""
        markup = params.obj("reply_markup")
        if not markup:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request(
                    "can't parse inline keyboard button: "
                    'field "inline_keyboard" must be an Array of Arrays'
                )
            for row in rows:
                for button in row:
                    _check_button(button)
            return {"inline_keyboard": rows}
        if "keyboard" in markup:
            state.keyboard = markup
            self._change("keyboard", state.chat.id, data={"keyboard": markup})
        elif markup.get("remove_keyboard"):
            state.keyboard = None
            self._change("keyboard", state.chat.id, data={"keyboard": None})
        return None

    def _reply_to(self, state: ChatState, params: Params) -> JSON | None:
        reply = params.obj("reply_parameters")
        message_id = params.integer("reply_to_message_id")
        allow = params.flag("allow_sending_without_reply")
        if isinstance(reply, dict):
            message_id = int(reply.get("message_id", 0)) or None
            allow = allow or bool(reply.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        message = state.messages.get(message_id)
        if message is None or message_id in state.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return quoted(message)

    def _outgoing(self, state: ChatState, params: Params, body: JSON) -> JSON:
        """Store a message the bot sends, after markup, reply and limit checks."""
        markup = self._inline_markup(state, params)
        reply = self._reply_to(state, params)
        self._limit(state)
        if reply is not None:
            body["reply_to_message"] = reply
        if markup is not None:
            body["reply_markup"] = markup
        return self._store(state, self.bot, body)

    def _caption(self, params: Params) -> JSON:
        caption = params.string("caption")
        if not caption:
            return {}
        text, entities = format_text(
            caption, params.string("parse_mode"), params.obj("caption_entities")
        )
        if u16len(text) > 1024:
            raise bad_request("message caption is too long")
        body: JSON = {"caption": text}
        if entities:
            body["caption_entities"] = entities
        return body

    def _member_json(self, user: TgUser, status: str) -> JSON:
        member: JSON = {"status": status, "user": user.to_api()}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_pin_messages=True,
                can_send_welcome_messages=False,
            )
        elif status == "kicked":
            member["until_date"] = 0
        elif status == "restricted":
            member.update(
                is_member=True,
                until_date=0,
                **{
                    key: False
                    for key in (
                        "can_send_messages",
                        "can_send_audios",
                        "can_send_documents",
                        "can_send_photos",
                        "can_send_videos",
                        "can_send_video_notes",
                        "can_send_voice_notes",
                        "can_send_polls",
                        "can_send_other_messages",
                        "can_add_web_page_previews",
                        "can_change_info",
                        "can_invite_users",
                        "can_pin_messages",
                        "can_manage_topics",
                        "can_edit_tag",
                    )
                },
            )
        return member

    @staticmethod
    def _is_allowed(update: JSON, allowed: frozenset[str] | None) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        if allowed:
            return kind in allowed
        return kind not in NOT_BY_DEFAULT

    async def execute(self, method: str, params: JSON) -> Any:
        """Run a Bot API method in-process; its result."""
        raise NotImplementedError


def quoted(message: JSON) -> JSON:
    """A message as it appears in ``reply_to_message`` (one level deep, like Telegram)."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


def scope_key(scope: Any) -> str:
    if not isinstance(scope, dict) or scope.get("type", "default") == "default":
        return "default"
    return json.dumps(scope, sort_keys=True)


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request(_TEXT_BUTTONS)
    if "callback_data" in button:
        data = str(button["callback_data"])
        if not 1 <= len(data.encode()) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    elif "url" in button:
        url = str(button["url"])
        if not url or not re.match(r"^(https?|tg)://\S+$", url):
            raise bad_request("BUTTON_URL_INVALID")
    elif not any(
        key in button
        for key in (
            "web_app",
            "login_url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "copy_text",
            "callback_game",
            "pay",
        )
    ):
        raise bad_request(_TEXT_BUTTONS)
