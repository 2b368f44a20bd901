"""Whole dialogues, report to rating, as residents and grid workers see them on their phones."""

from __future__ import annotations

from datetime import timedelta

from bot.standin import TgUser
from tests.e2e.conftest import BUILDING_GROUP, GROUP, UNBOUND_GROUP, World


async def test_report_ping_accept_resolve_rate(world: World) -> None:
    answer = await world.say("r1", "3号楼2单元楼道灯坏了，晚上黑漆漆的")
    assert len(answer) == 1
    assert "TD-261125-001" in answer[0] and "公共设施维修" in answer[0]
    assert "常规单" in answer[0] and "受理时限" in answer[0]

    ping = world.inbox("gw1")
    assert (
        len(ping) == 1 and "新工单" in ping[0] and "楼道灯坏了" in ping[0] and "陈居民" in ping[0]
    )
    assert world.buttons(world.user("gw1").id)[:3] == ["✅ 受理", "📝 添加进展", "🏁 办结"]

    assert "已受理" in await world.press("gw1", "受理")
    assert world.inbox("r1") == ["👷 您的工单 TD-261125-001 已由 王网格 受理，正在处理。"]

    await world.press("gw1", "办结")
    assert "请说明工单 TD-261125-001 是怎么处理的" in world.inbox("gw1")[0]
    await world.say("gw1", "已更换楼道灯泡，亮了")
    resolved = world.inbox("r1")
    assert len(resolved) == 1 and "已办结：已更换楼道灯泡，亮了" in resolved[0]
    assert world.buttons(world.user("r1").id) == ["😊 满意", "🙂 基本满意", "😞 不满意"]

    assert await world.press("r1", "满意") == "谢谢您的评价！"
    assert "评价：😊 满意" in world.inbox("gw1")[0]
    assert any("已关闭" in line for line in await world.say("r1", "/my"))


async def test_dissatisfied_reopens_and_the_worker_is_pinged_again(world: World) -> None:
    await world.say("r1", "楼下垃圾三天没人收了，臭死了")
    world.inbox("gw1")
    await world.press("gw1", "受理")
    await world.press("gw1", "办结")
    await world.say("gw1", "已通知清运")
    world.inbox("r1")
    await world.press("r1", "不满意")
    reopened = world.inbox("gw1")
    assert len(reopened) == 1 and "重新打开" in reopened[0]
    assert "✅ 受理" in world.buttons(world.user("gw1").id)


async def test_escalation_and_transfer_reach_the_right_people(world: World) -> None:
    await world.say("r1", "小区门口的路面塌了一个大坑")
    world.inbox("gw1")
    await world.press("gw1", "上报")
    staff = world.inbox("td-staff")
    assert len(staff) == 1 and "上报给您" in staff[0]
    assert "上报到社区处理" in world.inbox("r1")[0]
    await world.press("td-staff", "转派")
    await world.press("td-staff", "城管")
    assert "转派给您" in world.inbox("cg")[0]
    assert "吴城管" in world.inbox("r1")[0]


async def test_emergency_gets_the_number_first_and_alerts_the_centre(world: World) -> None:
    answer = await world.say("r1", "楼下着火了，好大的烟，快来人")
    assert answer[0].startswith("⚠️") and "119" in answer[0]
    assert "应急单" in answer[1]
    assert "新工单（应急单）" in world.inbox("gw1")[0]
    assert "应急工单" in world.inbox("pingan")[0]
    assert "应急工单" in world.inbox("centre")[0]


async def test_greetings_open_no_ticket(world: World) -> None:
    answer = await world.say("r1", "谢谢网格员")
    assert len(answer) == 1 and "工单" not in answer[0]
    assert world.inbox("gw1") == []


async def test_group_reports_need_a_mention_a_command_or_the_tag(world: World) -> None:
    assert await world.say("r1", "今天天气真好", chat=GROUP) == []
    answer = await world.say("r1", "#报事 2栋门口的下水道堵了", chat=GROUP)
    assert len(answer) == 1 and "TD-261125-001" in answer[0]
    assert "下水道" not in answer[0]  # the group sees the number, not the resident's words
    answer = await world.say("r1", "/report 3栋的路灯不亮", chat=GROUP)
    assert "TD-261125-002" in answer[0]
    answer = await world.say("r1", "@linli_bot 楼道里堆满了杂物", chat=GROUP)
    assert "TD-261125-003" in answer[0]
    assert len(world.inbox("gw1")) == 3


async def test_unregistered_resident_in_a_building_group_is_routed_by_the_group(
    world: World,
) -> None:
    newcomer = TgUser(9001, "新来的", language_code="zh-hans")
    answer = await world.say(newcomer, "#报事 电梯又坏了，困了好几次", chat=BUILDING_GROUP)
    assert "TD-261125-001" in answer[0]
    assert len(world.inbox("gw1")) == 1


async def test_unregistered_resident_in_a_compound_group_is_kept_until_registered(
    world: World,
) -> None:
    newcomer = TgUser(9002, "小李", language_code="zh-cn")
    answer = await world.say(newcomer, "#报事 楼道灯坏了", chat=GROUP)
    assert "/start" in answer[0]
    assert world.inbox("gw1") == []
    await world.say(newcomer, "/start")
    await world.press(newcomer, "铜都社区")
    await world.press(newcomer, "铜都花园")
    await world.press(newcomer, "2栋")
    mine = world.texts(newcomer.id)
    assert any("TD-261125-001" in line for line in mine)
    assert len(world.inbox("gw1")) == 1


