"""Texts from the gettext catalogues in locales/, keyed by message id, rendered per reader.

Catalogues are read with Babel straight from the .po files (no compile step, nothing binary in
the repository). zh_Hans is the default language; en is complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.messages.pofile import read_po

from handlers.events import Button, Keyboard, T

LANGUAGES = ("zh_Hans", "en")
DEFAULT_LANGUAGE = "zh_Hans"
_DATE_PATTERNS = {"zh_Hans": "M月d日 HH:mm", "en": "MMM d, HH:mm"}


def pick_language(chosen: str | None, telegram_code: str | None) -> str:
    """The reader's language: their own choice, else Telegram's code (any zh → Chinese)."""
    if chosen in LANGUAGES:
        return chosen
    if telegram_code and telegram_code.lower().replace("_", "-").split("-")[0] == "zh":
        return "zh_Hans"
    if telegram_code:
        return "en"
    return DEFAULT_LANGUAGE


class Texts:
    """All catalogues, loaded once; renders keys and lazy texts in a language."""

    def __init__(self, catalogues: Mapping[str, Mapping[str, str]], tz: ZoneInfo):
        self.catalogues = catalogues
        self.tz = tz
        self._locales = {lang: Locale.parse(lang) for lang in catalogues}

    @classmethod
    def load(cls, directory: Path, tz: ZoneInfo) -> Texts:
        catalogues: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            merged: dict[str, str] = {}
            for po in sorted((directory / lang / "LC_MESSAGES").glob("*.po")):
                with po.open("rb") as handle:
                    for message in read_po(handle, locale=lang):
                        if message.id and message.string and isinstance(message.id, str):
                            merged[message.id] = str(message.string)
            catalogues[lang] = merged
        return cls(catalogues, tz)

    def keys(self, lang: str) -> set[str]:
        return set(self.catalogues.get(lang, {}))

    def get(self, lang: str, key: str, **params: Any) -> str:
        """The text for `key`; parameters may themselves be lazy texts or datetimes."""
        template = self.catalogues.get(lang, {}).get(key)
        if template is None:
            template = self.catalogues[DEFAULT_LANGUAGE].get(key, key)
        if not params:
            return template
        return template.format_map({k: self._value(lang, v) for k, v in params.items()})

    def render(self, lang: str, text: T | str) -> str:
        if isinstance(text, str):
            return text
        return self.get(lang, text.key, **text.params)

    def keyboard(self, lang: str, rows: Iterable[Iterable[Button]]) -> Keyboard:
        return tuple(
            tuple(Button(self.render(lang, b.text), b.data, b.url) for b in row) for row in rows
        )

    def when(self, lang: str, moment: datetime) -> str:
        """A local date and time, short, as a phone shows it."""
        pattern = _DATE_PATTERNS.get(lang, _DATE_PATTERNS["en"])
        return format_datetime(
            moment, pattern, tzinfo=self.tz, locale=self._locales.get(lang, "en")
        )

    def _value(self, lang: str, value: Any) -> Any:
        if isinstance(value, T):
            return self.render(lang, value)
        if isinstance(value, datetime):
            return self.when(lang, value)
        return value
