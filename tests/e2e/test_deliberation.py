"""A lift for building 3 of 铜都花园 (加装电梯), through all six steps, as residents and the
community secretary see it on their phones; the clock drives the announcement period, the
reminders and the close of the vote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.standin import TgUser
from domain.deliberation import import_roll, read_roll
from handlers.deliberation_jobs import DeliberationJobs
from storage import orgfile
from storage.db import session as open_session
from tests.e2e.conftest import BUILDING_GROUP, GROUP, World

# Building 3's owners' roll: 600 m² in six homes. r1 (101) and r2 (102) own 2-201 and 2-202,
# a newcomer (9101) owns 2-301; the others vote on paper.
ROLL = """building,household,owner,area,telegram_id
TD/铜都花园/3栋,2-101,赵大爷,90,
TD/铜都花园/3栋,2-102,钱阿姨,90.00,
TD/铜都花园/3栋,2-201,陈居民,120,101
TD/铜都花园/3栋,2-202,刘邻居,120,102
TD/铜都花园/3栋,2-301,孙先生,100,9101
TD/铜都花园/3栋,2-302,李女士,80,
"""
NEWCOMER = TgUser(9101, "孙先生", language_code="zh-hans")
OUTSIDER = TgUser(9102, "路人", language_code="zh-hans")


def import_owners(world: World) -> None:
    with open_session(world.core_app.engine) as session:
        import_roll(session, read_roll(ROLL), lambda path: orgfile.resolve_building(session, path))
        session.commit()


async def tick(world: World) -> None:
    app = world.core_app
    await app.core.run_job(DeliberationJobs(app.engine, app.clock, app.texts).tick)
    await app.core.drain()


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in Shanghai (UTC+8) in November 2026 (December after the 30th)."""
    base = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=day - 1, hours=hour - 8)
    return base + timedelta(minutes=minute)


async def propose_and_accept(world: World) -> None:
    answer = await world.say("r1", "/propose 3栋加装电梯，老人上下楼太难了")
    assert answer == [
        "✅ 已收到您的提议，议题编号 TD-YS001「3栋加装电梯，老人上下楼太难了」。"
        "社区会在受理后告诉您。"
    ]
    ping = world.inbox("td-staff")
    assert len(ping) == 1 and "新的协商议题提议" in ping[0] and "提议人：陈居民" in ping[0]
    assert world.buttons(world.user("td-staff").id) == [
        "✅ 受理",
        "↩️ 不予受理",
        "🔗 合并到其他议题",
    ]
    assert await world.press("td-staff", "受理") == "已受理。"
    assert world.inbox("r1") == [
        "✅ 您提议的议题 TD-YS001「3栋加装电梯，老人上下楼太难了」已受理，"
        "接下来将确定参与范围并公告。"
    ]