async def test_private_report_before_registration_waits_for_the_address(world: World) -> None:
    stranger = TgUser(9003, "Alex", language_code="en-US")
    answer = await world.say(stranger, "The stairwell light on floor 3 is broken")
    assert "saved" in answer[0] and "which community" in answer[0]
    await world.press(stranger, "Tongdu Community")
    await world.press(stranger, "Tongdu Garden")
    await world.press(stranger, "Bldg 1")
    assert any("ticket TD-261125-001" in line for line in world.texts(stranger.id))


async def test_registration_and_language_choice(world: World) -> None:
    someone = TgUser(9004, "王阿姨", language_code="zh-hant")
    welcome = await world.say(someone, "/start")
    assert "请先选择您所在的社区" in welcome[0]
    await world.press(someone, "铜都社区")
    await world.press(someone, "铜都小区")
    await world.press(someone, "2栋")
    assert "请选择语言" in world.texts(someone.id)[-1]
    await world.press(someone, "English")
    assert "Welcome back" in (await world.say(someone, "/start"))[0]


async def test_bad_input_gets_a_clear_answer(world: World) -> None:
    assert "需要文字说明" in (await world.say("r1", sticker=True))[0]
    assert "需要文字说明" in (await world.say("r1", photo=True))[0]
    assert "太长" in (await world.say("r1", "漏水" * 1200))[0]
    assert "没有这个命令" in (await world.say("r1", "/frobnicate"))[0]
    assert "没有这个权限" in (await world.say("r1", "/tickets"))[0]
    assert "还没有绑定" in (await world.say("r1", "@linli_bot 楼道灯坏了", chat=UNBOUND_GROUP))[0]


async def test_photo_with_caption_is_a_report_with_a_photo(world: World) -> None:
    answer = await world.say("r1", photo=True, caption="单元门的锁坏了，关不上")
    assert "TD-261125-001" in answer[0]
    ping = world.new(world.user("gw1").id)
    assert ping[0].get("photo") and "单元门的锁坏了" in ping[0]["caption"]


async def test_buttons_are_only_for_their_owner(world: World) -> None:
    await world.say("r1", "楼道灯坏了")
    ping = world.new(world.user("gw1").id)[0]
    data = ping["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    intruder = world.user("gw2")
    update = world.standin.press(intruder, world.user("gw1").id, ping["message_id"], data)
    await world._settle(update)
    answer = world.standin.answered_callbacks[-1]
    assert answer.text == "这个按钮不是给您的。"
    assert world.inbox("r1") == []


async def test_a_stale_button_is_refused_and_the_card_refreshed(world: World) -> None:
    await world.say("r1", "楼道灯坏了")
    gw1 = world.user("gw1")
    ping = world.new(gw1.id)[0]
    accept = ping["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await world.press("gw1", "受理")
    update = world.standin.press(gw1, gw1.id, ping["message_id"], accept)
    await world._settle(update)
    assert world.standin.answered_callbacks[-1].text == "工单已有新进展，已为您刷新。"
    assert len(world.inbox("r1")) == 1  # the resident heard of the acceptance once
    unknown = world.standin.press(gw1, gw1.id, ping["message_id"], "zz:nonsense")
    await world._settle(unknown)
    assert world.standin.answered_callbacks[-1].text == "这个按钮已过期，请重新打开最新的消息。"


async def test_worklist_shows_overdue_first(world: World) -> None:
    await world.say("r1", "楼道灯坏了")
    world.clock.advance(timedelta(hours=20))
    await world.say("r1", "楼下着火了")
    world.clock.advance(timedelta(hours=1))
    listing = await world.say("gw1", "/tickets")
    assert "待办工单 2 张，逾期 1 张" in listing[0]
    # 20 hours later it is the next day in Shanghai: the emergency got the next day's number
    emergency, routine = listing[0].index("TD-261126-001"), listing[0].index("TD-261125-001")
    assert emergency < routine


async def test_overdue_ticket_escalates_by_itself(world: World) -> None:
    await world.say("r1", "楼道灯坏了")
    world.inbox("gw1")
    world.clock.advance(timedelta(hours=19))
    await world.run("sweep")
    assert "提醒" in world.inbox("gw1")[0]
    world.clock.advance(timedelta(hours=6))
    await world.run("sweep")
    staff = world.inbox("td-staff")
    assert len(staff) == 1 and "超时未受理" in staff[0]
    assert "不再需要您处理" in world.inbox("gw1")[0]
    await world.run("sweep")
    assert world.inbox("td-staff") == []  # nothing is announced twice


async def test_daily_digest_once_a_day(world: World) -> None:
    await world.say("r1", "楼道灯坏了")
    world.inbox("gw1")
    await world.run("digest")
    digest = world.inbox("gw1")
    assert len(digest) == 1 and "您有 1 张待办工单" in digest[0]
    await world.run("digest")
    assert world.inbox("gw1") == []
    assert "没有待办工单" in world.inbox("gw2")[0]


async def test_a_restart_in_the_middle_loses_nothing(world: World) -> None:
    await world.say("r1", "楼道灯坏了")
    await world.press("gw1", "受理")
    await world.restart()
    world.inbox("r1")
    await world.press("gw1", "办结")
    await world.say("gw1", "修好了")
    assert "已办结" in world.inbox("r1")[0]
    assert await world.press("r1", "基本满意") == "谢谢您的评价！"


async def test_an_update_delivered_twice_is_handled_once(world: World) -> None:
    world.standin.duplicate_next()
    await world.say("r1", "楼道灯坏了")
    await world.say("r1", "/my")
    assert len(world.inbox("gw1")) == 1


async def test_english_speakers_read_english(world: World) -> None:
    answer = await world.say("r2", "The water pipe in the stairwell is leaking everywhere")
    assert answer[0].startswith("⚠️") or "Received — ticket" in answer[-1]
    assert "新工单" in world.inbox("gw1")[0]  # the grid worker reads Chinese
