"""Same problem, many residents: neighbours join the open ticket, staff merge, split and see
the week's frequent problems; private numbers stay private."""

from __future__ import annotations

from bot.standin import TgUser
from tests.e2e.conftest import World


async def register(world: World, user: TgUser, compound: str, building: str) -> None:
    await world.say(user, "/start")
    await world.press(user, "铜都社区")
    await world.press(user, compound)
    await world.press(user, building)
    world.texts(user.id)


async def test_a_neighbour_joins_the_open_ticket_and_follows_it(world: World) -> None:
    await world.say("r1", "3号楼楼道灯坏了，黑漆漆的")
    world.inbox("gw1")
    answer = await world.say("r2", "3号楼的楼道灯不亮了")  # r2 reads English
    assert (
        len(answer) == 1 and "A neighbour already reported this: ticket TD-261125-001" in answer[0]
    )
    assert "2 households" in answer[0]
    assert "又有邻居反映同一问题（共 2 户）" in world.inbox("gw1")[0]  # the worker reads Chinese
    await world.press("gw1", "受理")
    assert "was accepted" in world.inbox("r2")[0]  # the neighbour follows every step
    assert "已由 王网格 受理" in world.inbox("r1")[0]


async def test_three_households_make_a_key_ticket(world: World) -> None:
    third = TgUser(9101, "邻居三", language_code="zh-hans")
    await register(world, third, "铜都花园", "3栋")
    await world.say("r1", "3号楼楼道灯坏了")
    await world.say("r2", "3号楼楼道灯坏了")
    world.inbox("gw1")
    await world.say(third, "3号楼楼道的灯坏了好几天")
    ping = world.inbox("gw1")[0]
    assert "3 户反映，已升为重点单" in ping and "重点单" in ping


async def test_the_same_words_about_another_building_open_another_ticket(world: World) -> None:
    other = TgUser(9102, "二栋住户", language_code="zh-hans")
    await register(world, other, "铜都花园", "2栋")
    await world.say("r1", "3号楼楼道灯坏了")
    answer = await world.say(other, "2号楼楼道灯坏了")
    assert "TD-261125-002" in answer[0]


async def test_the_reporter_repeating_themselves_is_told_it_is_in_hand(world: World) -> None:
    await world.say("r1", "楼下的垃圾桶满了没人清")
    world.inbox("gw1")
    answer = await world.say("r1", "楼下垃圾桶满了都没人清理")
    assert "您已反映过这个问题：工单 TD-261125-001" in answer[0]
    assert world.inbox("gw1") == []


async def test_phone_numbers_are_masked_for_neighbours_not_for_the_grid_worker(
    world: World,
) -> None:
    await world.say("r1", "3号楼楼道灯坏了，有事打我电话13812345678")
    assert "13812345678" in world.inbox("gw1")[0]
    answer = await world.say("r2", "3号楼楼道灯也坏了")
    assert "138****5678" in answer[0] and "13812345678" not in answer[0]


async def test_staff_merge_two_tickets_about_one_problem(world: World) -> None:
    await world.say("r1", "小区东门路灯不亮")
    other = TgUser(9103, "东门住户", language_code="zh-hans")
    await register(world, other, "铜都小区", "1栋")
    await world.say(other, "我们这边的下水道堵了")
    answer = await world.say("td-staff", "/merge TD-261125-001 TD-261125-002")
    assert "已把 TD-261125-002 合并到 TD-261125-001，共 2 户反映" in answer[0]
    merged = world.texts(other.id)
    assert any("合并" in line and "TD-261125-001" in line for line in merged)
    mine = await world.say(other, "/my")
    assert "TD-261125-002" in mine[0] and "已关闭" in mine[0]
    refused = await world.say("r1", "/merge TD-261125-001 TD-261125-002")
    assert "没有这个权限" in refused[0]


async def test_staff_split_a_report_that_is_another_problem(world: World) -> None:
    await world.say("r1", "3号楼楼道灯坏了")
    await world.say("r2", "3号楼楼道灯也不亮")
    pick = await world.say("td-staff", "/split TD-261125-001")
    assert "刘邻居" in pick[0]
    await world.press("td-staff", "1. 刘邻居")
    assert "TD-261125-002" in world.inbox("r2")[-1]
    assert any("TD-261125-002" in line for line in world.inbox("gw1"))


async def test_the_weekly_hot_list_ranks_by_households(world: World) -> None:
    await world.say("r1", "3号楼楼道灯坏了")
    await world.say("r2", "3号楼楼道灯坏了")
    await world.say("r3", "小区里的垃圾没人清运")
    listing = await world.say("td-staff", "/hot")
    assert "1. 铜都社区 铜都花园 · 公共设施维修·楼道灯：1 张工单，2 户" in listing[0]
    assert "西花苑" not in listing[0]  # another community's staff business
    everything = await world.say("centre", "/hot")
    assert "西花苑" in everything[0]
