"""Text entities as Telegram computes them: HTML parse mode, commands and mentions.

Telegram returns a message's text without markup plus ``entities`` whose offsets count
UTF-16 code units; the stand-in does the same so the bot sees what it would see live, and a
bot that forgets to escape a resident's ``<`` gets Telegram's "can't parse entities" error.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from bot.standin.types import JSON, bad_request

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_ALL_TAGS = {*_SIMPLE_TAGS, "a", "span", "blockquote", "tg-emoji"}

_TAG = re.compile(r"<(/?)([^\s>/]*)")
_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?!\w)")


def u16len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


class _TelegramHtml(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.parts: list[str] = []
        self.length = 0  # UTF-16 units written so far
        self.open: list[tuple[str, int, JSON]] = []
        self.entities: list[JSON] = []

    def _offset(self) -> int:
        line, col = self.getpos()
        lines = self.source.split("\n")
        chars = sum(len(one) + 1 for one in lines[: line - 1]) + col
        return len(self.source[:chars].encode("utf-8"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag not in _ALL_TAGS or (tag == "span" and attributes.get("class") != "tg-spoiler"):
            raise bad_request(
                f'can\'t parse entities: Unsupported start tag "{tag}" '
                f"at byte offset {self._offset()}"
            )
        entity: JSON = {}
        if tag == "a":
            href = attributes.get("href", "")
            match = re.fullmatch(r"tg://user\?id=(\d+)", href)
            if match:
                entity = {"type": "text_mention", "user": {"id": int(match[1])}}
            else:
                entity = {"type": "text_link", "url": href}
        elif tag == "span":
            entity = {"type": "spoiler"}
        elif tag == "blockquote":
            expandable = "expandable" in attributes
            entity = {"type": "expandable_blockquote" if expandable else "blockquote"}
        elif tag == "tg-emoji":
            entity = {"type": "custom_emoji", "custom_emoji_id": attributes.get("emoji-id", "")}
        elif tag == "code" and self.open and self.open[-1][0] == "pre":
            language = attributes.get("class", "")
            if language.startswith("language-"):
                self.open[-1][2]["language"] = language.removeprefix("language-")
            entity = {"type": ""}  # a code block inside <pre> is part of the pre entity
        else:
            entity = {"type": _SIMPLE_TAGS[tag]}
        self.open.append((tag, self.length, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise bad_request(
                f"can't parse entities: Unmatched end tag at byte offset {self._offset()}, "
                f'expected "</{self.open[-1][0] if self.open else ""}>", found "</{tag}>"'
            )
        _, start, entity = self.open.pop()
        if entity["type"] and self.length > start:
            self.entities.append({**entity, "offset": start, "length": self.length - start})

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += u16len(data)


def _check_tags(source: str) -> None:
    """Every ``<`` opens a supported tag, as Telegram demands (a lone ``<`` must be ``&lt;``)."""
    for match in _TAG.finditer(source):
        closing, name = match[1], match[2].lower()
        offset = len(source[: match.start()].encode("utf-8"))
        if name not in _ALL_TAGS:
            kind = "end" if closing else "start"
            raise bad_request(
                f'can\'t parse entities: Unsupported {kind} tag "{name}" at byte offset {offset}'
            )
        if ">" not in source[match.end() :]:
            raise bad_request(
                f"can't parse entities: Can't find end of the tag at byte offset {offset}"
            )


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Split Telegram-HTML into plain text and entities, raising 400 on a malformed text."""
    if "<" not in source and "&" not in source:
        return source, []
    _check_tags(source)
    parser = _TelegramHtml(source)
    parser.feed(source)
    parser.close()
    if parser.open:
        raise bad_request(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{parser.open[-1][0]}"'
        )
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities


def format_text(text: str, parse_mode: str | None, entities: Any) -> tuple[str, list[JSON]]:
    """Text and entities of an outgoing message, as Telegram stores them (trimmed)."""
    if isinstance(entities, list) and entities:
        return _trim(text, [dict(e) for e in entities if isinstance(e, dict)])
    if parse_mode and parse_mode.upper() == "HTML":
        return _trim(*parse_html(text))
    # Markdown modes are passed through as they are: the product uses HTML.
    return _trim(text, [])


def _trim(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Telegram drops leading and trailing whitespace, moving the entities along."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = u16len(text[: len(text) - len(text.lstrip())])
    end = u16len(stripped)
    kept = []
    for entity in entities:
        start = max(0, int(entity["offset"]) - shift)
        stop = min(end, int(entity["offset"]) + int(entity["length"]) - shift)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return stripped, kept


def incoming_entities(text: str) -> list[JSON]:
    """Entities Telegram adds to a person's message: ``bot_command`` and ``mention``."""
    if "/" not in text and "@" not in text:
        return []
    found: list[tuple[int, int, str]] = []
    for match in _COMMAND.finditer(text):
        found.append((match.start(), match.end(), "bot_command"))
    for match in _MENTION.finditer(text):
        if not any(start <= match.start() < end for start, end, _ in found):
            found.append((match.start(), match.end(), "mention"))
    found.sort()
    return [
        {"type": kind, "offset": u16len(text[:start]), "length": u16len(text[start:end])}
        for start, end, kind in found
    ]
