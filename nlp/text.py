"""Text clean-up before matching (masking of personal data lives in nlp.privacy)."""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any

from nlp.privacy import mask_pii

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
