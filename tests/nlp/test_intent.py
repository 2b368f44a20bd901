"""The intent step: what a message is before anything is filed, and why (issue 10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import Classifier
from nlp.intent import Intent, IntentReader, IntentRules, Pending
from nlp.intent_eval import SAMPLE_ORG
from nlp.places import PlaceIndex
from nlp.rules import RulesError

HOME = "TD/铜都花园"


@pytest.fixture(scope="module")
def reader(classifier: Classifier) -> IntentReader:
    return IntentReader(classifier, PlaceIndex.from_file(SAMPLE_ORG))


@pytest.mark.parametrize(
    "text",
    [
        "我报的事怎么样了",
        "我的单子到哪一步了",
        "我反映的问题有人处理吗",
        "上次报修的灯什么时候来修",
        "我上周报的垃圾问题到现在还没人管",
        "报了好几次了漏水还是没人来",
        "my ticket status?",
    ],
)
def test_a_question_about_ones_own_report_is_a_status_question(
    reader: IntentReader, text: str
) -> None:
    reading = reader.read(text, home=HOME)
    assert reading.intent == Intent.STATUS
    assert reading.problems == ()  # nothing is filed
    assert reading.reasons  # and it says why


def test_a_status_question_naming_a_thing_could_also_be_a_problem(reader: IntentReader) -> None:
    reading = reader.read("我报的楼道灯怎么还没修", home=HOME)
    assert reading.intent == Intent.STATUS
    assert reading.alternative == Intent.PROBLEM


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("TD-261125-007", "TD-261125-007"),
        ("TD261125007", "TD-261125-007"),
        ("td 261125 007", "TD-261125-007"),
        ("ＴＤ－２６１１２５－００７", "TD-261125-007"),
        ("TD—261129—015", "TD-261129-015"),
        ("帮我查一下XHY-261130-003的进度", "XHY-261130-003"),
    ],
)
def test_a_bare_ticket_number_in_any_spelling(reader: IntentReader, text: str, number: str) -> None:
    reading = reader.read(text, home=HOME)
    assert reading.intent == Intent.TICKET
    assert reading.tickets == (number,)


def test_a_ticket_number_with_a_remark_is_about_that_ticket(reader: IntentReader) -> None:
    reading = reader.read("TD-261125-007 灯还是不亮", home=HOME)
    assert reading.intent == Intent.STATUS
    assert reading.tickets == ("TD-261125-007",)


def test_a_phone_number_is_no_ticket_number(reader: IntentReader) -> None:
    reading = reader.read("我的电话13812345678 楼道灯坏了", home=HOME)
    assert reading.intent == Intent.PROBLEM
    assert reading.tickets == ()


@pytest.mark.parametrize(
    "text",
    ["在吗", "早上好", "你好", "谢谢网格员 辛苦了", "收到", "👍👍", "晓得哒", "ok thanks"],
)
def test_greetings_and_chatter_open_nothing(reader: IntentReader, text: str) -> None:
    reading = reader.read(text, home=HOME)
    assert reading.intent == Intent.CHATTER
    assert reading.problems == ()


@pytest.mark.parametrize(
    "text",
    ["谢谢社区 垃圾已经清理干净了", "楼道打扫得真干净 给保洁阿姨点个赞", "电梯修好了 谢谢你们"],
)
def test_thanks_for_work_done_opens_nothing(reader: IntentReader, text: str) -> None:
    assert reader.read(text, home=HOME).intent == Intent.CHATTER


def test_thanks_with_a_new_trouble_is_a_problem(reader: IntentReader) -> None:
    assert reader.read("谢谢 但是楼道灯又坏了", home=HOME).intent == Intent.PROBLEM


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("我住铜都花园2栋", "铜都花园 2栋"),
        ("我是2栋的", "铜都花园 2栋"),
        ("我家住西花苑小区1栋3单元501", "西花苑小区 1栋"),
        ("住在花苑新村三栋", "花苑新村 3栋"),
    ],
)
def test_an_address_is_not_a_problem(reader: IntentReader, text: str, label: str) -> None:
    reading = reader.read(text, home=HOME)
    assert reading.intent == Intent.ADDRESS
    assert reading.place is not None and reading.place.label() == label


def test_an_address_during_start_is_read_without_a_home(reader: IntentReader) -> None:
    reading = reader.read("我住铜都花园2栋")
    assert reading.intent == Intent.ADDRESS
    assert reading.place is not None and reading.place.compound == "TD/铜都花园"


def test_an_optional_question_does_not_swallow_a_new_problem(reader: IntentReader) -> None:
    pending = Pending("rating-comment")
    reading = reader.read("6栋电梯困人了 快来", pending, home=HOME)
    assert reading.intent == Intent.PROBLEM
    assert reading.alternative == Intent.ANSWER
    assert reading.problems[0].place.label() == "铜都花园 6栋"


def test_an_optional_question_takes_its_answer(reader: IntentReader) -> None:
    pending = Pending("rating-comment")
    assert reader.read("没有了 谢谢", pending, home=HOME).intent == Intent.ANSWER
    assert reader.read("挺好的", pending, home=HOME).intent == Intent.ANSWER


def test_a_vague_remark_answers_but_the_bot_may_ask(reader: IntentReader) -> None:
    reading = reader.read("整体还行 就是施工噪音有点大", Pending("rating-comment"), home=HOME)
    assert reading.intent == Intent.ANSWER
    assert reading.alternative == Intent.PROBLEM
    assert reading.problems  # what would be filed, if the resident says it is a new problem


def test_a_required_question_takes_the_message_unless_someone_is_in_danger(
    reader: IntentReader,
) -> None:
    required = Pending("resolve", required=True)
    assert reader.read("换好了 灯亮了", required, home=HOME).intent == Intent.ANSWER
    danger = reader.read("3栋有人晕倒了 快叫救护车", required, home=HOME)
    assert danger.intent == Intent.PROBLEM
    assert danger.problems[0].classification.emergency == "medical"


def test_two_problems_in_two_places_are_two_problems(reader: IntentReader) -> None:
    text = "6栋后面垃圾堆了好几天没人清 还有小区北门的路灯不亮"
    reading = reader.read(text, home=HOME)
    assert reading.intent == Intent.PROBLEM
    rubbish, lamp = reading.problems
    assert rubbish.text == "6栋后面垃圾堆了好几天没人清"
    assert text[rubbish.start : rubbish.end] == rubbish.text
    assert rubbish.objects.about == "rubbish"
    assert rubbish.place.label() == "铜都花园 6栋"
    assert rubbish.place.text == "6栋后面"
    assert lamp.objects.about == "light"
    assert lamp.place.label() == "铜都花园 北门"
    assert lamp.classification.category == "service.facility"


def test_the_same_trouble_somewhere_else_is_a_second_problem(reader: IntentReader) -> None:
    first, second = reader.read("3栋楼道灯坏了，5栋的也坏了", home=HOME).problems
    assert (first.place.building, second.place.building) == ("3栋", "5栋")
    assert second.objects.about == "light"
    assert second.context == first.text  # 「5栋的也坏了」 alone would not say what


@pytest.mark.parametrize(
    "text",
    [
        "垃圾桶满了 臭死了 苍蝇到处飞",  # consequences of one thing
        "突然停电了 整栋楼都没电 电梯也停了",
        "楼道灯坏了好几天了 晚上上楼摸黑",
        "菜场旁边有人摆摊 占道",
    ],
)
def test_one_problem_told_in_several_clauses_stays_one(reader: IntentReader, text: str) -> None:
    assert len(reader.read(text, home=HOME).problems) == 1


def test_a_place_not_in_the_organisation_leaves_the_reporters_building(
    reader: IntentReader,
) -> None:
    (problem,) = reader.read("9栋楼道灯坏了", home=HOME).problems
    assert problem.place.kind == "home"
    assert "9栋: no such building in TD/铜都花园" in problem.place.reasons


def test_every_reading_explains_itself(reader: IntentReader) -> None:
    reading = reader.read("6栋后面垃圾堆了好几天没人清", home=HOME)
    assert "service.environment" in reading.explain()
    assert "rubbish" in reading.explain()
    assert "铜都花园 6栋" in reading.explain()


def test_a_problem_keeps_its_objects_and_place_as_facts(reader: IntentReader) -> None:
    (problem,) = reader.read("小区北门的路灯不亮", home=HOME).problems
    assert problem.facts() == {
        "objects": ["light"],
        "about": "light",
        "scope": "compound",
        "place": {
            "kind": "spot",
            "compound": "TD/铜都花园",
            "building": None,
            "spot": "北门",
            "text": "北门",
        },
    }


def test_empty_text_is_empty(reader: IntentReader) -> None:
    assert reader.read("   ").intent == Intent.EMPTY


def test_without_an_organisation_buildings_are_still_nothing_worse(
    classifier: Classifier,
) -> None:
    bare = IntentReader(classifier)
    (problem,) = bare.read("6栋楼道灯坏了").problems
    assert problem.place.kind == "home"


def test_a_bad_intent_rules_file_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "intent.yaml"
    bad.write_text(
        "version: 1\n"
        "ticket_number:\n"
        "  regex: '([a-z]+)(\\d{6})'\n"
        "status: {anchors: [我报的], asks: [怎么样]}\n"
        "chatter: {words: [在吗]}\n"
        "address: {cues: [我住]}\n",
        encoding="utf-8",
    )
    with pytest.raises(RulesError, match=r"intent.yaml:3: ticket_number.regex: .*3 groups"):
        IntentRules.load(bad)


@pytest.mark.parametrize(
    "text",
    [
        "谢谢 快来人 有人晕倒了",  # thanks
        "我报的事怎么样了 楼道里着火了",  # a status question
        "TD-261125-007 家里燃气泄漏了 好大的味道",  # a remark on a ticket
    ],
)
def test_an_emergency_told_with_anything_else_is_never_swallowed(
    reader: IntentReader, text: str
) -> None:
    reading = reader.read(text, home=HOME)
    assert reading.intent == Intent.PROBLEM
    assert reading.problems[0].classification.emergency is not None
