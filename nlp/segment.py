"""jieba tokenizers: one per classifier, all sharing one dictionary load.

jieba keeps its dictionary in a ``Tokenizer``; ``add_word`` changes it for every caller. Each
classifier therefore gets its own ``Tokenizer``, filled with a copy of one base dictionary
that is loaded once per process from jieba's on-disk cache (``jieba.cache`` in the temp dir).
"""

from __future__ import annotations

import logging
import math
import threading
import warnings
from typing import Any

__all__ = ["add_words", "cut", "new_tokenizer"]

_base: Any = None
_lock = threading.Lock()
_MIN_FREQ = 20


def _import_jieba() -> Any:
    # jieba 0.42 imports pkg_resources (deprecated in recent setuptools) and has regexes with
    # invalid escapes; neither is ours to fix, and pytest runs with warnings as errors.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", UserWarning)
        import jieba
    # jieba logs "Building prefix dict ..." at DEBUG to stderr by default.
    jieba.setLogLevel(logging.WARNING)
    return jieba


def _base_tokenizer() -> Any:
    global _base
    if _base is None:
        with _lock:
            if _base is None:
                jieba = _import_jieba()
                tok = jieba.Tokenizer()
                tok.initialize()  # reads jieba.cache when present, builds and writes it otherwise
                _base = tok
    return _base


def new_tokenizer() -> Any:
    """A fresh, initialised jieba ``Tokenizer`` whose dictionary this caller may extend."""
    jieba = _import_jieba()
    base = _base_tokenizer()
    tok = jieba.Tokenizer()
    tok.FREQ = dict(base.FREQ)
    tok.total = base.total
    tok.initialized = True
    return tok


def add_words(tokenizer: Any, words: list[str]) -> None:
    """Make jieba keep each of ``words`` whole."""
    for word in words:
        if len(word) < 2 or not _is_cjk_word(word):
            continue
        # suggest_freq gives the least frequency that cuts the word out on its own; a floor
        # keeps it whole in context too ("单元楼道灯" → 单元 / 楼道灯, not 单元楼 / 道 / 灯).
        tokenizer.add_word(word, max(tokenizer.suggest_freq(word, False), _MIN_FREQ))


def _is_cjk_word(word: str) -> bool:
    # Only words with Chinese characters go into jieba's dictionary. With an English word
    # in it ("hi"), jieba cuts longer English words around it ("nothing" -> not/hi/ng);
    # English stays whole without help. A word with punctuation can never be cut out whole.
    has_cjk = False
    for ch in word:
        if "\u4e00" <= ch <= "\u9fff":
            has_cjk = True
        elif not ch.isdigit():
            return False
    return has_cjk


def cut(tokenizer: Any, sentence: str) -> list[str]:
    """``tokenizer.lcut(sentence, HMM=False)``, computed in one pass.

    The same dictionary, the same route (maximum log-probability, ties to the longer word)
    and the same handling of Latin letters, digits and whitespace as jieba 0.42; only the
    DAG and the route are built together instead of in two passes over dict lookups.
    ``tests/nlp/test_segment.py`` checks the two agree.
    """
    re_han, re_skip = _block_patterns()
    freq: dict[str, int] = tokenizer.FREQ
    logtotal = math.log(tokenizer.total)
    out: list[str] = []
    for blk in re_han.split(sentence):
        if not blk:
            continue
        if re_han.match(blk):
            _cut_block(freq, logtotal, blk, out)
        else:
            for x in re_skip.split(blk):
                if re_skip.match(x):
                    out.append(x)
                else:
                    out.extend(x)
    return out


_patterns: tuple[Any, Any] | None = None


def _block_patterns() -> tuple[Any, Any]:
    """jieba's block and whitespace patterns, looked up once."""
    global _patterns
    if _patterns is None:
        jieba = _import_jieba()
        _patterns = (jieba.re_han_default, jieba.re_skip_default)
    return _patterns


def _cut_block(freq: dict[str, int], logtotal: float, s: str, out: list[str]) -> None:
    n = len(s)
    score = [0.0] * (n + 1)
    nxt = list(range(n))
    log = math.log
    for idx in range(n - 1, -1, -1):
        best = 0.0
        found = False
        end = idx
        frag = s[idx]
        i = idx
        while i < n and frag in freq:
            f = freq[frag]
            if f:
                value = log(f) - logtotal + score[i + 1]
                if not found or value >= best:  # ascending i: ties go to the longer word
                    best, end, found = value, i, True
            i += 1
            frag = s[idx : i + 1]
        if not found:
            best = log(freq.get(s[idx]) or 1) - logtotal + score[idx + 1]
        score[idx] = best
        nxt[idx] = end
    x = 0
    buf = ""
    while x < n:
        y = nxt[x] + 1
        word = s[x:y]
        if y - x == 1 and ("a" <= word <= "z" or "A" <= word <= "Z" or "0" <= word <= "9"):
            buf += word
        else:
            if buf:
                out.append(buf)
                buf = ""
            out.append(word)
        x = y
    if buf:
        out.append(buf)
