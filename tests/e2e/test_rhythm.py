"""The monthly rhythm in chat, through the real bot and the stand-in: the weekly public post
(preview, edit, hold, sent once), the civilised-compound selection, and the meeting pack sent
to community staff as documents before the joint meeting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

import bot.transports.aiogram_transport  # noqa: F401  (imported now, not within World.start's 10 s)
from bot.scheduler_figures import meeting_job
from bot.standin import DEFAULT_TOKEN, BotAPIStandIn
from domain.clock import ManualClock
from handlers import publishing
from tests.e2e.conftest import World

GROUP, BUILDING_GROUP = -1001, -1003


@pytest.fixture
async def one(
    database_url: str, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    """The bot on aiogram by long polling (these dialogues are not about the transport)."""
    monkeypatch.setenv("LINLI_MEETING_OUTPUT_DIR", str(tmp_path / "packs"))
    standin = BotAPIStandIn(DEFAULT_TOKEN)
    await standin.start()
    world = World(standin, database_url, clock)
    await world.start()
    try:
        yield world
    finally:
        await world.stop()
        await standin.stop()


async def _post_job(world: World) -> None:
    await world.core_app.core.run_job(lambda: publishing.send_week(world.core_app.jobs))


async def test_the_weekly_post_is_previewed_edited_held_and_sent_once(one: World) -> None:
    world = one
    await world.say("r1", "3号楼楼道灯坏了，电话13812345678")
    await world.press("gw1", "受理")
    await world.press("gw1", "办结")
    await world.say("gw1", "已更换灯泡")
    await world.say("r2", "3号楼下水道堵了")
    listing = await world.say("td-staff", "/publish")
    assert "1. 铜都花园居民群（铜都花园）· 待发送" in listing[0]
    preview = await world.say("td-staff", "/publish preview 1")
    assert "✅ 本周已解决 1 件" in preview[0] and "已更换灯泡" in preview[0]
    assert "⏳ 正在办理 1 件" in preview[0] and "下水道" in preview[0]
    assert "13812345678" not in preview[0]
    assert "铜都花园本周公示已暂停" in (await world.say("td-staff", "/publish hold 1"))[0]
    assert "已暂停" in (await world.say("td-staff", "/publish"))[0]
    world.read(GROUP)
    await _post_job(world)
    assert world.texts(GROUP) == []  # held: nothing went out
    await world.say("td-staff", "/publish release 1")
    asked = await world.say("td-staff", "/publish edit 1")
    assert "请发来铜都花园本周公示的新内容" in asked[0]
    await world.say("td-staff", "本周铜都花园：楼道灯已修好，下水道正在疏通。")
    await _post_job(world)
    assert world.texts(GROUP) == ["本周铜都花园：楼道灯已修好，下水道正在疏通。"]
    await _post_job(world)
    assert world.texts(GROUP) == []  # once a week
    late = await world.say("td-staff", "/publish edit 1")
    assert "已经发出" in late[0]
    assert "没有这个权限" in (await world.say("r1", "/publish"))[0]
    assert "还没有绑定到小区的群" in (await world.say("xhy-staff", "/publish"))[0]
    bad = await world.say("td-staff", "/publish send 9")
    assert "1 到 1" in bad[0]


async def test_the_civilised_compound_selection(one: World) -> None:
    world = one
    await world.say("r1", "3号楼楼道灯坏了")
    await world.press("gw1", "受理")
    await world.press("gw1", "办结")
    await world.say("gw1", "换了")
    await world.press("r1", "满意")
    scores = await world.say("td-staff", "/selection 2026-11")
    assert "2026-11 文明小区评分" in scores[0]
    assert "★1. 铜都花园" in scores[0] and "解决率 100%" in scores[0]
    assert "西花苑" not in scores[0]
    vote = await world.say("td-staff", "/selection vote 2026-11")
    assert "已发起投票议题 TD-YS001" in vote[0]
    again = await world.say("td-staff", "/selection vote 2026-11")
    assert "已经发起过了" in again[0]
    topic = await world.say("td-staff", "/topic TD-YS001")
    assert "铜都花园" in topic[0]
    world.read(GROUP)
    world.read(BUILDING_GROUP)
    done = await world.say("td-staff", "/selection announce 1 2026-11")
    assert "已公布：铜都花园" in done[0]
    assert world.texts(GROUP) == [
        "🏅 铜都社区 2026-11 文明小区：铜都花园！感谢全体居民的参与和支持。"
    ]
    assert len(world.texts(BUILDING_GROUP)) == 1
    twice = await world.say("td-staff", "/selection announce 1 2026-11")
    assert "已经公布过了" in twice[0]
    assert "用法" in (await world.say("td-staff", "/selection announce x"))[0]


async def test_the_pack_reaches_community_staff_before_the_meeting(
    one: World, clock: ManualClock, tmp_path: Path
) -> None:
    world = one
    await world.say("r1", "3号楼楼道灯坏了")  # a November ticket
    staff = world.user("td-staff").id
    job = meeting_job(world.core_app)
    clock.set(datetime(2026, 12, 5, 1, tzinfo=UTC))  # five days before the 10th: too early
    world.read(staff)
    await world.core_app.core.run_job(job.remind)
    assert world.new(staff) == []
    clock.set(datetime(2026, 12, 7, 1, tzinfo=UTC))  # three days before
    await world.core_app.core.run_job(job.remind)
    sent = world.new(staff)
    assert [("document" in m) for m in sent] == [True, True]
    assert "12-10 召开联席会议（还有 3 天）" in sent[0]["caption"]
    assert "铜都社区 2026-11 材料见附件" in sent[0]["caption"]
    assert sent[0]["document"]["file_name"] == "pack-TD-2026-11.zh_Hans.xlsx"
    assert sent[1]["document"]["file_name"] == "pack-TD-2026-11.zh_Hans.html"
    book = openpyxl.load_workbook(tmp_path / "packs" / "pack-TD-2026-11.zh_Hans.xlsx")
    assert book["三率"]["A1"].value == "铜都社区 2026-11 联席会议材料"
    assert world.new(world.user("xhy-staff").id) != []  # every community's staff
    await world.core_app.core.run_job(job.remind)  # the next day's run, or a restart
    assert world.new(staff) == []
