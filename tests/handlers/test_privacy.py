"""Private numbers stay private: a neighbour, a follower and the compound's group never see the
reporter's numbers, however they were written; topics made from tickets and their announcement
carry none; staff still read the report as it was written."""

from __future__ import annotations

from sqlmodel import select

from domain.clock import ManualClock
from handlers.events import Chat, Send
from handlers.i18n import DEFAULT_LANGUAGE
from handlers.replies import Replies
from storage.db import session as open_session
from storage.models import Ticket
from storage.models_deliberation import Topic
from tests.handlers.conftest import GROUP, TEXTS, Bot

# The reporter's numbers, written as people write them.
REPORT = (
    "3号楼楼道灯坏了，有事打我电话 １３８ １２３４ ５６７８ 或 一三九一二三四五六七八，"
    "身份证 4202 0219 8001 0112 3X，卡号 6222-0212-3456-7890"
)
RAW = ["１３８ １２３４ ５６７８", "13812345678", "一三九一二三四五六七八", "13912345678",
       "4202 0219 8001 0112 3X", "42020219800101123X", "6222-0212-3456-7890",
       "6222021234567890"]  # fmt: skip
MASKED = ["138****5678", "139****5678", "420202********123X", "6222********7890"]


def clean(text: str) -> bool:
    return not any(raw in text for raw in RAW) and all(m in text for m in MASKED)


def ticket_of(bot: Bot) -> Ticket:
    with open_session(bot.engine) as session:
        return session.exec(select(Ticket)).one()


def test_the_grid_worker_reads_the_numbers_the_neighbour_does_not(bot: Bot) -> None:
    bot.say("r1", REPORT)
    ping = bot.inbox("gw1")
    assert "13812345678" not in ping[0]  # staff read it exactly as written
    assert "１３８ １２３４ ５６７８" in ping[0] and "4202 0219 8001 0112 3X" in ping[0]
    answer = bot.say("r2", "3号楼楼道灯坏了")
    assert "TD-261125-001" in answer[0]
    assert clean(answer[0]), answer[0]


def test_a_follower_reads_the_card_and_the_workers_notes_masked(bot: Bot) -> None:
    bot.say("r1", REPORT)
    bot.say("r2", "3号楼楼道灯坏了")
    ticket = ticket_of(bot)
    bot.press("r2", f"tv:{ticket.id}")
    card = bot.inbox("r2")
    assert card and clean(card[-1]), card
    bot.press("gw1", f"tk:note:{ticket.id}:{ticket.version}")
    bot.say("gw1", "已联系业主，电话 138-1234-5678，明天上门")
    notes = bot.inbox("r2")
    assert any("138****5678" in n for n in notes) and not any("1234" in n for n in notes)


def test_the_compound_group_never_sees_the_reporters_numbers(bot: Bot) -> None:
    bot.say("r1", "#报事 " + REPORT, GROUP)
    assert "13812345678" not in bot.inbox("gw1")[0]  # the worker's private ping: as written
    echoed = bot.say("r2", "#报事 3号楼楼道灯坏了", GROUP)
    assert echoed and all(clean(text) for text in echoed if "TD-261125-001" in text)
    for row in bot.rows(GROUP.id):
        assert not any(raw in str(row.payload) for raw in RAW)


def test_a_group_chat_is_masked_whatever_the_handler_wrote(clock: ManualClock) -> None:
    """The safety net: Replies masks every text bound for a group (negative chat id)."""
    replies = Replies(None, TEXTS)
    replies.send(-1001, DEFAULT_LANGUAGE, "联系 13812345678")
    replies.send(101, DEFAULT_LANGUAGE, "联系 13812345678")
    group, private = (e for e in replies.effects if isinstance(e, Send))
    assert group.text == "联系 138****5678"
    assert private.text == "联系 13812345678"  # a private chat gets what the handler chose


def test_fromtickets_and_its_announcement_carry_no_number(bot: Bot) -> None:
    bot.say("r1", REPORT)
    card = bot.say("td-staff", "/fromtickets TD-261125-001")  # no title: taken from the ticket
    assert card and clean(card[0]), card
    with open_session(bot.engine) as session:
        topic = session.exec(select(Topic)).one()
    assert clean(topic.text) and not any(raw in topic.title for raw in RAW)
    bot.press("td-staff", f"dl:fx:{topic.id}:{topic.version}")
    with open_session(bot.engine) as session:
        topic = session.exec(select(Topic)).one()
    bot.press("td-staff", f"dl:an:{topic.id}:{topic.version}")
    bot.read(-1003)
    bot.say("td-staff", "加装电梯公示，有疑问找张三 13812345678")
    group = bot.inbox(-1003)  # building 3's group
    assert group and all("13812345678" not in text for text in group)
    assert any("138****5678" in text for text in group)
    residents = bot.inbox("r2")
    assert residents and all("13812345678" not in text for text in residents)


def test_a_topic_card_is_masked_for_residents_not_for_its_steward(bot: Bot) -> None:
    bot.say("r1", "/propose 3栋加装电梯\n我愿意牵头，电话13812345678")
    with open_session(bot.engine) as session:
        topic = session.exec(select(Topic)).one()
    steward = bot.inbox("td-staff")
    assert any("13812345678" in text for text in steward)
    bot.press("r2", f"dv:{topic.id}", Chat(bot.tid("r2")))
    shown = bot.inbox("r2")
    assert shown and "13812345678" not in shown[-1] and "138****5678" in shown[-1]