async def test_a_lift_for_building_3_through_all_six_steps(world: World) -> None:
    import_owners(world)
    await world.say(NEWCOMER, "/topics")  # the newcomer has talked to the bot once

    # Step 1: a resident proposes, the community secretary accepts.
    await propose_and_accept(world)

    # Step 2: who takes part — the owners of building 3, by art. 278 for a major matter.
    staff = world.user("td-staff").id
    for _ in range(2):  # majority → quorum → art. 278 major matters
        await world.press("td-staff", "规则")
    card = world.standin.sent(staff)[-1]["text"]
    assert "《民法典》第二百七十八条（重大事项）" in card and "一户一票" in card
    await world.press("td-staff", "协商主体")
    answer = await world.say(
        "td-staff", "居委会：铜都社区居委会\n业委会：铜都花园业委会\n物业：铜都物业公司"
    )
    assert (
        "协商主体：居委会：铜都社区居委会；业委会：铜都花园业委会；物业：铜都物业公司"
        in (answer[-1])
    )
    assert await world.press("td-staff", "确定参与名单") == "参与名单已确定。"
    card = world.standin.sent(staff)[-1]["text"]
    assert "参与名单：6 户，专有面积合计 600.00 ㎡" in card

    # Step 3: the announcement goes to building 3's group and to every owner in private.
    world.read(BUILDING_GROUP.id)
    world.read(GROUP.id)
    await world.press("td-staff", "发布公告")
    await world.say("td-staff", "拟在3栋2单元加装电梯，费用按楼层分摊，详见公示方案。")
    group = world.texts(BUILDING_GROUP.id)
    assert len(group) == 1 and "📢 议事协商公告 TD-YS001" in group[0]
    assert "11月28日 09:00 至 12月5日 09:00" in group[0]
    assert world.texts(GROUP.id) == []  # the compound's group is wider than the scope
    assert "费用按楼层分摊" in world.inbox("r1")[0]
    assert "Deliberation notice TD-YS001" in world.inbox("r2")[0]
    assert "议事协商公告" in world.texts(NEWCOMER.id)[0]

    # Step 4: comments and a meeting with its reminder.
    await world.press("r2", "Comment")
    await world.say("r2", "Please keep the noise down during the works")
    assert "新意见（刘邻居）" in world.inbox("td-staff")[-1]
    await world.press("td-staff", "安排会议")
    await world.press("td-staff", "睦邻议事厅")
    await world.say("td-staff", "11月27日 19:30 3栋架空层")
    assert "睦邻议事厅：11月27日 19:30，3栋架空层" in world.texts(BUILDING_GROUP.id)[0]
    assert "安排了会议" in world.inbox("r1")[0]
    world.clock.set(local(27, 18))
    await tick(world)
    assert "会议马上开始" in world.texts(BUILDING_GROUP.id)[0]
    assert "会议马上开始" in world.inbox("r1")[0]
    await tick(world)
    assert world.inbox("r1") == []  # reminded once

    # The announcement period ends: the clock opens the vote.
    world.clock.set(local(28, 9, 1))
    await tick(world)
    ballot = world.inbox("r1")
    assert len(ballot) == 1 and "开始投票" in ballot[0]
    assert world.buttons(world.user("r1").id) == ["同意", "不同意", "弃权"]
    assert "开始投票" in world.texts(BUILDING_GROUP.id)[0]

    assert await world.press("r1", "不同意") == "已投票：不同意"
    assert await world.press("r1", "同意") == "已改为：同意"
    assert await world.press("r1", "同意") == "您已经投过「同意」了，没有变化。"
    assert await world.press("r2", "Yes") == "Voted: Yes"
    assert "不在议题 TD-YS001 的参与名单上" in (await world.say(OUTSIDER, "/vote TD-YS001"))[0]

    # Paper ballots, entered by the secretary with their evidence.
    await world.press("td-staff", "录入线下票")
    answer = await world.say("td-staff", "2-101 同意 纸质表决票第001号")
    assert answer[0] == "线下表决票已录入。"
    await world.press("td-staff", "录入线下票")
    await world.say("td-staff", "2-102 不同意 入户征询记录第002号")
    await world.press("td-staff", "录入线下票")
    answer = await world.say("td-staff", "2-101 同意 再录一次")
    assert "2-101 已经投过票了" in answer[-1]

    # A day before the close: only the eligible who have not voted are reminded.
    world.inbox("r1")
    world.inbox("r2")
    world.texts(NEWCOMER.id)
    world.clock.set(local(34, 9, 30))
    await tick(world)
    assert world.inbox("r1") == [] and world.inbox("r2") == []
    reminder = world.texts(NEWCOMER.id)
    assert len(reminder) == 1 and "您还没有投票" in reminder[0]

    # The vote closes by the clock; the result shows heads and area against art. 278.
    world.clock.set(local(35, 9, 1))
    await tick(world)
    result = world.texts(BUILDING_GROUP.id)[0]
    assert "参与表决人数 4/6（66.7%），须不少于 2/3：✅" in result
    assert "参与表决面积 420.00/600.00 ㎡（70.0%），须不少于 2/3：✅" in result
    assert "「同意」人数 3/4（75.0%），须不少于 3/4：✅" in result
    assert "「同意」面积 330.00/420.00 ㎡（78.6%），须不少于 3/4：✅" in result
    assert "线下表决（纸质票、入户）2 票" in result
    assert "✅ 结论：通过（同意）" in result
    assert "Passed (Yes)" in world.inbox("r2")[-1]
    assert "不在投票期" in await world.press("r1", "同意")  # too late: nothing changes

    # Step 5: carrying out, each update pushed to the participants.
    await world.say("td-staff", "/topic TD-YS001")
    await world.press("td-staff", "新增任务")
    await world.say("td-staff", "电梯井道施工 | 铜都物业公司 | 2027-01-15")
    assert "电梯井道施工（铜都物业公司" in world.inbox("r1")[-1]
    await world.press("td-staff", "电梯井道施工")
    await world.say("td-staff", "60 井道已完成")
    progress = world.inbox("r1")[-1]
    assert "实施进度" in progress and "60%：井道已完成" in progress

    # Step 6: report back; residents rate the implementation and comment; the topic closes.
    await world.press("td-staff", "反馈落实情况")
    await world.say("td-staff", "电梯已安装并通过验收，1月20日投入使用")
    assert "落实情况反馈" in world.texts(BUILDING_GROUP.id)[0]
    assert world.buttons(world.user("r1").id) == ["😊 满意", "🙂 基本满意", "😞 不满意"]
    assert await world.press("r1", "满意") == "谢谢您的评价！"
    assert "评价意见已记录" in (await world.say("r1", "电梯很好用，谢谢大家"))[-1]
    assert await world.press("r2", "Dissatisfied") == "Thank you for your rating!"
    await world.press("td-staff", "结束议题")
    closed = world.inbox("r1")[-1]
    assert "已结束" in closed and "满意 1" in closed and "不满意 1" in closed

    record = (await world.say("r1", "/topic TD-YS001"))[0]
    for step in ("提出议题", "受理", "确定参与名单", "发布公告", "开始投票", "结束投票并计票"):
        assert step in record
    for step in ("新增实施任务", "更新实施进度", "反馈落实情况", "结束议题"):
        assert step in record
    assert "电梯很好用，谢谢大家" in record and "Please keep the noise down" in record


