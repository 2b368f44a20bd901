"""Command arguments as people type them, read in one place.

Phones type full-width digits and dashes (ＴＤ－２６１１２５－００１), lower case and stray
spaces; all of that is folded (Unicode NFKC) before anything is matched. Numbers are read as
ASCII digits only after folding, so '²'.isdigit() and other such traps never reach int().
"""

from __future__ import annotations

import re
import unicodedata

# TD-261125-007 (a ticket) or TD-YS001 (a topic); community codes are 1–8 capitals
_NUMBER = re.compile(r"[A-Z]{1,8}-(?:[0-9]{6}-[0-9]{3,6}|YS[0-9]{3,6})")
_INTEGER = re.compile(r"[0-9]{1,10}")


def plain(text: str) -> str:
    """The text folded to its plain form (full-width → ASCII), stripped."""
    return unicodedata.normalize("NFKC", text).strip()


def number(text: str) -> str | None:
    """A ticket or topic number from one argument, in its canonical form; None if it is none."""
    word = plain(text).upper()
    return word if _NUMBER.fullmatch(word) else None


def numbers(text: str) -> tuple[list[str], str]:
    """The ticket or topic numbers among the words, and the remaining words (a title …)."""
    found: list[str] = []
    rest: list[str] = []
    for word in plain(text).split():
        canonical = number(word)
        if canonical is None:
            rest.append(word)
        else:
            found.append(canonical)
    return found, " ".join(rest)


def first(text: str) -> tuple[str, str]:
    """The first word of the arguments (folded) and the rest as typed."""
    pieces = re.split(r"\s+", text.strip(), maxsplit=1)  # \s: ideographic spaces too
    return plain(pieces[0]), pieces[1].strip() if len(pieces) > 1 else ""


def integer(text: str, low: int, high: int) -> int | None:
    """A whole number between `low` and `high` (inclusive), or None."""
    word = plain(text)
    if not _INTEGER.fullmatch(word):
        return None
    value = int(word)
    return value if low <= value <= high else None
