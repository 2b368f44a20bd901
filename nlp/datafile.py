"""YAML data files (intent cues, objects) read into pydantic models, errors naming the line.

Read as the classification rules are (``nlp.rules``): a bad file fails with
``RulesError("<file>:<line>: <field>: <message>")``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

# nlp.rules' YAML-with-line-numbers helpers, shared rather than copied (they are private there;
# load_rules could in turn be load_model + its reference checks)
from nlp.rules import RulesError, _line, _Loader, _plain

__all__ = ["Words", "fold", "load_model", "traditional_chars"]

M = TypeVar("M", bound=BaseModel)


def load_model(path: str | Path, model: type[M]) -> M:
    """Read ``path`` (YAML) into ``model``; raise ``RulesError`` naming the file and line."""
    try:
        source = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(path, None, f"cannot read file: {exc.strerror}") from None
    try:
        root = yaml.compose(source, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise RulesError(
            path, mark.line + 1 if mark else None, f"not valid YAML: {exc.problem or exc}"
        ) from None
    except yaml.YAMLError as exc:
        raise RulesError(path, None, f"not valid YAML: {exc}") from None
    if root is None or not isinstance(root, yaml.MappingNode):
        raise RulesError(path, 1, "the file must be a mapping")
    lines: dict[tuple[str | int, ...], int] = {}
    data: Any = _plain(root, (), lines, path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        field = ".".join(str(part) for part in loc) or "(file)"
        raise RulesError(path, _line(lines, loc), f"{field}: {err['msg']}") from None


def traditional_chars(words: Iterable[str]) -> frozenset[str]:
    """Characters the traditional spelling of ``words`` uses instead of the simplified one.

    Cue words are matched on the raw text, lower-cased (normalising every message a second
    time would cost a tenth of a classification); a text with any of these characters is
    converted to simplified first (``fold``).
    """
    out: set[str] = set()
    converter = _s2t()
    for word in words:
        out.update(ch for ch in converter.convert(word) if ch not in word)
    return frozenset(out)


def fold(text: str, traditional: frozenset[str]) -> str:
    """``text`` lower-cased, and in simplified characters when it has traditional ones.

    Offsets are kept: OpenCC's character conversion maps one character to one.
    """
    lower = text.lower()
    if traditional.isdisjoint(lower):
        return lower
    simplified: str = _t2s().convert(lower)
    return simplified if len(simplified) == len(lower) else lower


class Words:
    """Find any of a list of words in a text, the longest at each place, fast.

    Chinese words are compiled into one regular expression shaped as a trie
    (``楼(?:道灯|梯)``): Python's ``re`` tries the branches of a flat alternation one by one,
    which for some hundreds of words costs ten times more, and a pattern whose branches all
    start with a character lets it skip every place no word starts at. English words are a
    second expression matching whole words only ("rat" is not in "separate"), run only on
    texts with Latin letters.
    """

    def __init__(self, words: Iterable[str]) -> None:
        trie: dict[str, Any] = {}
        latin: list[str] = []
        for word in set(words):
            if not word:
                continue
            if word.isascii() and word[:1].isalpha():
                latin.append(word)
                continue
            node = trie
            for ch in word:
                node = node.setdefault(ch, {})
            node[""] = {}
        self._cjk = re.compile(_trie(trie)) if trie else None
        escaped = "|".join(re.escape(w) for w in sorted(latin, key=len, reverse=True))
        self._latin = re.compile(rf"\b(?:{escaped})\b") if latin else None

    def finditer(self, text: str, start: int = 0, end: int | None = None) -> list[re.Match[str]]:
        """The words found in ``text[start:end]``, in order."""
        stop = len(text) if end is None else end
        found = list(self._cjk.finditer(text, start, stop)) if self._cjk else []
        if self._latin is not None and _LATIN.search(text, start, stop):
            found += self._latin.finditer(text, start, stop)
            found.sort(key=lambda m: m.start())
        return found

    def search(self, text: str, start: int = 0, end: int | None = None) -> re.Match[str] | None:
        """The first word found, if any."""
        stop = len(text) if end is None else end
        found = self._cjk.search(text, start, stop) if self._cjk else None
        if self._latin is not None and _LATIN.search(text, start, stop):
            latin = self._latin.search(text, start, stop)
            if latin is not None and (found is None or latin.start() < found.start()):
                return latin
        return found

    def match(self, text: str, start: int = 0) -> re.Match[str] | None:
        """A word starting exactly at ``start``, if any."""
        for pattern in (self._cjk, self._latin):
            if pattern is not None:
                m = pattern.match(text, start)
                if m:
                    return m
        return None

    def sub(self, replacement: str, text: str) -> str:
        """``text`` with every word found replaced."""
        for pattern in (self._cjk, self._latin):
            if pattern is not None:
                text = pattern.sub(replacement, text)
        return text

    def findall(self, text: str) -> list[str]:
        return [m.group() for m in self.finditer(text)]


_LATIN = re.compile("[a-z]")


def _trie(node: dict[str, Any]) -> str:
    branches = [re.escape(ch) + _trie(sub) for ch, sub in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:  # a word ends here: what follows is optional, and greedy (longest first)
        return f"(?:{body})?" if len(branches) == 1 else body + "?"
    return body


_converters: dict[str, Any] = {}


def _converter(config: str) -> Any:
    found = _converters.get(config)
    if found is None:
        import opencc  # local: keeps `import nlp` cheap

        found = _converters[config] = opencc.OpenCC(config)
    return found


def _s2t() -> Any:
    return _converter("s2t")


def _t2s() -> Any:
    return _converter("t2s")
