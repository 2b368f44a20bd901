"""Texts from the gettext catalogues in locales/, keyed by message id, rendered per reader.

Catalogues are read with Babel straight from the .po files (no compile step, nothing binary in
the repository). zh_Hans is the default language; en is complete.

Plurals are gettext's: an entry with `msgid_plural` has one `msgstr[n]` per plural form of its
language (English two, Chinese one), chosen by the language's plural rule as Babel knows it
(the catalogue's Plural-Forms header, else CLDR's). Since message ids here are keys, the
entry's `msgid_plural` names the parameter whose number picks the form:

    msgid "ticket-card"
    msgid_plural "households"
    msgstr[0] "… ({households} household reported it)"
    msgstr[1] "… ({households} households reported it)"

A text with two numbers in it takes each as a plural text of its own (`t("n-tickets", count=3)`).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.messages.pofile import read_po

from handlers.events import Button, Keyboard, T

LANGUAGES = ("zh_Hans", "en")
Plural = tuple[str, tuple[str, ...]]  # the parameter that picks the form, and the forms
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

    def __init__(
        self,
        catalogues: Mapping[str, Mapping[str, str]],
        tz: ZoneInfo,
        plurals: Mapping[str, Mapping[str, Plural]] | None = None,
        rules: Mapping[str, Callable[[int], int]] | None = None,
    ):
        self.catalogues = catalogues  # key → text (a plural entry: its last, "other" form)
        self.plurals = plurals or {}  # key → (parameter, forms) for entries with plural forms
        self.tz = tz
        self._locales = {lang: Locale.parse(lang) for lang in catalogues}
        self._rules = dict(rules or {})

    @classmethod
    def load(cls, directory: Path, tz: ZoneInfo) -> Texts:
        catalogues: dict[str, dict[str, str]] = {}
        plurals: dict[str, dict[str, Plural]] = {}
        rules: dict[str, Callable[[int], int]] = {}
        for lang in LANGUAGES:
            merged: dict[str, str] = {}
            forms: dict[str, Plural] = {}
            for po in sorted((directory / lang / "LC_MESSAGES").glob("*.po")):
                with po.open("rb") as handle:
                    catalogue = read_po(handle, locale=lang)
                rules[lang] = gettext.c2py(catalogue.plural_expr)
                for message in catalogue:
                    if not message.id or not message.string:
                        continue
                    if isinstance(message.id, str):
                        merged[message.id] = str(message.string)
                        continue
                    key, selector = (str(part) for part in message.id[:2])
                    strings = tuple(str(form) for form in message.string)
                    merged[key] = strings[-1]
                    forms[key] = (selector, strings)
            catalogues[lang], plurals[lang] = merged, forms
        return cls(catalogues, tz, plurals, rules)

    def plural_form(self, lang: str, n: int) -> int:
        """Which of a language's plural forms a number takes (gettext's index)."""
        rule = self._rules.get(lang)
        return rule(abs(n)) if rule else 0

    def keys(self, lang: str) -> set[str]:
        return set(self.catalogues.get(lang, {}))

    def get(self, lang: str, key: str, **params: Any) -> str:
        """The text for `key`; parameters may themselves be lazy texts or datetimes."""
        lang_of_text = lang if key in self.catalogues.get(lang, {}) else DEFAULT_LANGUAGE
        template = self.catalogues.get(lang_of_text, {}).get(key, key)
        plural = self.plurals.get(lang_of_text, {}).get(key)
        if plural is not None:
            selector, forms = plural
            count = params.get(selector)
            if isinstance(count, int) and not isinstance(count, bool):
                template = forms[min(self.plural_form(lang_of_text, count), len(forms) - 1)]
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
