"""mask_pii: every everyday way of writing a private number is masked; ordinary numbers are not."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nlp import mask_pii

ZW = "\u200b"  # zero-width space
WJ = "\u2060"  # word joiner

MASKED = [
    # mobiles
    ("电话13812345678", "电话138****5678"),
    ("打138-1234-5678找我", "打138****5678找我"),
    ("手机 138 1234 5678", "手机 138****5678"),
    ("138.1234.5678", "138****5678"),
    ("138·1234·5678", "138****5678"),
    (f"138{ZW}1234{ZW}5678", "138****5678"),
    (f"1{ZW}3{ZW}8{ZW}1{ZW}2{ZW}3{ZW}4{ZW}5{ZW}6{ZW}7{ZW}8", "138****5678"),
    (f"13{WJ}81{WJ}23{WJ}45{WJ}678", "138****5678"),
    ("1 3 8 1 2 3 4 5 6 7 8", "138****5678"),
    ("138 - 1234 - 5678", "138****5678"),
    ("138\u30001234\u30005678", "138****5678"),  # ideographic spaces
    ("１３８１２３４５６７８", "138****5678"),  # full width
    ("１３８－１２３４－５６７８", "138****5678"),
    ("１３８ １２３４ ５６７８", "138****5678"),
    ("一三八一二三四五六七八", "138****5678"),  # Chinese numerals
    ("幺三八幺二三四五六七八", "138****5678"),  # 幺 for 1
    ("幺五两零零零零幺幺幺幺", "152****1111"),  # 两 for 2
    ("一三八 一二三四 五六七八", "138****5678"),
    ("壹叁捌壹贰叁肆伍陆柒捌", "138****5678"),  # financial numerals
    ("138一二三四5678", "138****5678"),  # mixed
    ("+86 138 1234 5678", "+86 138****5678"),
    ("+8613812345678", "+86 138****5678"),
    ("0086-138-1234-5678", "0086 138****5678"),
    ("两个号码13812345678和13912345678", "两个号码138****5678和139****5678"),
    ("13812345678 13912345678", "138****5678 139****5678"),
    ("tel13812345678", "tel138****5678"),
    # landlines
    ("座机0714-6223344", "座机0714-62***44"),
    ("07146223344", "0714-62***44"),
    ("(0714)6223344", "(0714)62***44"),
    ("010-12345678", "010-12****78"),
    ("027 8765 4321", "027 87****21"),
    ("０７１４－６２２３３４４", "0714－62***44"),  # the separator as written
    ("电话：6223344", "电话：62***44"),
    ("座机 62233445", "座机 62****45"),
    # resident ID numbers, 18 and 15 digits
    ("身份证42020219800101123X", "身份证420202********123X"),
    ("身份证420202198001011234", "身份证420202********1234"),
    ("身份证号 420202 19800101 123X", "身份证号 420202********123X"),
    ("4202 0219 8001 0112 3X", "420202********123X"),
    ("420202-19800101-123x", "420202********123X"),
    ("４２０２０２１９８００１０１１２３Ｘ", "420202********123X"),
    ("老身份证420202800101123", "老身份证420202******123"),
    ("420202 800101 123", "420202******123"),
    # bank cards
    ("卡号6222021234567890123", "卡号6222***********0123"),
    ("卡号 6222 0212 3456 7890 123", "卡号 6222***********0123"),
    ("6222-0212-3456-7890", "6222********7890"),
    ("６２２２ ０２１２ ３４５６ ７８９０", "6222********7890"),
    ("4392258812345678", "4392********5678"),
    # plates
    ("车牌鄂B12345挡路了", "车牌鄂B***45挡路了"),
    ("新能源鄂BD12345", "新能源鄂B****45"),
    ("鄂B·12345", "鄂B***45"),
    ("鄂 B 12345", "鄂B***45"),
    ("鄂Ｂ１２３４５", "鄂B***45"),
    ("鄂b1234学", "鄂B***4学"),
]

ORDINARY = [
    "3号楼2单元501，停水3天了，2024年反映过",
    "2026年12月1日下午3点半停电",
    "2026-12-01 08:30 到 2026-12-31 17:00",
    "2026/12/01",
    "价格¥1,299.00，团购价 1280 元，12.5元一斤",
    "物业费每平米1.65元，一年共 1980.00 元",
    "2单元302和3-2-301都漏水",
    "工单 TD-261125-007 和 TD-261125-012 是同一个问题",
    "议题 TD-YS001、TD-YS012",
    "12栋、13栋、15号楼",
    "共 200 户 35 人签名，3/4 同意",
    "房间 302 303 304 305",
    "IP 192.168.1.100",
    "我们这栋一二楼都停水了",
    "两三天了，三五个人",
    "下午3点到5点，10:30-11:30",
    "快递单号 SF1234567890",
    "第1、2、3、4、5项",
    "2024年-2026年",
    "门牌号1203，楼层12",
]


@pytest.mark.parametrize(("raw", "masked"), MASKED)
def test_every_everyday_form_is_masked(raw: str, masked: str) -> None:
    assert mask_pii(raw) == masked


def test_the_table_is_long_enough() -> None:
    assert len(MASKED) >= 40


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert mask_pii(text) == text


@pytest.mark.parametrize(("raw", "masked"), MASKED)
def test_masking_twice_changes_nothing(raw: str, masked: str) -> None:
    assert mask_pii(masked) == masked


_CN = "零一二三四五六七八九"
_SEPARATORS = ["", " ", "-", ".", ZW, "\u3000", " - ", "·"]


@st.composite
def written_mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """A random mobile, written in a random everyday way: (as written, its digits)."""
    rest = draw(st.text("0123456789", min_size=9, max_size=9))
    digits = "1" + draw(st.sampled_from("3456789")) + rest
    script = draw(st.sampled_from(["ascii", "full", "chinese"]))
    shown = {
        "ascii": digits,
        "full": "".join(chr(ord(d) + 0xFEE0) for d in digits),
        "chinese": "".join(_CN[int(d)] for d in digits),
    }[script]
    sep = draw(st.sampled_from(_SEPARATORS))
    cuts = draw(st.sampled_from([(3, 7), (3, 6, 9), (4, 8), ()]))
    parts, last = [], 0
    for cut in cuts:
        parts.append(shown[last:cut])
        last = cut
    parts.append(shown[last:])
    before = draw(st.sampled_from(["", "电话", "有事打", "联系我 ", "找王师傅："]))
    after = draw(st.sampled_from(["", "，谢谢", " 找我", "。"]))
    return before + sep.join(parts) + after, digits


@given(written_mobiles())
def test_no_written_mobile_survives(case: tuple[str, str]) -> None:
    written, digits = case
    masked = mask_pii(written)
    plain = re.sub(r"\D", "", masked)
    assert digits[3:7] not in plain or digits[3:7] in digits[:3] + digits[7:]
    assert f"{digits[:3]}****{digits[-4:]}" in masked
