"""The leaks and forged buttons measured on the bot before domain/access.py, one by one.

Each reads as the dialogue that showed the fault; tests/handlers/test_access_matrix.py walks
every command and button as every role.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain import access
from handlers.deliberation import PickScope, ViewTopic
from handlers.i18n import Texts
from handlers.notices import Acknowledge
from handlers.views import Reassign, ToGrid
from tests.handlers.conftest import Neighbourhood
from tests.handlers.harness import GROUP, Harness
from tests.handlers.world import STRANGER, World


@pytest.fixture
def bot(neighbourhood: Neighbourhood) -> Harness:
    neighbourhood.bot.restore(neighbourhood.template)
    return neighbourhood.bot


@pytest.fixture
def world(neighbourhood: Neighbourhood) -> World:
    return neighbourhood.world


def test_a_stranger_cannot_read_a_topics_record(bot: Harness) -> None:
    bot.says("td-staff", "/comment TD-YS002 电话13812345678找我")
    answer = bot.says(STRANGER, "/topic TD-YS002")
    assert answer == ["没有找到议题 TD-YS002。"]
    assert bot.presses(STRANGER, ViewTopic(2).pack()) == "这个议题不在您的范围内，您不能查看。"
    assert "陈居民" in bot.says("r2", "/topic TD-YS002")[0]  # a neighbour in its scope may


def test_a_topics_record_is_never_posted_into_a_group(bot: Harness) -> None:
    answer = bot.says("r1", "/topic TD-YS001", chat=GROUP)
    assert answer == ["议题详情请私聊我查看：/topic 议题编号"]
    assert "陈居民" not in bot.last.said()


def test_split_by_another_communitys_staff_lists_nobody(bot: Harness) -> None:
    answer = bot.says("xhy-staff", "/split TD-261125-001")
    assert answer == ["没有找到您能查看的工单 TD-261125-001。"]
    assert "刘邻居" not in bot.last.said() and "3号楼" not in bot.last.said()


def test_a_forged_transfer_to_another_communitys_grid_is_refused(
    bot: Harness, world: World
) -> None:
    ticket, grid = world.ticket("TD-261125-001"), world.grid("XHY-01")
    answer = bot.presses("td-staff", ToGrid(ticket.id or 0, ticket.version, grid.id or 0).pack())
    assert answer == "只能转给本社区的网格。"
    assert bot.last.chats() <= {bot.sender("td-staff").id}  # xgw heard nothing
    assert world.ticket("TD-261125-001").grid_id == ticket.grid_id


def test_a_forged_reassignment_to_a_plain_resident_is_refused(bot: Harness, world: World) -> None:
    ticket, resident = world.ticket("TD-261125-001"), world.person("r3")
    data = Reassign(ticket.id or 0, ticket.version, resident.id or 0).pack()
    assert bot.presses("td-staff", data) == "只能改派给本社区的网格员或社区工作人员。"
    assert bot.inbox("r3") == []
    assert world.ticket("TD-261125-001").assignee_id == ticket.assignee_id


def test_a_forged_scope_onto_another_communitys_compound_is_refused(
    bot: Harness, world: World
) -> None:
    topic, compound = world.topic("TD-YS001"), world.compound("西花苑小区")
    data = PickScope(topic.id or 0, topic.version, "compound", compound.id or 0).pack()
    assert bot.presses("td-staff", data) == "议题范围只能在本社区之内；楼栋长只能选自己的楼栋。"
    assert world.topic("TD-YS001").scope_kind == "building"


def test_a_building_leader_keeps_a_topic_to_their_building(bot: Harness, world: World) -> None:
    topic, other = world.topic("TD-YS001"), world.building("铜都小区", "1栋")
    data = PickScope(topic.id or 0, topic.version, "building", other.id or 0).pack()
    assert "楼栋长只能选自己的楼栋" in bot.presses("bl", data)
    assert world.topic("TD-YS001").scope_id == topic.scope_id


def test_only_those_a_notice_was_addressed_to_acknowledge_it(bot: Harness, world: World) -> None:
    notice = world.notice("sent")
    data = Acknowledge(notice.id or 0).pack()
    assert bot.presses("r3", data) == "这条通知不是发给您的，不用确认。"
    assert bot.presses(STRANGER, data) == "这条通知不是发给您的，不用确认。"
    assert bot.presses("r1", data) == "已确认收到，谢谢！"


def test_every_refusal_of_the_access_rules_is_in_both_catalogues(texts: Texts) -> None:
    source = Path(access.__file__).read_text(encoding="utf-8")
    keys = set(re.findall(r'"((?:error|refused|dl-refused|notice)-[a-z-]+)"', source))
    assert len(keys) >= 8
    for lang in ("zh_Hans", "en"):
        assert keys <= texts.keys(lang), lang
