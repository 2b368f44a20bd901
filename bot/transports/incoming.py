"""How an incoming Telegram message becomes the project's `Message`, for every transport.

Each adapter reads its library's objects into plain fields (`Incoming`); the decisions — text
or caption, which photo, what counts as media, which command and for whom, whether the bot is
addressed — are made here once, so the aiogram and python-telegram-bot transports cannot
drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handlers.events import Chat, Message, Sender

# Kinds of content a person may send without text, in the order aiogram's `content_type` checks
# them (python-telegram-bot has no such property; its adapter asks for these attributes).
CONTENT_KINDS = (
    "audio",
    "animation",
    "document",
    "game",
    "photo",
    "sticker",
    "video",
    "video_note",
    "voice",
    "contact",
    "venue",
    "location",
    "poll",
    "dice",
    "story",
    "paid_media",
    "checklist",
)


@dataclass(frozen=True)
class Entity:
    """A message entity as Telegram sends it: offsets and lengths in UTF-16 code units."""

    kind: str
    offset: int
    length: int


@dataclass(frozen=True)
class Incoming:
    """The fields of a Telegram message the bot reads, independent of the library."""

    update_id: int
    chat: Chat
    sender: Sender
    sender_is_bot: bool
    message_id: int
    text: str | None
    caption: str | None
    photo: str | None  # file id of the largest size
    kind: str  # "text", or the content kind ("sticker", "voice", "photo" …)
    entities: Sequence[Entity]  # of the text, or of the caption
    reply_to_user_id: int | None  # the author of the message this one replies to
    document: str | None = None  # file id of an attached file


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of `text` an entity covers (Telegram counts UTF-16 code units)."""
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le")


def read_message(incoming: Incoming, bot_id: int, bot_username: str | None) -> Message | None:
    """The project's `Message`, or None for what the bot ignores (bots, other bots' commands)."""
    if incoming.sender_is_bot:
        return None
    text = incoming.text or incoming.caption or ""
    media = None
    if not text and incoming.photo is None and incoming.kind != "text":
        media = incoming.kind
    command, args = None, ""
    mentioned = False
    me = (bot_username or "").lower()
    for entity in incoming.entities:
        chunk = utf16_slice(text, entity.offset, entity.length)
        if entity.kind == "bot_command" and entity.offset == 0:
            name, _, target = chunk[1:].partition("@")
            if target and me and target.lower() != me:
                return None  # a command meant for another bot
            command, args = name.lower(), text[len(chunk) :].strip()
        elif entity.kind == "mention" and me and chunk[1:].lower() == me:
            mentioned = True
    addressed = mentioned or incoming.reply_to_user_id == bot_id
    return Message(
        incoming.update_id,
        incoming.chat,
        incoming.sender,
        incoming.message_id,
        text,
        incoming.photo,
        media,
        addressed,
        command,
        args,
        document=incoming.document,
    )


def content_kind(message: object) -> str:
    """ "text", or the first content kind `message` carries (Bot API field names), or "unknown"."""
    if getattr(message, "text", None):
        return "text"
    for kind in CONTENT_KINDS:
        if getattr(message, kind, None):
            return kind
    return "unknown"
