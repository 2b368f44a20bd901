"""The catalogues: complete in both languages, every key the code uses exists, languages map."""

from __future__ import annotations

import re
import string
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import locales
from domain.lifecycle import Action
from handlers.i18n import Texts, pick_language
from nlp import Classifier
from storage.models import Level, TicketState

ROOT = Path(__file__).parents[2]
TEXTS = Texts.load(locales.DIRECTORY, ZoneInfo("Asia/Shanghai"))


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_keys() -> None:
    assert TEXTS.keys("zh_Hans") == TEXTS.keys("en")
    assert len(TEXTS.keys("en")) > 100


def _forms(lang: str, key: str) -> tuple[str, ...]:
    plural = TEXTS.plurals[lang].get(key)
    return plural[1] if plural else (TEXTS.catalogues[lang][key],)


@pytest.mark.parametrize("key", sorted(TEXTS.keys("zh_Hans")))
def test_placeholders_agree(key: str) -> None:
    fields = {form: _fields(form) for lang in ("zh_Hans", "en") for form in _forms(lang, key)}
    assert len(set(map(frozenset, fields.values()))) == 1, key


def test_plural_entries_agree_and_have_every_form() -> None:
    """A plural entry names the same count parameter in both languages, uses it, and has as
    many forms as its language has (English two, Chinese one)."""
    assert set(TEXTS.plurals["zh_Hans"]) == set(TEXTS.plurals["en"])
    assert len(TEXTS.plurals["en"]) >= 20
    for key, (selector, forms) in TEXTS.plurals["en"].items():
        assert TEXTS.plurals["zh_Hans"][key][0] == selector, key
        assert len(forms) == 2 and len(TEXTS.plurals["zh_Hans"][key][1]) == 1, key
        assert selector in _fields(forms[-1]), key


def test_english_counts_one_and_two() -> None:
    """Regression: English said "1 tickets" and "(1 ratings)"."""
    from handlers.events import t

    def en(key: str, **params: object) -> str:
        return TEXTS.render("en", t(key, **params))

    assert en("n-tickets", count=1) == "1 ticket"
    assert en("n-tickets", count=2) == "2 tickets"
    assert en("n-tickets", count=0) == "0 tickets"
    assert en("n-ratings", count=1) == "1 rating"
    assert en("n-households", count=21) == "21 households"
    line = en(
        "hot-line",
        rank=1,
        compound="Tongdu Garden",
        community="Tongdu",
        what="lamps",
        tickets=t("n-tickets", count=1),
        households=t("n-households", count=2),
    )
    assert line == "1. Tongdu Garden, Tongdu · lamps: 1 ticket, 2 households"
    card = {"number": "TD-1", "urgency": "", "category": "", "place": "", "text": ""}
    card |= {"state": "open", "deadline": ""}
    assert "(1 household reported it)" in en("ticket-card", households=1, **card)
    assert "(2 households reported it)" in en("ticket-card", households=2, **card)
    assert en("notice-reminded", count=1) == "Reminded 1 resident."
    assert en("dl-topics", count=1, lines="").startswith("1 topic concerns you")
    assert TEXTS.render("zh_Hans", t("n-tickets", count=1)) == "1 张工单"
    assert TEXTS.render("zh_Hans", t("n-tickets", count=2)) == "2 张工单"


def _keys_in_code() -> set[str]:
    found: set[str] = set()
    for folder in ("handlers", "domain", "bot"):
        for path in (ROOT / folder).rglob("*.py"):
            if "standin" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            found |= set(re.findall(r'\bt\("([a-z][a-z0-9._-]+)"', source))
            found |= set(re.findall(r'Refused\("([a-z][a-z0-9._-]+)"', source))
            found |= set(re.findall(r'"((?:notify|ping)-[a-z-]+)"', source))
    return {key for key in found if not key.endswith("-")}  # a prefix completed at run time


def test_every_key_the_code_names_is_translated() -> None:
    missing = _keys_in_code() - TEXTS.keys("zh_Hans")
    assert not missing


def test_every_code_of_the_taxonomy_and_lifecycle_has_a_name() -> None:
    keys = TEXTS.keys("en")
    families = {
        "category": [*Classifier.load().categories, "none"],
        "urgency": ["emergency", "key", "routine"],
        "request": ["consult", "help", "complaint", "report", "suggestion"],
        "state": [s.value for s in TicketState],
        "level": [lv.value for lv in Level],
        "rating": ["satisfied", "basic", "dissatisfied"],
        "emergency": ["police", "fire", "medical"],
        "emergency-kind": ["police", "fire", "medical"],
        "done": [
            a.value
            for a in Action
            if a
            not in (
                Action.OPEN,
                Action.REMIND,
                Action.AUTO_CLOSE,
                Action.ATTACH,
                Action.MERGE,
                Action.SPLIT,
            )
        ],
    }
    missing = [
        f"{prefix}-{code}"
        for prefix, codes in families.items()
        for code in codes
        if f"{prefix}-{code}" not in keys
    ]
    assert not missing


@pytest.mark.parametrize(
    ("chosen", "telegram", "expected"),
    [
        (None, "zh", "zh_Hans"),
        (None, "zh-hans", "zh_Hans"),
        (None, "zh-CN", "zh_Hans"),
        (None, "zh-hant", "zh_Hans"),
        (None, "zh-TW", "zh_Hans"),
        (None, "en-US", "en"),
        (None, "ru", "en"),
        (None, None, "zh_Hans"),
        ("en", "zh-CN", "en"),
        ("zh_Hans", "en", "zh_Hans"),
    ],
)
def test_language_from_telegram_or_choice(
    chosen: str | None, telegram: str | None, expected: str
) -> None:
    assert pick_language(chosen, telegram) == expected


def test_dates_read_naturally() -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 25, 6, 30, tzinfo=UTC)
    assert TEXTS.when("zh_Hans", moment) == "11月25日 14:30"
    assert TEXTS.when("en", moment) == "Nov 25, 14:30"


def test_every_command_in_the_menu_exists_and_is_described() -> None:
    from bot.app import COMMANDS
    from handlers.app import ROUTERS

    registered = {r.key for router in ROUTERS for r in router.routes if r.kind == "command"}
    assert set(COMMANDS) <= registered
    for lang in ("zh_Hans", "en"):
        assert all(f"cmd-{name}" in TEXTS.keys(lang) for name in COMMANDS), lang
