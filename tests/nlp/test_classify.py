"""Behaviour a resident or a grid worker would notice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from nlp import Classification, Classifier


def test_building_unit_stairwell_light_is_segmented_whole(classifier: Classifier) -> None:
    # Plain jieba cuts this into 单元楼 / 道 / 灯坏 and the stairwell light is lost.
    tokens = classifier.tokens("3号楼2单元楼道灯坏了")
    assert "楼道灯" in tokens
    result = classifier.classify("3号楼2单元楼道灯坏了")
    assert result.category == "service.facility"
    assert result.request_type == "complaint"
    assert "楼道灯" in {m.term for m in result.keywords}
    assert "3号楼" in result.terms


def test_place_names_are_kept_whole(classifier: Classifier) -> None:
    assert "铜都花园" in classifier.tokens("铜都花园的物业不管事")
    classifier.add_place_names(["孔雀苑二期"])
    assert "孔雀苑二期" in classifier.tokens("孔雀苑二期门口乱停车")


def test_past_fire_is_not_an_emergency(classifier: Classifier) -> None:
    result = classifier.classify("上次着火的楼道现在堆满杂物")
    assert result.category == "service.safety"
    assert result.emergency is None
    assert result.urgency != "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "万一着火了消防车都进不来，楼道里全是杂物",
        "没有着火，是楼下在烧纸，烟飘上来了",
        "社区什么时候组织消防演练",
        "去年那次失火以后，楼道的灭火器一直没补",
        "电动车在楼道里充电容易起火，能不能建个充电棚",
        "前几天有个老人在这里摔倒了，建议台阶装个扶手",
    ],
)
def test_negated_past_or_hypothetical_danger_is_not_flagged(
    classifier: Classifier, text: str
) -> None:
    assert classifier.classify(text).emergency is None


def test_not_a_leak_but_seepage_is_still_a_leak_complaint(classifier: Classifier) -> None:
    result = classifier.classify("不是漏水是渗水，楼上卫生间一直往下渗")
    assert result.category == "dispute.neighbour"
    assert result.request_type == "complaint"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("3栋2单元着火了！好大的烟，快打119", "fire"),
        ("楼下有股很浓的煤气味，好像是燃气泄漏了", "fire"),
        ("there is smoke coming from the 4th floor, I think it's on fire", "fire"),
        ("有人在楼下打架，还拿了刀", "police"),
        ("有个男的在撬对门的锁，现在还在", "police"),
        ("someone is fighting with a knife downstairs", "police"),
        ("一个老人在菜场门口晕倒了，叫不醒", "medical"),
        ("我妈在家摔倒了起不来，头在流血", "medical"),
        ("an old man collapsed near the gate, he is unconscious", "medical"),
    ],
)
def test_emergencies_are_diverted(classifier: Classifier, text: str, kind: str) -> None:
    result = classifier.classify(text)
    assert result.emergency == kind
    assert result.urgency == "emergency"
    assert result.category != "none"
    assert result.request_type == "help"


def test_water_pouring_and_trapped_lift_are_emergency_tickets(classifier: Classifier) -> None:
    burst = classifier.classify("地下的水管爆了，水哗哗往外冒，快来人关阀门")
    assert (burst.category, burst.urgency, burst.emergency) == (
        "service.facility",
        "emergency",
        None,
    )
    lift = classifier.classify("电梯困人了，里面有个老人")
    assert lift.urgency == "emergency"
    assert lift.category == "service.facility"


@pytest.mark.parametrize(
    "text",
    [
        "大家早上好",
        "收到",
        "谢谢网格员",
        "好的👍",
        "辛苦了！🙏🙏",
        "收到，谢谢通知",
        "新年快乐！",
        "ok",
    ],
)
def test_chatter_opens_no_ticket(classifier: Classifier, text: str) -> None:
    result = classifier.classify(text)
    assert result.category == "none"
    assert result.family == "none"
    assert result.request_type == ""
    assert result.routing is None


def test_thanks_with_a_remaining_problem_is_a_report(classifier: Classifier) -> None:
    assert classifier.classify("谢谢网格员，楼道灯已经修好了").category == "none"
    assert classifier.classify("谢谢，但是楼道灯还是不亮").category == "service.facility"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("路灯坏了 冇人修 克物业问也冇得用", "service.facility"),  # Hubei dialect
        ("今天早上开始停水了，也冇得通知，么样回事", "service.facility"),
        ("樓道燈壞了好幾天，晚上黑漆漆的", "service.facility"),  # traditional characters
        ("物業公司不作為，反映什麼都說不歸他們管", "dispute.property"),
        ("the lift is broken", "service.facility"),  # English
        ("no water since morning", "service.facility"),
        ("The landlord won't return my deposit", "dispute.consumer"),
        ("楼上天天蹦😡😡😡吵死了！！！", "dispute.neighbour"),  # emoji, repeated punctuation
        ("ＴＨＥ　ＬＩＦＴ　ＩＳ　ＢＲＯＫＥＮ", "service.facility"),  # full width
    ],
)
def test_phone_typing_variety(classifier: Classifier, text: str, category: str) -> None:
    assert classifier.classify(text).category == category


def test_two_problems_in_one_message(classifier: Classifier) -> None:
    result = classifier.classify("楼道灯坏了，垃圾也三天没人收了")
    assert result.category == "service.facility"
    assert "service.environment" in result.others
    assert result.urgency == "key"  # "三天" of waiting


def test_one_problem_has_no_others(classifier: Classifier) -> None:
    assert classifier.classify("小区门口的路灯不亮好几天了").others == ()


@pytest.mark.parametrize(
    ("text", "request_type"),
    [
        ("请问居住证在哪里办，需要带什么材料", "consult"),
        ("我爸不会用手机，养老金认证能不能社区帮忙代办", "help"),
        ("举报：7栋有人把公共绿地围起来当自家院子", "report"),
        ("建议在小区门口的路上装个减速带，车速太快了", "suggestion"),
        ("楼下烧烤店油烟太大了，熏得我们窗户都不敢开，投诉", "complaint"),
    ],
)
def test_request_types(classifier: Classifier, text: str, request_type: str) -> None:
    assert classifier.classify(text).request_type == request_type


def test_key_urgency_for_elderly_many_households_and_repeats(classifier: Classifier) -> None:
    assert classifier.classify("5栋的楼道灯坏了一个星期了，老人只能摸黑").urgency == "key"
    assert classifier.classify("突然停电了，整栋楼都没电").urgency == "key"
    assert classifier.classify("垃圾桶满了，已经多次反映").urgency == "key"
    assert classifier.classify("楼道灯坏了").urgency == "routine"
    # a question stays routine even when it mentions the elderly
    assert classifier.classify("幸福食堂几点开饭，老人吃一餐多少钱").urgency == "routine"


def test_vague_message_goes_to_staff_triage(classifier: Classifier) -> None:
    result = classifier.classify("有个事情想反映一下，怎么弄")
    assert result.category == "service.other"
    assert result.routing


def test_result_explains_itself(classifier: Classifier) -> None:
    result = classifier.classify("小区里乱停车太严重了，消防车都进不来")
    assert result.category == "service.parking"
    assert result.family == "service"
    assert result.routing and "交警" in result.routing
    assert 0.0 <= result.score <= 1.0
    weights = [abs(m.weight) for m in result.keywords]
    assert weights == sorted(weights, reverse=True)
    assert any(m.target == "service.parking" for m in result.keywords)


def test_classify_is_safe_from_worker_threads(classifier: Classifier) -> None:
    texts = ["3号楼2单元楼道灯坏了", "楼上天天半夜拖椅子", "请问医保怎么交", "收到"] * 50
    expected = [classifier.classify(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got: list[Classification] = list(pool.map(classifier.classify, texts))
    assert got == expected


def test_empty_text(classifier: Classifier) -> None:
    result = classifier.classify("")
    assert result.category == "none"
    assert result.keywords == ()
