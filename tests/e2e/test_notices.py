"""Notices 通知 as the sender and the residents see them: write, preview, send, 收到, tally,
the list of who has not acknowledged, one reminder, scheduling across a restart, and limits on
where a sender may reach."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from sqlmodel import select

from handlers.notices import send_due
from storage.db import session as open_session
from storage.models import Building, Person, RoleGrant
from tests.e2e.conftest import BUILDING_GROUP, GROUP, World

WATER = "明天上午9点到12点停水，请提前储水。"


def notice_chats(world: World, needle: str) -> list[int]:
    """Every chat that got a message containing `needle`, once per message."""
    return sorted(
        chat.chat.id
        for chat in world.standin.chats()
        for message in world.standin.sent(chat.chat.id)
        if needle in (message.get("text") or message.get("caption") or "")
    )


def status_of(world: World) -> str:
    """The sender's status message as it reads now (it is edited in place)."""
    found = [m["text"] for m in world.standin.sent(301) if "居民确认收到" in m.get("text", "")]
    assert len(found) == 1
    return str(found[0])


async def write_notice(world: World, who: str, place: str, text: str) -> list[str]:
    menu = await world.say(who, "/notice")
    assert "通知发给哪里" in menu[0]
    await world.press(who, place)
    asked = world.inbox(who)
    assert asked == [] or "通知内容" in asked[0]  # the menu was edited into the question
    return await world.say(who, text)


async def test_a_compound_notice_reaches_exactly_its_groups_and_private_readers(
    world: World,
) -> None:
    await world.say("r1", "/notices")
    assert await world.press("r1", "通知也私信发给我") == "好的，以后通知也会私信发给您。"

    preview = await write_notice(world, "td-staff", "铜都花园", WATER)
    assert len(preview) == 1 and "预览" in preview[0] and WATER in preview[0]
    assert "将发往 2 个群，并私信 1 位居民" in preview[0]

    assert await world.press("td-staff", "确认发送") == "已开始发送"
    # The compound's group and its building 3's group; r1 (private delivery on) in private;
    # not r2 (groups only), not r3 (another community), not the unbound group.
    assert notice_chats(world, WATER) == sorted([GROUP.id, BUILDING_GROUP.id, 101])
    assert len(world.inbox("r1")) == 1 and world.inbox("r2") == []
    group_copy = world.standin.last_sent(GROUP.id)
    assert group_copy is not None and "张社区" in group_copy["text"]
    assert world.buttons(GROUP.id) == ["收到"]

    assert "居民确认收到：0/2" in status_of(world)

    assert await world.press("r1", "收到", GROUP.id) == "已确认收到，谢谢！"
    assert await world.press("r1", "收到", GROUP.id) == "您已经确认过了。"
    assert "居民确认收到：1/2" in status_of(world)  # edited in place

    await world.press("td-staff", "谁还没确认")
    missing = world.inbox("td-staff")
    assert any("刘邻居" in m and "陈居民" not in m for m in missing)

    assert "已提醒 1 位居民" in await world.press("td-staff", "提醒未确认的人")
    reminder = world.inbox("r2")
    assert len(reminder) == 1 and "Reminder" in reminder[0] and WATER in reminder[0]
    assert world.inbox("r1") == []
    assert await world.press("td-staff", "提醒未确认的人") == "已经提醒过一次了。"

    assert await world.press("r2", "Got it") == "Acknowledged, thank you!"
    assert "居民确认收到：2/2" in status_of(world)

    listing = await world.say("r2", "/notices")
    assert "Recent notices" in listing[0] and WATER[:20] in listing[0]
    assert "最近没有通知" in (await world.say("r3", "/notices"))[0]


async def test_a_pinned_notice_is_pinned_in_the_groups(world: World) -> None:
    await write_notice(world, "td-staff", "铜都花园", "周六上午社区义诊")
    await world.press("td-staff", "置顶")
    await world.press("td-staff", "确认发送")
    for chat in (GROUP.id, BUILDING_GROUP.id):
        pinned = world.standin.chat(chat).pinned
        last = world.standin.last_sent(chat)
        assert last is not None and pinned == last["message_id"]


