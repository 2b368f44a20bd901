"""normalise, mask_pii and similarity."""

from __future__ import annotations

import pytest

from nlp import Classifier, mask_pii, normalise, similarity


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("ＡＢＣ１２３，", "abc123,"),  # full width -> half width, lower case
        ("電梯壞了", "电梯坏了"),  # traditional -> simplified
        ("好的👍👍", "好的"),  # emoji dropped
        ("快来人！！！！", "快来人!"),  # repeated punctuation collapsed
        ("3号楼   2单元", "3号楼 2单元"),  # whitespace, digits kept
        ("有没有人管。。。", "有没有人管."),
        ("", ""),
    ],
)
def test_normalise(raw: str, clean: str) -> None:
    assert normalise(raw) == clean


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("电话13812345678", "电话138****5678"),
        ("打138-1234-5678找我", "打138****5678找我"),
        ("座机0714-6223344", "座机0714-62***44"),
        ("身份证42020219800101123X", "身份证420202********123X"),
        ("卡号6222021234567890123", "卡号6222***********0123"),
        ("车牌鄂B12345挡路了", "车牌鄂B***45挡路了"),
        ("新能源鄂BD12345", "新能源鄂B****45"),
    ],
)
def test_mask_pii(raw: str, masked: str) -> None:
    assert mask_pii(raw) == masked


def test_mask_pii_leaves_ordinary_numbers() -> None:
    text = "3号楼2单元501，停水3天了，2024年反映过"
    assert mask_pii(text) == text


def test_similarity_of_reports(classifier: Classifier) -> None:
    a = classifier.classify("3号楼的楼道灯坏了")
    b = classifier.classify("3号楼楼道灯不亮好几天了")
    c = classifier.classify("7号楼楼道灯坏了")
    d = classifier.classify("楼上天天半夜拖椅子")
    hi = classifier.classify("大家早上好")
    assert similarity(a, b) >= 0.6
    assert similarity(a, b) > similarity(a, c) > similarity(a, d)
    assert similarity(a, d) < 0.3
    assert similarity(a, hi) == 0.0
    assert similarity(a, a) == pytest.approx(1.0)
    assert similarity(a, b) == similarity(b, a)
