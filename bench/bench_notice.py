"""One notice to 600 groups and 3,000 residents, through the real bot, against a Bot API
stand-in that enforces Telegram's limits and answers 429 as Telegram does.

    .venv/bin/python bench/bench_notice.py [--groups 600] [--residents 3000]

The stand-in runs in its own process (`python -m bot.standin --enforce-limits`), so the bot's
numbers are not its own. The notice is written to the outbox as the confirm button would write
it (handlers.notices.publish); the bot (bot.app.serve, aiogram, long polling) then drains the
outbox. Printed: the achieved rate beside the 30 msg/s ceiling, 429s, the most messages any one
chat got in a minute, and losses (outbox rows not sent, messages the stand-in did not get).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import col, func, select

import locales
from bot.app import build, serve
from bot.config import DatabaseSettings, Settings, TelegramSettings
from bot.standin.process import run_standin_in_subprocess
from domain.clock import SystemClock
from domain.notices import NoticeBoard, Place
from handlers.i18n import Texts
from handlers.notices import publish
from handlers.outgoing import keep_on_commit
from handlers.replies import Replies
from storage import orgfile
from storage.db import make_engine, migrate
from storage.db import session as open_session
from storage.models import Building, ChatBinding, Community, Compound, Person
from storage.models_notices import NoticePreference
from storage.models_outbox import OutboxMessage

ORG = Path(__file__).resolve().parents[1] / "tests" / "data" / "org.yaml"
CEILING = 30.0


def prepare(url: str, groups: int, residents: int) -> int:
    """The organisation, `groups` bound groups and `residents` residents of community TD on
    private delivery, and one notice to the community in the outbox; the rows queued."""
    engine = make_engine(url)
    migrate(engine)
    clock = SystemClock()
    now = clock.now()
    with open_session(engine) as session:
        orgfile.import_org(session, orgfile.load(ORG), now)
        session.commit()
        community = session.exec(select(Community).where(Community.code == "TD")).one()
        buildings = session.exec(
            select(Building)
            .join(Compound, col(Compound.id) == col(Building.compound_id))
            .where(Compound.community_id == community.id)
        ).all()
        for n in range(groups):
            building = buildings[n % len(buildings)]
            session.add(
                ChatBinding(
                    chat_id=-1_000_000_000 - n,
                    title=f"楼栋群{n}",
                    scope_kind="building",
                    scope_id=building.id or 0,
                )
            )
        for n in range(residents):
            person = Person(
                telegram_id=5_000_000 + n,
                name=f"居民{n}",
                building_id=buildings[n % len(buildings)].id,
                created_at=now,
            )
            session.add(person)
            session.flush()
            session.add(NoticePreference(person_id=person.id or 0, private=True))
        session.commit()
    texts = Texts.load(locales.DIRECTORY, ZoneInfo("Asia/Shanghai"))
    with open_session(engine) as session:
        replies = Replies(None, texts)
        keep_on_commit(session, replies, clock)
        community = session.exec(select(Community).where(Community.code == "TD")).one()
        sender = session.exec(select(Person).where(Person.key == "td-staff")).one()
        board = NoticeBoard(session, clock)
        notice = board.draft(
            sender, Place("community", community.id), "本周六上午9点，社区广场义诊，请相互转告。"
        )
        publish(session, board, notice, replies)
        session.commit()
    with open_session(engine) as session:
        queued = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    engine.dispose()
    return int(queued)


async def bench(groups: int, residents: int) -> int:
    folder = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    queued = prepare(url, groups, residents)
    print(f"queued {queued} messages ({groups} groups, {residents} residents, 1 status)")
    async with run_standin_in_subprocess(enforce_limits=True, record_calls=False) as standin:
        settings = Settings(
            telegram=TelegramSettings(token=standin.token, api_url=standin.url),
            database=DatabaseSettings(url=url),
        )
        app = build(settings)
        stop = asyncio.Event()
        started = time.monotonic()
        task = asyncio.create_task(serve(app, stop=stop, clock_jobs=False))
        stats: dict[str, object] = {}
        while time.monotonic() - started < 600:
            await asyncio.sleep(1.0)
            stats = await standin.stats()
            if int(str(stats["total_sent"])) >= queued:
                break
        wall = time.monotonic() - started
        stop.set()
        await task
        with open_session(app.engine) as session:
            by_state = dict(
                session.exec(
                    select(OutboxMessage.state, func.count()).group_by(col(OutboxMessage.state))
                ).all()
            )
        per_chat = stats.get("per_chat_max_per_minute") or {}
        assert isinstance(per_chat, dict)
        group_max = max((v for k, v in per_chat.items() if int(k) < 0), default=0)
        private_max = max((v for k, v in per_chat.items() if int(k) > 0), default=0)
        sent = int(str(stats["total_sent"]))
        rate = float(str(stats["rate_per_second"] or 0))
        lost = queued - int(by_state.get("sent", 0))
        print(f"sent by the stand-in:   {sent} of {queued} in {stats['seconds']} s")
        print(
            f"achieved rate:          {rate:.2f} msg/s against the {CEILING:.0f} msg/s ceiling "
            f"({100 * rate / CEILING:.1f}%)"
        )
        print(f"max in any one second: {stats['max_per_second']}")
        print(f"429s received:          {stats['total_429']}")
        print(f"per-group max/minute:   {group_max} (limit 20)")
        print(f"per-person max/minute:  {private_max}")
        print(f"outbox rows by state:   {by_state}")
        print(f"losses:                 {lost} (rows not sent), {queued - sent} (not received)")
        print(f"wall time:              {wall:.1f} s (bot start-up included)")
        print(f"finished at {datetime.now(UTC).isoformat(timespec='seconds')}")
        ok = rate >= 0.9 * CEILING and stats["total_429"] == 0 and lost == 0 and sent == queued
        return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=600)
    parser.add_argument("--residents", type=int, default=3000)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(bench(args.groups, args.residents)))


if __name__ == "__main__":
    main()
