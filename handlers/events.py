"""What arrives from a messenger and what goes back to it, in the project's own words.

A transport adapter turns a Telegram update into a `Message` or `Press`, hands it to the
dispatcher, and carries out the returned `Send`, `Edit` and `Answer` effects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sender:
    """The person behind an update."""

    id: int
    name: str = ""
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class Chat:
    """Where an update happened."""

    id: int
    kind: str = "private"  # private | group | supergroup | channel
    title: str = ""

    @property
    def private(self) -> bool:
        return self.kind == "private"


@dataclass(frozen=True)
class Message:
    """A message someone sent."""

    update_id: int
    chat: Chat
    sender: Sender
    message_id: int
    text: str = ""  # text, or a photo's caption
    photo: str | None = None  # file id of the largest size
    media: str | None = None  # another kind of content without text: sticker, voice …
    addressed: bool = False  # in a group: mentions the bot or replies to it
    command: str | None = None  # "start" for "/start@linli_bot args"
    args: str = ""
    document: str | None = None  # file id of an attached file (a notice may carry one)

    @property
    def key(self) -> str:
        return f"m:{self.chat.id}:{self.message_id}"


@dataclass(frozen=True)
class Press:
    """Someone pressed an inline button."""

    update_id: int
    id: str
    chat: Chat
    sender: Sender
    message_id: int
    data: str


Event = Message | Press


@dataclass(frozen=True)
class T:
    """A text to be rendered in the reader's language: a locale key and its parameters."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


def t(key: str, **params: Any) -> T:
    return T(key, params)


@dataclass(frozen=True)
class Button:
    """An inline button: a callback (data) or a link (url)."""

    text: T | str
    data: str | None = None
    url: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Send:
    """Send a new message (with a photo when `photo` is a file id, a file when `document` is,
    a file from this machine when `upload` is its path: the meeting pack).

    `key` names the message in the outbox so that later Edits and Pins can refer to it before
    Telegram has given it an id; `bulk` marks broadcast traffic (notices), which yields to
    replies and pings.
    """

    chat_id: int
    text: str
    buttons: Keyboard = ()
    photo: str | None = None
    reply_to: int | None = None
    document: str | None = None
    key: str | None = None
    bulk: bool = False
    upload: str | None = None  # a local file's path, sent as a document upload


@dataclass(frozen=True)
class Edit:
    """Replace the text and buttons of a message the bot sent."""

    chat_id: int
    message_id: int
    text: str
    buttons: Keyboard = ()
    key: str | None = None  # instead of message_id: the message sent by the Send with this key


@dataclass(frozen=True)
class Pin:
    """Pin a message the bot sent in a group (pinChatMessage, without notifying everyone)."""

    chat_id: int
    message_id: int = 0
    key: str | None = None  # instead of message_id, as for Edit


@dataclass(frozen=True)
class Answer:
    """Answer a button press (the little toast, or an alert)."""

    callback_id: str
    text: str = ""
    alert: bool = False


Effect = Send | Edit | Pin | Answer
