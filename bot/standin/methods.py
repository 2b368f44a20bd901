"""The Bot API methods the stand-in answers, one ``_m_<name>`` each."""

from __future__ import annotations

import asyncio
import re

from yarl import URL

from bot.standin.core import StandInCore, scope_key
from bot.standin.formatting import format_text, u16len
from bot.standin.params import Params
from bot.standin.types import (
    JSON,
    AnsweredCallback,
    ApiError,
    bad_request,
)
from bot.standin.webhook import WebhookDelivery

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
# What a forwarded or copied message keeps of the original.
_CONTENT = frozenset(
    {
        "text",
        "entities",
        "caption",
        "caption_entities",
        "photo",
        "document",
        "sticker",
        "contact",
        "location",
    }
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class BotApiMethods(StandInCore):
    """Each ``_m_<name>`` answers the Bot API method ``<name>`` with its result or an ApiError."""

    async def _m_getMe(self, params: Params) -> JSON:
        return {
            **self.bot.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_getUpdates(self, params: Params) -> list[JSON]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.integer("offset")
        limit = min(max(params.integer("limit", 100) or 100, 1), 100)
        timeout = min(max(params.number("timeout", 0.0), 0.0), 50.0)
        allowed = params.obj("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = frozenset(str(kind) for kind in allowed) or None
        pending = self._pending
        if offset is not None:
            if offset < 0:
                while len(pending) > -offset:
                    pending.popleft()
            else:
                while pending and int(pending[0]["update_id"]) < offset:
                    pending.popleft()
        if not self._has_allowed() and timeout > 0 and not self._closing:
            if self._poller is not None and not self._poller.done():
                self._poller.set_result("conflict")
            poller: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._poller = poller
            try:
                await asyncio.wait([poller], timeout=timeout)
            finally:
                if self._poller is poller:
                    self._poller = None
            if poller.done() and poller.result() == "conflict":
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
        result: list[JSON] = []
        for update in pending:
            if self._is_allowed(update, self._allowed):
                result.append(update)
                if len(result) >= limit:
                    break
        return result

    async def _m_setWebhook(self, params: Params) -> bool:
        url = params.string("url") or ""
        if not url:
            await self._drop_webhook(params.flag("drop_pending_updates"))
            return True
        host = URL(url).host
        if host not in _LOOPBACK:
            raise bad_request(
                "bad webhook: the stand-in delivers only to 127.0.0.1, localhost or ::1"
            )
        secret = params.string("secret_token")
        if secret is not None and not _SECRET.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = params.obj("allowed_updates")
        max_connections = min(max(params.integer("max_connections", 40) or 40, 1), 100)
        left = await self._stop_webhook()
        if params.flag("drop_pending_updates"):
            left = []
        if isinstance(allowed, list):
            self._webhook_allowed = [str(kind) for kind in allowed]
        self._webhook = WebhookDelivery(
            url,
            secret_token=secret,
            max_connections=max_connections,
            retry_delays=self.webhook_retry_delays,
            max_attempts=self.webhook_max_attempts,
            timeout=self.webhook_timeout,
            execute=self._execute_quietly,
            on_attempt=self._notify,
        )
        for update in left:
            self._webhook.put(update)
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("webhook")
        return True

    async def _m_deleteWebhook(self, params: Params) -> bool:
        await self._drop_webhook(params.flag("drop_pending_updates"))
        return True

    async def _m_getWebhookInfo(self, params: Params) -> JSON:
        hook = self._webhook
        info: JSON = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": self.pending_updates,
        }
        if hook is not None:
            info.update(ip_address="127.0.0.1", max_connections=hook.max_connections)
            if hook.last_error_date:
                info.update(
                    last_error_date=hook.last_error_date,
                    last_error_message=hook.last_error_message,
                )
            if self._webhook_allowed:
                info["allowed_updates"] = self._webhook_allowed
        return info

    async def _m_setMyCommands(self, params: Params) -> bool:
        commands = params.obj("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be an array of at most 100 BotCommand")
        clean: list[JSON] = []
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            description = str(command.get("description", "")) if isinstance(command, dict) else ""
            name = name.removeprefix("/")
            if not _COMMAND_NAME.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": description})
        key = (scope_key(params.obj("scope")), params.string("language_code") or "")
        self._commands[key] = clean
        return True

    async def _m_getMyCommands(self, params: Params) -> list[JSON]:
        key = (scope_key(params.obj("scope")), params.string("language_code") or "")
        return self._commands.get(key, [])

    async def _m_deleteMyCommands(self, params: Params) -> bool:
        key = (scope_key(params.obj("scope")), params.string("language_code") or "")
        self._commands.pop(key, None)
        return True

    async def _m_setChatMenuButton(self, params: Params) -> bool:
        button = params.obj("menu_button") or {"type": "default"}
        self._menu_buttons[params.integer("chat_id")] = button
        return True

    async def _m_getChatMenuButton(self, params: Params) -> JSON:
        return self._menu_buttons.get(params.integer("chat_id"), {"type": "commands"})

    async def _m_setMyDescription(self, params: Params) -> bool:
        return await self._bot_text("description", params, "description", 512)

    async def _m_getMyDescription(self, params: Params) -> JSON:
        lang = params.string("language_code") or ""
        return {"description": self._bot_texts.get(f"description:{lang}", "")}

    async def _m_setMyShortDescription(self, params: Params) -> bool:
        return await self._bot_text("short_description", params, "short_description", 120)

    async def _m_getMyShortDescription(self, params: Params) -> JSON:
        lang = params.string("language_code") or ""
        return {"short_description": self._bot_texts.get(f"short_description:{lang}", "")}

    async def _m_setMyName(self, params: Params) -> bool:
        return await self._bot_text("name", params, "name", 64)

    async def _m_getMyName(self, params: Params) -> JSON:
        lang = params.string("language_code") or ""
        return {"name": self._bot_texts.get(f"name:{lang}", self.bot.first_name)}

    async def _m_sendMessage(self, params: Params) -> JSON:
        state = self._target(params)
        raw = params.string("text") or ""
        text, entities = format_text(raw, params.string("parse_mode"), params.obj("entities"))
        if not text.strip():
            raise bad_request("message text is empty")
        if u16len(text) > 4096:
            raise bad_request("message is too long")
        body: JSON = {"text": text}
        if entities:
            body["entities"] = entities
        return self._outgoing(state, params, body)

    async def _m_sendPhoto(self, params: Params) -> JSON:
        state = self._target(params)
        body: JSON = {"photo": self.files.photo_from(params.file("photo")), **self._caption(params)}
        return self._outgoing(state, params, body)

    async def _m_sendDocument(self, params: Params) -> JSON:
        state = self._target(params)
        body: JSON = {"document": self.files.document_from(params.file("document"))}
        body.update(self._caption(params))
        return self._outgoing(state, params, body)

    async def _m_sendChatAction(self, params: Params) -> bool:
        state = self._target(params)
        self._change("action", state.chat.id, data={"action": params.string("action") or ""})
        return True

    async def _m_editMessageText(self, params: Params) -> JSON:
        state, message = self._edit_target(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        raw = params.string("text") or ""
        text, entities = format_text(raw, params.string("parse_mode"), params.obj("entities"))
        if not text.strip():
            raise bad_request("message text is empty")
        if u16len(text) > 4096:
            raise bad_request("MESSAGE_TOO_LONG")
        markup = self._inline_markup(state, params)
        if (
            text == message["text"]
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise bad_request(_NOT_MODIFIED)
        after = {k: v for k, v in message.items() if k not in ("entities", "reply_markup")}
        after["text"] = text
        if entities:
            after["entities"] = entities
        if markup:
            after["reply_markup"] = markup
        return self._replace(state, "editMessageText", message, after)

    async def _m_editMessageCaption(self, params: Params) -> JSON:
        state, message = self._edit_target(params)
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        caption = self._caption(params)
        markup = self._inline_markup(state, params)
        if (
            caption.get("caption") == message.get("caption")
            and caption.get("caption_entities") == message.get("caption_entities")
            and markup == message.get("reply_markup")
        ):
            raise bad_request(_NOT_MODIFIED)
        after = {
            k: v
            for k, v in message.items()
            if k not in ("caption", "caption_entities", "reply_markup")
        }
        after.update(caption)
        if markup:
            after["reply_markup"] = markup
        return self._replace(state, "editMessageCaption", message, after)

    async def _m_editMessageReplyMarkup(self, params: Params) -> JSON:
        state, message = self._edit_target(params)
        markup = self._inline_markup(state, params)
        if markup == message.get("reply_markup"):
            raise bad_request(_NOT_MODIFIED)
        after = {k: v for k, v in message.items() if k != "reply_markup"}
        if markup:
            after["reply_markup"] = markup
        return self._replace(state, "editMessageReplyMarkup", message, after)

    async def _m_deleteMessage(self, params: Params) -> bool:
        state = self._target(params)
        message_id = params.required_int("message_id")
        if message_id not in state.messages or message_id in state.deleted:
            raise bad_request("message to delete not found")
        state.deleted.add(message_id)
        self._change("delete", state.chat.id, message_id)
        return True

    async def _m_deleteMessages(self, params: Params) -> bool:
        state = self._target(params)
        ids = params.obj("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be an array of 1-100 message identifiers")
        for message_id in (int(one) for one in ids):
            if message_id in state.messages and message_id not in state.deleted:
                state.deleted.add(message_id)
                self._change("delete", state.chat.id, message_id)
        return True

    async def _m_forwardMessage(self, params: Params) -> JSON:
        state = self._target(params)
        source = self._source(params)
        body = {k: v for k, v in source.items() if k in _CONTENT}
        sender = source.get("from") or {}
        if source["chat"]["type"] == "private" or sender.get("is_bot"):
            body["forward_origin"] = {
                "type": "user",
                "date": source["date"],
                "sender_user": sender,
            }
        else:
            body["forward_origin"] = {
                "type": "chat",
                "date": source["date"],
                "sender_chat": source["chat"],
            }
        self._limit(state)
        return self._store(state, self.bot, body)

    async def _m_copyMessage(self, params: Params) -> JSON:
        state = self._target(params)
        source = self._source(params)
        body = {k: v for k, v in source.items() if k in _CONTENT}
        if "caption" in params.values and "text" not in body:
            body.pop("caption", None)
            body.pop("caption_entities", None)
            body.update(self._caption(params))
        message = self._outgoing(state, params, body)
        return {"message_id": message["message_id"]}

    async def _m_answerCallbackQuery(self, params: Params) -> bool:
        query_id = params.required_str("callback_query_id")
        pressed = self._callbacks.pop(query_id, None)
        if pressed is None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        user, chat_id, message_id, data = pressed
        text = params.string("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        answer = AnsweredCallback(
            callback_query_id=query_id,
            user_id=user.id,
            chat_id=chat_id,
            message_id=message_id,
            data=data,
            text=text,
            show_alert=params.flag("show_alert"),
            url=params.string("url"),
        )
        self.answered_callbacks.append(answer)
        self._change(
            "callback_answer",
            chat_id,
            message_id,
            {
                "user_id": user.id,
                "callback_query_id": query_id,
                "text": text,
                "show_alert": answer.show_alert,
                "url": answer.url,
            },
        )
        return True

    async def _m_pinChatMessage(self, params: Params) -> bool:
        state = self._target(params)
        message_id = params.required_int("message_id")
        if message_id not in state.messages or message_id in state.deleted:
            raise bad_request("message to pin not found")
        state.pinned = message_id
        return True

    async def _m_unpinChatMessage(self, params: Params) -> bool:
        state = self._target(params)
        state.pinned = None
        return True

    async def _m_getChat(self, params: Params) -> JSON:
        state = self._target(params)
        info: JSON = {
            **state.chat.to_api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        if state.pinned is not None and state.pinned not in state.deleted:
            info["pinned_message"] = state.messages[state.pinned]
        return info

    async def _m_getChatMember(self, params: Params) -> JSON:
        state = self._target(params)
        user_id = params.required_int("user_id")
        if user_id == self.bot.id:
            default = "member" if state.chat.is_private else "administrator"
            return self._member_json(self.bot, state.members.get(user_id, default))
        user = self.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if state.chat.is_private:
            status = "member" if user_id == state.chat.id else "left"
        else:
            status = state.members.get(user_id, "left")
        return self._member_json(user, status)

    async def _m_getChatAdministrators(self, params: Params) -> list[JSON]:
        state = self._target(params)
        if state.chat.is_private:
            raise bad_request("there are no administrators in the private chat")
        admins = [
            self._member_json(self.users[uid], status)
            for uid, status in state.members.items()
            if status in ("creator", "administrator") and uid in self.users
        ]
        if state.members.get(self.bot.id, "administrator") == "administrator":
            admins.append(self._member_json(self.bot, "administrator"))
        return admins

    async def _m_leaveChat(self, params: Params) -> bool:
        state = self._target(params)
        state.members[self.bot.id] = "left"
        return True

    async def _m_getFile(self, params: Params) -> JSON:
        return self.files.get(params.required_str("file_id")).to_api()

    async def _m_close(self, params: Params) -> bool:
        return True

    async def _m_logOut(self, params: Params) -> bool:
        return True

    def _has_allowed(self) -> bool:
        return any(self._is_allowed(update, self._allowed) for update in self._pending)

    async def _stop_webhook(self) -> list[JSON]:
        """Stop the webhook (if any); every update not yet delivered, oldest first."""
        left = list(self._pending)
        self._pending.clear()
        if self._webhook is not None:
            left = sorted([*await self._webhook.stop(), *left], key=lambda u: int(u["update_id"]))
            self._webhook = None
        return left

    async def _drop_webhook(self, drop_pending: bool) -> None:
        left = await self._stop_webhook()
        if not drop_pending:
            self._pending.extend(left)

    async def _bot_text(self, kind: str, params: Params, field_name: str, limit: int) -> bool:
        value = params.string(field_name) or ""
        if len(value) > limit:
            raise bad_request(f"{kind} is too long")
        self._bot_texts[f"{kind}:{params.string('language_code') or ''}"] = value
        return True

    def _source(self, params: Params) -> JSON:
        """The message ``from_chat_id``/``message_id`` names, for forwarding or copying."""
        source_chat = self._chats.get(params.integer("from_chat_id") or 0)
        message_id = params.required_int("message_id")
        if source_chat is None:
            raise bad_request("chat not found")
        message = source_chat.messages.get(message_id)
        if message is None or message_id in source_chat.deleted:
            raise bad_request("message to forward not found")
        return message
