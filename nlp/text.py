"""Text clean-up before matching, and masking of personal data (PII)."""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any

__all__ = ["mask_pii", "normalise"]

_converter: Any = None
_converter_lock = threading.Lock()


def _t2s() -> Any:
    """The OpenCC traditional→simplified converter, built once."""
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                import opencc  # local: keeps `import nlp` cheap

                _converter = opencc.OpenCC("t2s")
    return _converter


# Emoji, pictographs, dingbats, variation selectors, zero-width joiners, skin tones, flags.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U00002b00-\U00002bff"
    "\U0000fe00-\U0000fe0f\U0000200b-\U0000200d\U00002060\U0001f1e6-\U0001f1ff"
    "\U000e0000-\U000e007f\u2300-\u23ff\u2190-\u21ff\u3030\u303d\u3297\u3299]+"
)
# Runs of the same punctuation mark ("！！！", "。。。", "~~~"), collapsed to one.
_REPEATED_PUNCT = re.compile(r"([^\w\s])\1+")
_SPACES = re.compile(r"\s+")
# Punctuation NFKC leaves alone but residents use interchangeably with ASCII.
_PUNCT = str.maketrans(
    {
        "。": ".",
        "、": ",",
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "【": "[",
        "】": "]",
        "〔": "[",
        "〕": "]",
        "…": ".",
        "—": "-",
        "–": "-",
        "·": " ",
        "•": " ",
        "\u201c": '"',
        "\u201d": '"',
        "\u2018": "'",
        "\u2019": "'",
    }
)


def normalise(text: str) -> str:
    """Return ``text`` ready for matching.

    Full-width letters, digits and punctuation become half-width, traditional characters
    become simplified, Latin letters lower-case; emoji are removed, runs of the same
    punctuation mark collapse to one and whitespace to a single space. Digits are kept.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _EMOJI.sub(" ", text)
    text = text.translate(_PUNCT).lower()
    if not text.isascii():
        text = _t2s().convert(text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_ID_CARD = re.compile(
    r"(?<![0-9])(\d{6})(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}([0-9Xx])"
    r"(?![0-9A-Za-z])"
)
_BANK_CARD = re.compile(r"(?<![0-9])(\d{4})(?:[ -]?\d){8,11}(\d{4})(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?(1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])(0\d{2,3})[ -]?(\d{2})\d{3,4}(\d{2})(?![0-9])")
_LOCAL_PHONE = re.compile(r"(电话|座机|tel|Tel|TEL)([:：]?\s*)([2-8]\d)\d{3,4}(\d{2})(?![0-9])")
_PLATE = re.compile(
    rf"([{_PROVINCES}][A-Za-z])[·・. ]?([A-Za-z0-9]{{3,4}})([A-Za-z0-9]{{2}})"
    r"(?![A-Za-z0-9])"
)


def _id_card(m: re.Match[str]) -> str:
    return f"{m.group(1)}********{m.group(0)[-4:]}"


def _bank_card(m: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in m.group(0))
    return f"{m.group(1)}{'*' * (digits - 8)}{m.group(2)}"


def _plate(m: re.Match[str]) -> str:
    return f"{m.group(1)}{'*' * len(m.group(2))}{m.group(3)}"


def mask_pii(text: str) -> str:
    """Mask phone numbers, ID-card and bank-card numbers and vehicle plates in ``text``.

    Enough is kept to recognise the item: ``138****5678``, ``420202********123X``,
    ``6222*********0123``, ``0714-62***44``, ``鄂B***45``.
    """
    text = _ID_CARD.sub(_id_card, text)
    text = _BANK_CARD.sub(_bank_card, text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}-{m.group(2)}***{m.group(3)}", text)
    text = _LOCAL_PHONE.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}***{m.group(4)}", text)
    return _PLATE.sub(_plate, text)