async def test_a_scheduled_notice_goes_out_after_a_restart(world: World) -> None:
    await write_notice(world, "td-staff", "铜都花园", "下周一电梯检修")
    await world.press("td-staff", "3小时后")
    assert notice_chats(world, "电梯检修") == []

    await world.restart()
    run = world.core_app.core.run_job
    await run(partial(send_due, world.core_app.jobs))
    assert notice_chats(world, "电梯检修") == []  # not yet

    world.clock.advance(timedelta(hours=3, minutes=1))
    await run(partial(send_due, world.core_app.jobs))
    await run(partial(send_due, world.core_app.jobs))  # a second run sends nothing again
    assert notice_chats(world, "电梯检修") == sorted([GROUP.id, BUILDING_GROUP.id])


async def test_a_sender_cannot_reach_beyond_their_places(world: World) -> None:
    # A resident who is not a leader cannot send at all.
    assert "Only building leaders" in (await world.say("r2", "/notice"))[0]

    # xhy-staff sees only their own community's places …
    await world.say("xhy-staff", "/notice")
    labels = world.buttons(world.user("xhy-staff").id)
    assert "西花苑社区" in labels and not any("铜都" in label for label in labels)

    # … and a forged button for a TD compound is refused.
    with open_session(world.core_app.engine) as session:
        building = session.exec(select(Building).where(Building.name == "3栋")).first()
        assert building is not None
        compound_id = building.compound_id
        r1 = session.exec(select(Person).where(Person.key == "r1")).one()
        session.add(
            RoleGrant(
                person_id=r1.id or 0,
                role="building_leader",
                scope_kind="building",
                scope_id=building.id,
            )
        )
        session.commit()
    menu = world.standin.last_sent(world.user("xhy-staff").id)
    assert menu is not None
    forged = world.standin.press(
        world.user("xhy-staff"),
        world.user("xhy-staff").id,
        menu["message_id"],
        f"nt:to:compound:{compound_id}",
    )
    await world._settle(forged)
    answers = [
        a
        for a in world.standin.answered_callbacks
        if a.callback_query_id == forged["callback_query"]["id"]
    ]
    assert answers and "不归您管" in (answers[0].text or "")

    # A building leader (r1, 3栋) gets their building only, not the compound.
    await world.say("r1", "/notice")
    assert [b for b in world.buttons(101) if b != "取消"] == ["铜都花园 3栋"]
    menu = world.standin.last_sent(101)
    assert menu is not None
    forged = world.standin.press(
        world.user("r1"), 101, menu["message_id"], f"nt:to:compound:{compound_id}"
    )
    await world._settle(forged)
    answers = [
        a
        for a in world.standin.answered_callbacks
        if a.callback_query_id == forged["callback_query"]["id"]
    ]
    assert answers and "不归您管" in (answers[0].text or "")
    await world.press("r1", "铜都花园 3栋")
    await world.say("r1", "3栋今晚8点开楼栋会")
    await world.press("r1", "确认发送")
    assert notice_chats(world, "3栋今晚8点开楼栋会") == [BUILDING_GROUP.id]


async def test_a_notice_can_carry_a_file(world: World) -> None:
    menu = await world.say("td-staff", "/notice")
    assert "通知发给哪里" in menu[0]
    await world.press("td-staff", "铜都花园")
    world.inbox("td-staff")
    preview = await world.say(
        "td-staff", document=True, document_name="停水安排.pdf", caption="停水安排见附件"
    )
    assert "预览" in preview[0]
    await world.press("td-staff", "确认发送")
    copy = world.standin.last_sent(GROUP.id)
    assert copy is not None and "document" in copy and "停水安排见附件" in copy["caption"]
