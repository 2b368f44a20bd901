"""Community staff at work on a ticket: re-classify, supervise (督办), reassign."""

from __future__ import annotations

from tests.e2e.conftest import World


async def open_card(world: World) -> None:
    await world.say("r1", "楼道里有人给电动车充电")
    world.inbox("gw1")
    world.inbox("r1")
    card = await world.say("td-staff", "/ticket TD-261125-001")
    assert "TD-261125-001" in card[0] and "陈居民" in card[0]


async def test_staff_reclassify_and_the_resident_hears_it(world: World) -> None:
    await open_card(world)
    await world.press("td-staff", "重新分类")
    await world.press("td-staff", "安全隐患")
    assert "调整类别为：安全隐患" in world.inbox("r1")[0]
    assert "重新分类为：安全隐患" in world.inbox("gw1")[0]


async def test_supervision_presses_the_holder(world: World) -> None:
    await open_card(world)
    assert "已督办" in await world.press("td-staff", "督办")
    assert "督办提醒" in world.inbox("gw1")[0]
    assert world.inbox("r1") == []  # residents are not bothered with internal pressure


async def test_reassign_to_another_grid_worker(world: World) -> None:
    await open_card(world)
    await world.press("td-staff", "改派")
    await world.press("td-staff", "李网格")
    assert "改派给您" in world.inbox("gw2")[0]
    assert "不再需要您处理" in world.inbox("gw1")[0]
    assert "改由 李网格 处理" in world.inbox("r1")[0]


async def test_a_ticket_card_is_not_for_strangers(world: World) -> None:
    await world.say("r1", "楼道灯坏了")
    answer = await world.say("r3", "/ticket TD-261125-001")
    assert "没有找到您能查看的工单" in answer[0]
    answer = await world.say("xhy-staff", "/ticket TD-261125-001")
    assert "没有找到您能查看的工单" in answer[0]


async def test_an_empty_group_report_asks_for_words(world: World) -> None:
    from tests.e2e.conftest import GROUP

    answer = await world.say("r1", "#报事", chat=GROUP)
    assert "请在消息里写上要反映的问题" in answer[0]


async def test_the_monthly_figures_for_the_joint_meeting(world: World) -> None:
    await world.say("r1", "楼道灯坏了")  # accepted in time, resolved, rated satisfied
    await world.press("gw1", "受理")
    await world.press("gw1", "办结")
    await world.say("gw1", "换了灯泡")
    await world.press("r1", "满意")
    await world.say("r2", "小区门口有人乱摆摊")  # still waiting to be accepted
    await world.say("r3", "楼下垃圾没人收")  # another community
    figures = await world.say("td-staff", "/stats")
    # r2's ticket still has time to be accepted and resolved: not counted against anyone yet
    assert (
        "铜都社区：2 张工单\n• 响应率 100%（1/1）\n• 解决率 100%（1/1）\n• 满意率 100%（1/1）"
        in figures[0]
    )
    assert "2026-11" in figures[0] and "响应率 = 按时受理的工单" in figures[0]
    assert "西花苑" not in figures[0]
    everything = await world.say("centre", "/stats")
    assert "西花苑社区：1 张工单" in everything[0]
    october = await world.say("td-staff", "/stats 2026-10")
    assert "2026-10 没有工单" in october[0]
    wrong = await world.say("td-staff", "/stats next month")
    assert "用法：/stats" in wrong[0]
    refused = await world.say("r1", "/stats")
    assert "没有这个权限" in refused[0]
