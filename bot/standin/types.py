"""Plain value types of the Bot API stand-in: people, chats and what the bot did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class TgUser:
    """A Telegram user as the stand-in shows it to the bot."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass(frozen=True, slots=True)
class TgChat:
    """A Telegram chat: ``private`` (id = the user's id), ``group`` or ``supergroup``."""

    id: int
    type: str = "private"
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None

    @classmethod
    def private(cls, user: TgUser) -> TgChat:
        """The private chat between ``user`` and the bot."""
        return cls(
            id=user.id,
            type="private",
            first_name=user.first_name,
            last_name=user.last_name,
            username=user.username,
        )

    @classmethod
    def group(cls, chat_id: int, title: str, *, supergroup: bool = True) -> TgChat:
        return cls(id=chat_id, type="supergroup" if supergroup else "group", title=title)

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "last_name", "username"):
            value = getattr(self, key)
            if value:
                data[key] = value
        return data


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Bot API request the bot made, with its decoded parameters."""

    method: str
    params: JSON
    at: float
    ok: bool = True
    error_code: int | None = None


@dataclass(frozen=True, slots=True)
class AnsweredCallback:
    """The bot's ``answerCallbackQuery`` for a button someone pressed."""

    callback_query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(frozen=True, slots=True)
class Edit:
    """One edit the bot made to a message: its state before and after."""

    method: str
    chat_id: int
    message_id: int
    before: JSON
    after: JSON


@dataclass(frozen=True, slots=True)
class Change:
    """An entry of the change feed the simulator polls: ``seq`` increases by one each time.

    ``kind`` is ``message`` (created or edited), ``delete``, ``keyboard`` (the chat's reply
    keyboard changed), ``callback_answer`` or ``action`` (``sendChatAction``).
    """

    seq: int
    kind: str
    chat_id: int
    message_id: int = 0
    data: JSON = field(default_factory=dict)
    at: float = 0.0


@dataclass(slots=True)
class Failure:
    """A failure the next matching request(s) get instead of the normal answer."""

    method: str
    error_code: int | None
    description: str
    times: int
    chat_id: int | str | None = None
    retry_after: int | None = None
    migrate_to_chat_id: int | None = None
    delay: float = 0.0

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.method not in ("*", method):
            return False
        return self.chat_id is None or str(self.chat_id) == str(chat_id)


class ApiError(Exception):
    """Raised by a method implementation to answer ``{"ok": false, ...}``."""

    def __init__(self, error_code: int, description: str, parameters: JSON | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_api(self) -> JSON:
        data: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")
