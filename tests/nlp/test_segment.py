"""The one-pass segmenter agrees with jieba's own HMM-free cut."""

from __future__ import annotations

import csv
from pathlib import Path

from nlp import normalise
from nlp.segment import add_words, cut, new_tokenizer

REPO = Path(__file__).resolve().parents[2]


def test_cut_equals_jieba_lcut_without_hmm() -> None:
    tok = new_tokenizer()
    add_words(tok, ["楼道灯", "铜都花园", "冇得"])
    with (REPO / "nlp" / "data" / "devset.csv").open(encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    texts += [
        "A市A3区魏家坡小区脏乱差",
        "abc 123 x1y2 3号楼2单元楼道灯坏了\r\nok...  ",
        "C++ & 5% off_the-shelf #tag",
        "",
        "的",
    ]
    texts += [normalise(t) for t in texts]
    for text in texts:
        assert cut(tok, text) == tok.lcut(text, HMM=False), text


def test_added_words_only_change_their_own_tokenizer() -> None:
    mine = new_tokenizer()
    other = new_tokenizer()
    add_words(mine, ["楼道灯"])
    assert "楼道灯" in cut(mine, "3号楼2单元楼道灯坏了")
    assert "楼道灯" not in cut(other, "3号楼2单元楼道灯坏了")
