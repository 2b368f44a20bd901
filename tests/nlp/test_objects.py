"""The kinds of thing reports are about: the objects table (nlp/rules/objects.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.objects import ObjectTable
from nlp.rules import RulesError


@pytest.fixture(scope="module")
def table() -> ObjectTable:
    return ObjectTable.load()


@pytest.mark.parametrize(
    ("text", "about"),
    [
        ("楼道灯坏了", "light"),
        ("楼道里黑咕隆咚的", "light"),  # dialect: no lamp named, but the dark is the lamp
        ("樓道燈壞了", "light"),  # traditional characters
        ("电梯冇得用哒", "lift"),
        ("家里冇得水", "water_supply"),
        ("楼下一堆渣滓冇得人管", "rubbish"),  # Wuhan 渣滓 for rubbish
        ("电瓶车在楼道充电", "ebike"),
        ("大门的灯坏了", "light"),  # the lamp of the gate is a lamp
        ("the lift is broken", "lift"),
    ],
)
def test_what_a_report_is_about(table: ObjectTable, text: str, about: str) -> None:
    assert table.find(text).about == about


def test_the_longest_word_wins_and_says_how_wide(table: ObjectTable) -> None:
    street = table.find("小区路灯不亮")
    assert (street.about, street.scope) == ("light", "compound")
    stair = table.find("楼道灯不亮")
    assert (stair.about, stair.scope) == ("light", "building")


def test_a_place_word_is_not_a_thing(table: ObjectTable) -> None:
    assert table.find("狗屎拉在单元门口").codes == ("pets",)  # 单元门口: where, not the door


def test_english_words_match_whole_words_only(table: ObjectTable) -> None:
    assert table.find("please separate the scarf").codes == ()


def test_a_consequence_continues_its_cause(table: ObjectTable) -> None:
    assert table.continues(["rubbish"], table.find("臭死了 苍蝇到处飞"))
    assert table.continues(["power"], table.find("电梯也停了"))
    assert not table.continues(["light"], table.find("电梯也坏了"))


def test_facts_are_what_a_report_keeps(table: ObjectTable) -> None:
    assert table.find("垃圾桶满了 臭死了").facts() == {
        "objects": ["rubbish", "smell"],
        "about": "rubbish",
        "scope": "building",
    }


def test_a_word_under_two_objects_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "objects.yaml"
    bad.write_text(
        "version: 1\nobjects:\n  light:\n    words: [灯]\n  lamp:\n    words: [灯]\n",
        encoding="utf-8",
    )
    with pytest.raises(RulesError, match=r"objects.yaml:3: objects: .*'灯' is listed under"):
        ObjectTable.load(bad)


def test_an_unknown_symptom_of_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "objects.yaml"
    bad.write_text(
        "objects:\n  smell:\n    words: [臭]\n    symptom_of: [rubish]\n", encoding="utf-8"
    )
    with pytest.raises(RulesError, match="symptom_of names no object 'rubish'"):
        ObjectTable.load(bad)
