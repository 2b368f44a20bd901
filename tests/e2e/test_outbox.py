"""The outbox end to end: Telegram refusing (429, 5xx) loses and doubles nothing, and a bot killed
with SIGKILL in the middle of a broadcast loses nothing when it comes back (the duplicates are
at most the messages that were in flight at that instant, counted here)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import col, func, select

from bot.standin import DEFAULT_TOKEN, BotAPIStandIn
from domain.notices import NoticeBoard, Place
from handlers.i18n import Texts
from handlers.notices import publish
from handlers.outgoing import keep_on_commit
from handlers.replies import Replies
from storage.db import make_engine
from storage.db import session as open_session
from storage.models import Building, Compound, Person
from storage.models_notices import NoticePreference
from storage.models_outbox import OutboxMessage
from tests.e2e.conftest import BUILDING_GROUP, GROUP, World

ROOT = Path(__file__).parents[2]
BODY = "今晚8点小区停电检修"


def copies(standin: BotAPIStandIn, needle: str) -> Counter[int]:
    """How many messages containing `needle` each chat received."""
    return Counter(
        chat_id
        for chat_id, message_id in standin._sent_log
        if needle in (standin.chat(chat_id).messages[message_id].get("text") or "")
    )


def broadcast(engine: Engine, residents: int, text: str) -> set[int]:
    """td-staff's notice to 铜都花园, with `residents` extra residents on private delivery; the
    chats it must reach."""
    from zoneinfo import ZoneInfo

    import locales

    texts = Texts.load(locales.DIRECTORY, ZoneInfo("Asia/Shanghai"))
    now = datetime.now(UTC)
    with open_session(engine) as session:
        compound = session.exec(select(Compound).where(Compound.name == "铜都花园")).one()
        building = session.exec(
            select(Building).where(Building.compound_id == compound.id, Building.name == "1栋")
        ).one()
        for n in range(residents):
            person = Person(
                telegram_id=700_000 + n, name=f"居民{n}", building_id=building.id, created_at=now
            )
            session.add(person)
            session.flush()
            session.add(NoticePreference(person_id=person.id or 0, private=True))
        session.commit()
    with open_session(engine) as session:

        class Wall:
            def now(self) -> datetime:
                return datetime.now(UTC)

        replies = Replies(None, texts)
        keep_on_commit(session, replies, Wall())
        sender = session.exec(select(Person).where(Person.key == "td-staff")).one()
        board = NoticeBoard(session, Wall())
        notice = board.draft(sender, Place("compound", compound.id), text)
        publish(session, board, notice, replies)
        session.commit()
    return {GROUP.id, BUILDING_GROUP.id, *(700_000 + n for n in range(residents))}


async def test_429_and_5xx_from_telegram_lose_nothing_and_double_nothing(world: World) -> None:
    world.standin.fail_next("sendMessage", error_code=429, retry_after=1, chat_id=GROUP.id)
    world.standin.fail_next("sendMessage", error_code=502, times=2, chat_id=BUILDING_GROUP.id)
    world.standin.fail_next("sendMessage", error_code=500, chat_id=700_003)
    targets = broadcast(world.core_app.engine, 10, BODY)
    await world.core_app.core.drain()
    got = copies(world.standin, BODY)
    assert set(got) == targets and set(got.values()) == {1}
    failed = [c for c in world.standin.calls_to("sendMessage") if not c.ok]
    assert sorted(c.error_code or 0 for c in failed) == [429, 500, 502, 502]
    # The 429 paused that group only: the others were served meanwhile.
    paused = next(c for c in failed if c.error_code == 429)
    retried = next(
        c
        for c in world.standin.calls_to("sendMessage")
        if c.ok and str(c.params.get("chat_id")) == str(GROUP.id)
    )
    assert retried.at - paused.at >= 1.0
    others = [
        c for c in world.standin.calls_to("sendMessage") if c.ok and paused.at < c.at < retried.at
    ]
    assert len(others) >= 5


async def test_a_blocked_resident_is_recorded_and_not_tried_again(world: World) -> None:
    world.standin.block(world.user("r1"))
    await world.say("r2", "/notices")
    await world.press("r2", "Also send notices to me privately")
    before = len([c for c in world.standin.calls_to("sendMessage") if not c.ok])
    with open_session(world.core_app.engine) as session:
        for key in ("r1",):
            person = session.exec(select(Person).where(Person.key == key)).one()
            session.merge(NoticePreference(person_id=person.id or 0, private=True))
        session.commit()
    broadcast(world.core_app.engine, 0, BODY)
    broadcast(world.core_app.engine, 0, BODY + "（第二次）")
    await world.core_app.core.drain()
    refused = [c for c in world.standin.calls_to("sendMessage") if not c.ok][before:]
    assert [str(c.params.get("chat_id")) for c in refused] == ["101"]  # tried once, then known
    assert copies(world.standin, BODY)[102] == 2
    # Writing to the bot again makes the chat reachable again.
    world.standin.unblock(world.user("r1"))
    assert "Recent" in (await world.say("r1", "/notices"))[0] or await world.say("r1", "/help")


async def test_a_migrated_group_gets_the_notice_at_its_new_id(world: World) -> None:
    world.standin.add_chat(GROUP)
    world.standin.migrate_group(GROUP.id, -100_777, world.user("r1"))
    broadcast(world.core_app.engine, 0, BODY)
    await world.core_app.core.drain()
    got = copies(world.standin, BODY)
    assert got[-100_777] == 1 and GROUP.id not in got
    from storage.models import ChatBinding

    with open_session(world.core_app.engine) as session:
        assert session.get(ChatBinding, -100_777) is not None
        assert session.get(ChatBinding, GROUP.id) is None


# --- kill -9 in the middle of a broadcast -----------------------------------------------------


def start_bot(database_url: str, api_url: str) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        LINLI_TELEGRAM_TOKEN=DEFAULT_TOKEN,
        LINLI_TELEGRAM_API_URL=api_url,
        LINLI_DATABASE_URL=database_url,
        LINLI_LOG_LEVEL="WARNING",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def states(engine: Engine) -> dict[str, int]:
    with open_session(engine) as session:
        rows = session.exec(
            select(OutboxMessage.state, func.count()).group_by(col(OutboxMessage.state))
        ).all()
    return {state: n for state, n in rows}


async def test_a_kill_in_the_middle_of_a_broadcast_loses_nothing(database_url: str) -> None:
    engine = make_engine(database_url)
    standin = BotAPIStandIn(DEFAULT_TOKEN)
    await standin.start()
    targets = broadcast(engine, 150, BODY)
    bot = start_bot(database_url, standin.base_url)
    try:
        await standin.wait_for(lambda: sum(copies(standin, BODY).values()) >= 40, 30)
        os.kill(bot.pid, signal.SIGKILL)
        bot.wait(10)
        at_kill = states(engine)
        in_flight = at_kill.get("sending", 0)
        delivered_before = sum(copies(standin, BODY).values())
        assert delivered_before < len(targets)  # it really was in the middle

        bot = start_bot(database_url, standin.base_url)
        await standin.wait_for(lambda: set(copies(standin, BODY)) == targets, 60)
        await standin.wait_for(lambda: states(engine).get("queued", 0) == 0, 30)
        await asyncio.sleep(0.5)
    finally:
        if bot.poll() is None:
            bot.terminate()
            bot.wait(15)
        await standin.stop()
        engine.dispose()
    got = copies(standin, BODY)
    duplicates = sum(got.values()) - len(targets)
    print(f"in flight at the kill: {in_flight}; duplicates after the restart: {duplicates}")
    assert set(got) == targets  # nothing lost
    assert duplicates <= in_flight <= 16  # at most what was in flight, at most max_inflight
