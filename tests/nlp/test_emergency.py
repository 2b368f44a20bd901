"""The emergency detector: scenes without cue words, several kinds, cancelled or unclear danger."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import Classifier, RulesError


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        # a person + a state, no cue word
        ("我妈躺在卫生间地上 怎么喊都不答应", ("medical",)),
        ("我爸吃饭的时候突然嘴歪了 说话也说不清楚", ("medical",)),
        ("隔壁婆婆好几天没出门了 门口的菜都烂了 屋里有股怪味", ("medical",)),
        ("小孩掉进小区的池塘里了 还在扑腾", ("medical",)),
        # gas + escaping, sparks + where
        ("煤气罐的阀门拧不紧了 嗤嗤地往外冒", ("fire",)),
        ("空调外机在冒火星 啪啪响", ("fire",)),
        # a weapon + an action
        ("有个人拎着一把砍刀在追另一个人", ("police",)),
        # violence with an injury: both numbers, police first
        ("有人拿刀在小区门口砍人 地上好多血", ("police", "medical")),
        ("两个男的正在小区门口围着打一个外卖员 外卖员满脸是血", ("police", "medical")),
    ],
)
def test_scenes_and_several_kinds(
    classifier: Classifier, text: str, kinds: tuple[str, ...]
) -> None:
    result = classifier.classify(text)
    assert result.emergencies == kinds
    assert result.emergency == kinds[0]
    assert result.urgency == "emergency"
    assert not result.caution


def test_evidence_names_the_scene(classifier: Classifier) -> None:
    result = classifier.classify("我妈躺在卫生间地上 怎么喊都不答应")
    scenes = [m for m in result.keywords if m.target == "emergency:medical" and "+" in m.term]
    assert scenes and all(m.weight > 0 for m in scenes)
    assert any("不答应" in m.term for m in scenes)


def test_violence_with_injury_files_as_safety(classifier: Classifier) -> None:
    assert classifier.classify("有人拿刀在小区门口砍人 地上好多血").category == "service.safety"
    # at home it is a family matter
    assert classifier.classify("楼上男的把他老婆打得满脸是血").category == "dispute.family"


@pytest.mark.parametrize(
    "text",
    [
        "上次着火以后 灭火器到现在都没补",  # past
        "万一着火了 这楼道全是杂物人都跑不出去",  # hypothetical
        "社区什么时候搞消防演练 我们楼想参加",  # a drill, asked about
        "我爸去年心梗是120送去的 现在想申请个呼叫器",  # past, and a service asked for
        "楼上两口子又在吵 没动手 就是声音大",  # negated
        "楼下天天有人在打架子鼓 吵死了",  # 打架 inside another word
        "楼下的饭店后厨老是冒烟 油烟大得很",  # habitual nuisance
        "电梯里的按钮坏了好几个 按了没反应",  # a state word about a thing
        "我刚才闻到有点煤气味 检查了是灶没关好 已经关了没事了",  # resolved
    ],
)
def test_danger_words_that_are_no_emergency(classifier: Classifier, text: str) -> None:
    result = classifier.classify(text)
    assert result.emergencies == ()
    assert result.emergency is None
    assert result.urgency != "emergency"


def test_unclear_danger_gets_caution_not_a_diversion(classifier: Classifier) -> None:
    unclear = classifier.classify("楼下有个醉汉在闹")
    assert unclear.caution and unclear.emergencies == ()
    resolved = classifier.classify("厨房刚才着火了 已经灭了 没事了")
    assert resolved.caution and resolved.emergencies == ()  # advice still costs only a line
    assert resolved.category == "service.safety"  # what happened is still reported
    assert not classifier.classify("3号楼2单元楼道灯坏了").caution


def test_combo_naming_an_unknown_list_is_a_rules_error(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "categories:\n"
        "  a:\n"
        "    keywords: {灯: 1}\n"
        "emergency:\n"
        "  medical:\n"
        "    combos:\n"
        "      - {all: ['@people', '不动'], weight: 3}\n",
        encoding="utf-8",
    )
    with pytest.raises(RulesError) as info:
        Classifier.load(path)
    assert str(info.value).startswith(f"{path}:7:")
    assert "'@people' names no list under `lexicons:`" in str(info.value)


def test_minimal_rules_with_a_scene(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "emergency_threshold: 2.5\n"
        "categories:\n"
        "  a:\n"
        "    keywords: {灯: 1}\n"
        "lexicons:\n"
        "  person: [老人, 孩子]\n"
        "emergency:\n"
        "  medical:\n"
        "    combos:\n"
        "      - {all: ['@person', '不动|没反应'], weight: 3}\n",
        encoding="utf-8",
    )
    clf = Classifier.load(path)
    assert clf.classify("老人躺着没反应").emergencies == ("medical",)
    assert clf.classify("老人躺着").emergencies == ()
