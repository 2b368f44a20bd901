"""One resident flooding the bot: at most the limit of new tickets and pings, every report kept
and answered, another resident's ping not stuck behind the flood, staff see what was held."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import col, select

from domain.clock import ManualClock
from domain.flood import HELD, FloodPolicy
from domain.policy import DEFAULT_POLICY
from domain.same_problem import SameProblemPolicy
from handlers.jobs import Jobs
from handlers.reporting import EmergencyRouting
from nlp import Classifier
from storage import orgfile
from storage.db import session as open_session
from storage.models import Report, Ticket
from storage.models_outbox import OutboxMessage, OutboxState
from tests.handlers.conftest import GROUP, TEXTS, TZ, Bot

LIMIT = FloodPolicy()  # the defaults: five new tickets in ten minutes
PROBLEMS = [
    "楼道灯坏了", "下水道堵了", "垃圾桶满了没人清", "楼上漏水到我家", "电梯坏了",
    "路灯不亮", "井盖丢了", "树枝快断了", "单元门禁坏了", "停水三天了",
    "楼下广场舞太吵", "有人占用消防通道", "物业不作为", "小区里有流浪狗", "化粪池满了",
    "楼道堆满杂物", "墙皮脱落", "车位被占", "绿化带被毁", "雨水管断了",
]  # fmt: skip
AGAIN = ["", "，快来人看看", "，麻烦处理一下", "，都好几天了", "，谁来管管"]


def r1_reports(engine: Engine) -> list[Report]:
    with open_session(engine) as session:
        r1 = orgfile.find_person(session, "r1")
        assert r1 is not None
        return list(session.exec(select(Report).where(Report.person_id == r1.id)))


def test_two_hundred_reports_in_a_minute_open_at_most_the_limit(bot: Bot) -> None:
    gw1 = bot.tid("gw1")
    for i in range(200):
        bot.say("r1", PROBLEMS[i % len(PROBLEMS)] + AGAIN[i // len(PROBLEMS) % len(AGAIN)])
        bot.later(seconds=0.3)
    with open_session(bot.engine) as session:
        assert len(session.exec(select(Ticket)).all()) == LIMIT.tickets
    pings = bot.rows(gw1)
    assert len(pings) <= LIMIT.tickets
    reports = r1_reports(bot.engine)
    assert len(reports) == 200  # every report kept
    held = [r for r in reports if r.status == HELD]
    assert len(held) >= 100  # the rest joined their own open tickets ("already reported")
    assert all(r.status in ("ticketed", "attached", HELD, "none") for r in reports)
    # every report answered (a line of advice where danger is possible comes on its own)
    answers = [a for a in bot.rows(bot.tid("r1")) if "如果有人受伤或有危险" not in str(a.payload)]
    assert len(answers) == 200
    assert "已收到并保存，但这次没有新开工单" in str(answers[-1].payload["text"])

    # Another resident's ping waits behind at most the flood's few, not behind 200.
    bot.say("r2", "3号楼的水管爆了，水漫到楼道了")
    queue = [r for r in bot.rows(gw1) if r.state == OutboxState.QUEUED]
    theirs = [r for r in queue if "水管" in str(r.payload.get("text"))]
    assert theirs and queue.index(theirs[0]) <= LIMIT.tickets


def test_an_emergency_is_never_held(bot: Bot) -> None:
    for i in range(LIMIT.tickets + 3):
        bot.say("r1", PROBLEMS[i])
    answer = bot.say("r1", "楼下着火了，好大的烟")
    assert any("119" in text for text in answer)
    assert not any("没有新开工单" in text for text in answer)


def test_the_limit_lifts_after_the_window(bot: Bot) -> None:
    for i in range(LIMIT.tickets + 1):
        bot.say("r1", PROBLEMS[i])
    bot.later(minutes=11)
    answer = bot.say("r1", PROBLEMS[10])
    assert "工单" in answer[0] and "没有新开工单" not in answer[0]


def test_in_a_group_the_flood_is_answered_once(bot: Bot) -> None:
    for i in range(LIMIT.tickets + 6):
        bot.say("r1", "#报事 " + PROBLEMS[i], GROUP)
    group = [str(r.payload["text"]) for r in bot.rows(GROUP.id)]
    assert sum("没有新开工单" in text for text in group) == 1
    assert len(r1_reports(bot.engine)) == LIMIT.tickets + 6


def test_staff_see_what_is_held_and_open_it_as_a_ticket(bot: Bot) -> None:
    for i in range(LIMIT.tickets + 2):
        bot.say("r1", PROBLEMS[i])
    listing = bot.say("gw1", "/held")
    assert "共 2 条" in listing[0] and PROBLEMS[LIMIT.tickets + 1] in listing[0]
    first = bot.buttons(bot.tid("gw1"))[0][1]
    assert first.startswith("hd:")
    refused = bot.press("gw2", first)  # the other grid's worker
    assert refused == TEXTS.get("zh_Hans", "error-not-yours")
    bot.inbox("r1")
    assert "已转为工单" in bot.press("gw1", first)
    told = bot.inbox("r1")
    assert any("TD-261125-006" in text for text in told)
    assert "共 1 条" in bot.say("gw1", "/held")[0]


def test_the_digest_counts_what_is_held(
    engine: Engine, clock: ManualClock, classifier: Classifier, bot: Bot
) -> None:
    for i in range(LIMIT.tickets + 3):
        bot.say("r1", PROBLEMS[i])
    jobs = Jobs(
        engine, clock, DEFAULT_POLICY, TZ, TEXTS, classifier, EmergencyRouting(),
        SameProblemPolicy(),
    )  # fmt: skip
    jobs.digest()
    with open_session(engine) as session:
        digest = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == 201)
            .order_by(col(OutboxMessage.id).desc())
        ).first()
    assert digest is not None and "另有 3 条居民反映" in str(digest.payload["text"])


def test_a_resident_is_not_held_because_of_a_neighbour(bot: Bot) -> None:
    for i in range(LIMIT.tickets + 2):
        bot.say("r1", PROBLEMS[i])
    answer = bot.say("r2", PROBLEMS[15])  # r2 reads English
    assert "ticket TD-261125-006" in answer[0]
