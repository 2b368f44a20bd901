"""Private numbers 个人信息: mobiles, landlines, ID-card and bank-card numbers, vehicle plates.

`mask_pii` is the one masking function for every text that a person other than staff, or a
group chat, may read. Residents write numbers every way a phone keyboard allows: half- or
full-width digits, Chinese numerals (一三八…, 幺 for 1, 两 for 2), split by spaces, dots, dashes
or invisible zero-width characters. So the text is read through a one-to-one "folded" view
(every character becomes a digit, a separator or itself) and each run of digits is judged by
what its digits are, not by how they were written. What is kept is enough to recognise the
number (``138****5678``), written in plain digits.

Ordinary numbers are left alone: dates, times, prices, counts, room numbers (2单元302) and the
project's own ticket and topic numbers (TD-261125-007, TD-YS001).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

__all__ = ["mask_pii"]

# Chinese numerals as people read numbers out digit by digit (also the financial forms).
_CHINESE_DIGITS = {
    **dict.fromkeys("零〇○◯", "0"),
    **dict.fromkeys("一幺壹", "1"),
    **dict.fromkeys("二两贰", "2"),
    **dict.fromkeys("三叁", "3"),
    **dict.fromkeys("四肆", "4"),
    **dict.fromkeys("五伍", "5"),
    **dict.fromkeys("六陆", "6"),
    **dict.fromkeys("七柒", "7"),
    **dict.fromkeys("八捌", "8"),
    **dict.fromkeys("九玖", "9"),
}
# Invisible characters pasted between digits (zero-width space and joiners, word joiner,
# BOM, soft hyphen, direction marks, Mongolian vowel separator).
_INVISIBLE = set("\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u180e\u2061\u2062\u2063")
_DASHES = set("-－‐‑‒–—―−﹣﹘")
_DOTS = set(".．·・･")
_BRACKETS = set("()（）")  # (0714)6223344
_SEP = " "  # what every separator folds to
_NEUTRAL = "#"  # a character that is neither a digit nor a separator

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Two-digit province codes that start a resident ID number (GB 11643 / GB/T 2260).
_ID_REGIONS = frozenset(
    {*map(str, range(11, 16)), *map(str, range(21, 24)), *map(str, range(31, 38))}
    | {*map(str, range(41, 47)), *map(str, range(50, 55)), *map(str, range(61, 66))}
    | {"71", "81", "82", "83"}
)
_PHONE_CUES = ("电话", "座机", "固话", "联系", "致电", "拨打", "tel", "phone", "call")

# Runs of digits with at most three separators between neighbours; an ID may end in X.
_RUN = re.compile(r"\d(?: {0,3}\d)*(?: {0,3}[Xx](?![A-Za-z0-9]))?")
# The project's own numbers, never personal: tickets TD-261125-007 and topics TD-YS001.
# (Matched where dashes are still dashes: "TD 261125 007" is not one of ours.)
_OWN_NUMBERS = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{1,8}-(?:\d{6}-\d{3,}|YS\d{3,})(?![0-9])", re.IGNORECASE
)
_PLATE = re.compile(
    rf"([{_PROVINCES}]) {{0,2}}([A-Za-z]) {{0,2}}"
    r"([A-Za-z0-9]{5,6}|[A-Za-z0-9]{4}[学警挂港澳领试超])(?![A-Za-z0-9])"
)


def _fold_char(ch: str) -> str:
    """One character of the folded view (always exactly one character)."""
    if ch in _CHINESE_DIGITS:
        return _CHINESE_DIGITS[ch]
    if "0" <= ch <= "9" or ch in "Xx":
        return ch
    if ch == "\n":
        return _NEUTRAL  # a line break ends a number
    if ch in _INVISIBLE or ch in _DASHES or ch in _DOTS or ch in _BRACKETS or ch.isspace():
        return _SEP
    decimal = unicodedata.decimal(ch, None)  # full-width and other scripts' digits, not ²
    if decimal is not None:
        return str(decimal)
    if "\uff21" <= ch <= "\uff3a" or "\uff41" <= ch <= "\uff5a":  # full-width Latin letters
        return chr(ord(ch) - 0xFEE0)
    return ch


@dataclass(frozen=True)
class _Group:
    """Digits written together (no separator inside), as positions in the text."""

    start: int
    end: int  # exclusive
    digits: str


def mask_pii(text: str) -> str:
    """Mask phone, ID-card and bank-card numbers and vehicle plates in ``text``.

    Enough is kept to recognise each: ``138****5678``, ``420202********123X``,
    ``6222*********0123``, ``0714-62***44``, ``鄂B***45``. Applying it twice changes nothing.
    """
    if not text:
        return text
    folded = [_fold_char(ch) for ch in text]
    dashed = "".join("-" if ch in _DASHES else f for ch, f in zip(text, folded, strict=True))
    view = "".join(folded)
    edits: list[tuple[int, int, str]] = []
    for match in _OWN_NUMBERS.finditer(dashed):
        for i in range(match.start(), match.end()):
            folded[i] = _NEUTRAL
    for match in _PLATE.finditer(view):
        if any(folded[i] == _NEUTRAL for i in range(match.start(), match.end())):
            continue
        tail = match.group(3)
        masked = f"{match.group(1)}{match.group(2).upper()}{'*' * (len(tail) - 2)}{tail[-2:]}"
        edits.append((match.start(), match.end(), masked.upper()))
        for i in range(match.start(), match.end()):
            folded[i] = _NEUTRAL
    view = "".join(folded)
    for run in _RUN.finditer(view):
        edits += _judge_run(text, view, run.start(), run.end())
    if not edits:
        return text
    out: list[str] = []
    last = 0
    for start, end, masked in sorted(edits):
        out.append(text[last:start])
        out.append(masked)
        last = end
    out.append(text[last:])
    return "".join(out)


def _judge_run(text: str, view: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """Masks for the numbers in one run: the longest span of groups that is one, first.

    Digits written together form a group; so do Chinese numerals, apart from Arabic digits
    next to them ("两13812345678" is the word 两 and a mobile).
    """
    groups: list[_Group] = []
    for m in re.finditer(r"[0-9Xx]+", view[start:end]):
        first = start + m.start()
        for i in range(first + 1, start + m.end() + 1):
            boundary = i == start + m.end() or (
                (text[i] in _CHINESE_DIGITS) != (text[i - 1] in _CHINESE_DIGITS)
            )
            if boundary:
                groups.append(_Group(first, i, view[first:i].upper()))
                first = i
    edits: list[tuple[int, int, str]] = []
    i = 0
    while i < len(groups):
        for j in range(len(groups) - 1, i - 1, -1):
            span = groups[i : j + 1]
            masked = _classify(span, text, view)
            if masked is not None:
                edits.append((span[0].start, span[-1].end, masked))
                i = j + 1
                break
        else:
            i += 1
    return edits


def _classify(span: list[_Group], text: str, view: str) -> str | None:
    """The masked form of these groups taken as one number, or None when they are not one."""
    digits = "".join(g.digits for g in span)
    if "X" in digits[:-1] or (digits.endswith("X") and len(digits) != 18):
        return None
    n = len(digits)
    if n == 11 and _mobile(digits):
        return f"{digits[:3]}****{digits[-4:]}"
    for prefix in ("86", "0086"):
        rest = digits[len(prefix) :]
        if digits.startswith(prefix) and len(rest) == 11 and _mobile(rest):
            return f"{prefix} {rest[:3]}****{rest[-4:]}"
    if n == 18 and _resident_id(digits[:17], digits[6:14]):
        return f"{digits[:6]}********{digits[-4:]}"
    if n == 15 and digits.isdigit() and _resident_id(digits, "19" + digits[6:12]):
        return f"{digits[:6]}******{digits[-3:]}"
    if 16 <= n <= 19 and digits.isdigit() and _card_groups(span):
        return f"{digits[:4]}{'*' * (n - 8)}{digits[-4:]}"
    if 10 <= n <= 12 and digits.isdigit() and digits[0] == "0" and digits[1] != "0":
        area = _area_code(span, digits)
        local = digits[len(area) :]
        # the separator as written ("0714 ", "(0714)"), else a dash
        sep = text[span[0].end : span[1].start] if area == span[0].digits else "-"
        if 7 <= len(local) <= 8:
            return f"{area}{sep}{local[:2]}{'*' * (len(local) - 4)}{local[-2:]}"
    if 7 <= n <= 8 and digits.isdigit() and digits[0] in "23456789" and _cued(view, span):
        return f"{digits[:2]}{'*' * (n - 4)}{digits[-2:]}"
    return None


def _mobile(digits: str) -> bool:
    return digits[0] == "1" and digits[1] in "3456789"


def _resident_id(head: str, birth: str) -> bool:
    """A resident ID number: a province code and a real date of birth (YYYYMMDD)."""
    if not head.isdigit() or head[:2] not in _ID_REGIONS:
        return False
    try:
        born = date(int(birth[:4]), int(birth[4:6]), int(birth[6:8]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2099


def _card_groups(span: list[_Group]) -> bool:
    """A bank card is written whole or in fours (6222 0212 3456 7890 123)."""
    return len(span) == 1 or all(len(g.digits) == 4 for g in span[:-1])


def _area_code(span: list[_Group], digits: str) -> str:
    """The area code as written (0714-6223344), else by its length rule (010, 02x: three)."""
    if len(span) > 1 and len(span[0].digits) in (3, 4):
        return span[0].digits
    return digits[:3] if digits[1] in "12" else digits[:4]


def _cued(view: str, span: list[_Group]) -> bool:
    """A 7-8 digit local number counts as a phone only right after a word like 电话."""
    before = view[max(0, span[0].start - 8) : span[0].start].rstrip(" :：")
    return before.lower().endswith(_PHONE_CUES)