async def test_declined_with_a_reason_the_proposer_reads(world: World) -> None:
    answer = await world.say("r1", "/propose 在楼顶养鸽子", chat=BUILDING_GROUP)
    assert "议题编号 TD-YS001" in answer[0]  # proposed in the building's group
    assert "新的协商议题提议" in world.inbox("td-staff")[0]
    await world.press("td-staff", "不予受理")
    await world.say("td-staff", "楼顶属于共有部分，不能私用")
    assert world.inbox("r1") == [
        "您提议的议题 TD-YS001「在楼顶养鸽子」暂不受理。理由：楼顶属于共有部分，不能私用"
    ]


async def test_similar_tickets_become_one_topic(world: World) -> None:
    await world.say("r1", "3栋电梯太旧了，经常困人")
    await world.say("r2", "电梯口堆满了杂物，轮椅进不去")
    world.inbox("r1")
    world.inbox("r2")
    card = await world.say("td-staff", "/fromtickets TD-261125-001 TD-261125-002 3栋电梯更新改造")
    assert (
        "TD-YS001「3栋电梯更新改造」" in card[0]
        and "来源工单：TD-261125-001, TD-261125-002" in card[0]
    )
    assert "转为协商议题 TD-YS001" in world.inbox("r1")[0]
    assert "TD-YS001" in world.inbox("r2")[0]
    refused = await world.say("r1", "/fromtickets TD-261125-001 我也想")
    assert "不能对这个议题做这个操作" in refused[0]


async def test_bad_votes_get_a_clear_answer_and_change_nothing(world: World) -> None:
    import_owners(world)
    await propose_and_accept(world)
    await world.press("td-staff", "一人一票")  # → one vote per household (owners' roll)
    for _ in range(2):  # announcement period 3 → 7 → 0 days
        await world.press("td-staff", "公示")
    await world.press("td-staff", "确定参与名单")
    await world.press("td-staff", "发布公告")
    await world.say("td-staff", "加装电梯征求意见")
    await tick(world)  # no announcement period: the vote opens at once
    r1 = world.user("r1")
    ballot = world.new(r1.id)[-1]
    yes = ballot["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    # twice
    assert await world.press("r1", "同意") == "已投票：同意"
    update = world.standin.press(r1, r1.id, ballot["message_id"], yes)
    await world._settle(update)
    assert world.standin.answered_callbacks[-1].text == "您已经投过「同意」了，没有变化。"
    # not eligible: r3 lives elsewhere, presses a copy of r1's button
    r3 = world.user("r3")
    world.read(r3.id)
    await world.say("r3", "/topics")
    own = world.standin.sent(r3.id)[-1]["message_id"]  # a forged press on r3's own chat
    update = world.standin.press(r3, r3.id, own, yes)
    await world._settle(update)
    assert "不在议题 TD-YS001 的参与名单上" in world.standin.answered_callbacks[-1].text
    # a stale button: a ballot from before the settings changed
    stale = yes.replace(":", ":x", 1)
    update = world.standin.press(r1, r1.id, ballot["message_id"], stale)
    await world._settle(update)
    assert world.standin.answered_callbacks[-1].text == "这个按钮已过期，请重新打开最新的消息。"
    parts = yes.split(":")
    older = ":".join([parts[0], parts[1], str(int(parts[2]) - 1), parts[3]])
    update = world.standin.press(r1, r1.id, ballot["message_id"], older)
    await world._settle(update)
    assert "已过期" in world.standin.answered_callbacks[-1].text
    # after closing
    world.clock.advance(timedelta(days=8))
    await tick(world)
    no = ":".join([*parts[:3], "1"])
    update = world.standin.press(r1, r1.id, ballot["message_id"], no)
    await world._settle(update)
    assert "不在投票期" in world.standin.answered_callbacks[-1].text
    record = (await world.say("td-staff", "/topic TD-YS001"))[0]
    assert "• 同意：1 票" in record and "• 不同意" not in record


async def test_secret_ballot_keeps_the_choice_from_everyone(world: World) -> None:
    await propose_and_accept(world)
    await world.press("td-staff", "记名投票")  # → secret
    for _ in range(2):
        await world.press("td-staff", "公示")
    await world.press("td-staff", "确定参与名单")  # residents of building 3: r1, r2
    await world.press("td-staff", "发布公告")
    await world.say("td-staff", "是否同意加装电梯（不记名）")
    await tick(world)
    assert await world.press("r1", "不同意") == "已投票：不同意"
    assert await world.press("r1", "同意") == "已改为：同意"  # with the receipt's buttons
    await world.say("r1", "/vote TD-YS001")
    answer = await world.press("r1", "不同意")  # a fresh ballot, without the receipt
    assert "您已经投过票了（不记名）" in answer
    await world.press("td-staff", "名单")
    listing = world.inbox("td-staff")[-1]
    assert "☑ 陈居民" in listing and "☐ 刘邻居" in listing  # who took part is known…
    with open_session(world.core_app.engine) as session:
        from sqlmodel import select

        from storage.models_deliberation import Participation, SecretReceipt

        rows = session.exec(select(Participation)).all()
        assert [p.choice for p in rows] == [None]  # …what they chose is not stored with them
        receipts = session.exec(select(SecretReceipt)).all()
        assert [r.choice for r in receipts] == ["yes"]


async def test_compound_topic_with_custom_choices_closed_early_with_a_reason(
    world: World,
) -> None:
    await propose_and_accept(world)
    await world.press("td-staff", "范围")
    staff = world.user("td-staff").id
    assert world.buttons(staff) == [
        "铜都花园 3栋",
        "铜都花园",
        "铜都社区",
        "按单元",
        "指定住户",
        "⬅️ 返回",
    ]
    message, button = world.standin.find_button(staff, "铜都花园", exact=True)
    update = world.standin.press(
        world.user("td-staff"), staff, message["message_id"], button["callback_data"]
    )
    await world._settle(update)
    assert "范围：铜都花园（全小区）" in world.standin.sent(staff)[-1]["text"]
    await world.press("td-staff", "自定义选项")
    await world.say("td-staff", "东门\n西门\n南门")
    for _ in range(2):
        await world.press("td-staff", "公示")
    await world.press("td-staff", "确定参与名单")
    world.read(GROUP.id)
    world.read(BUILDING_GROUP.id)
    await world.press("td-staff", "发布公告")
    await world.say("td-staff", "快递柜放在哪个门？")
    assert "快递柜放在哪个门" in world.texts(GROUP.id)[0]
    assert "快递柜放在哪个门" in world.texts(BUILDING_GROUP.id)[0]
    await tick(world)
    assert world.buttons(world.user("r1").id) == ["东门", "西门", "南门"]
    assert await world.press("r1", "西门") == "已投票：西门"
    await world.press("td-staff", "提前结束投票")
    await world.say("td-staff", "物业需要尽快安装")
    result = world.texts(GROUP.id)[-1]
    assert "• 西门：1 票" in result and "✅ 结论：通过（西门）" in result
    record = (await world.say("r1", "/topic TD-YS001"))[0]
    assert "张社区 结束投票并计票：物业需要尽快安装" in record


async def test_the_quorum_rule_takes_its_thresholds_from_the_card(world: World) -> None:
    await propose_and_accept(world)
    staff = world.user("td-staff").id
    await world.press("td-staff", "规则：简单多数")
    labels = world.buttons(staff)
    assert "参与人数下限 1/2" in labels and "通过比例 1/2" in labels
    await world.press("td-staff", "参与人数下限 1/2")
    await world.press("td-staff", "通过比例 1/2")
    await world.press("td-staff", "通过比例 2/3")
    labels = world.buttons(staff)
    assert "参与人数下限 2/3" in labels and "通过比例 3/4" in labels
    await world.press("td-staff", "规则：法定人数")  # on to art. 278: the thresholds are the law's
    assert not any(label.startswith("参与人数下限") for label in world.buttons(staff))
