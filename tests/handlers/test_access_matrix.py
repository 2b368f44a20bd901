"""Who may do what, walked end to end: every command and every button family, as each role, in
private and in a group, including forged button data.

For every case outside the grant: nothing is recorded (no ticket, topic or notice changes, no
event, no question asked), nothing is sent to anyone but the person who tried, and the answer
is a clear refusal (a known locale key, never the internal-error text). Every role the grant
names acts (each from the same starting point), without an internal error.

The neighbourhood is tests/handlers/world.py, built once per module through the bot and
restored before each case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from handlers.asking import Cancel
from handlers.deliberation import (
    CommentOn,
    Evaluate,
    MeetingKind,
    PickScope,
    StewardButton,
    TaskProgress,
    ViewTopic,
    Vote,
)
from handlers.events import Chat, Sender
from handlers.held import OpenHeld
from handlers.i18n import Texts
from handlers.notices import Acknowledge, AddressTo, NoticeAction, PrivateDelivery, SendLater
from handlers.start import Communities, PickBuilding, PickCompound, PickLanguage
from handlers.triage import SplitPick
from handlers.views import (
    Rate,
    Reassign,
    Reclassify,
    TicketMove,
    ToDepartment,
    ToGrid,
    ViewTicket,
    WorklistPage,
)
from tests.handlers.conftest import Neighbourhood
from tests.handlers.harness import GROUP, Harness, Turn
from tests.handlers.world import STRANGER, World

# --- who -------------------------------------------------------------------------------------

ROLES: dict[str, str | Sender] = {
    "unregistered": STRANGER,
    "resident": "r2",  # lives in 铜都花园 3栋; follows TD-261125-001; on TD-YS002's roll
    "reporter": "r1",  # reported TD-261125-001, proposed TD-YS001
    "resident-elsewhere": "r3",  # lives in the other community (西花苑)
    "building-leader": "bl",  # 铜都花园 3栋
    "grid-worker-other": "gw2",  # TD-02 (铜都小区)
    "grid-worker": "gw1",  # TD-01 (铜都花园), holds TD-261125-001
    "staff-other": "xhy-staff",
    "staff": "td-staff",
    "subdistrict": "centre",
    "department": "pingan",
    "admin": "admin",
}
EVERYONE = tuple(ROLES)
RESIDENTS = ("resident", "reporter", "resident-elsewhere")
WORKERS = tuple(r for r in EVERYONE if r not in ("unregistered", *RESIDENTS))
STAFF = ("staff", "subdistrict", "admin")  # over 铜都社区
FIGURES = ("staff", "staff-other", "subdistrict", "admin")
SAME = "same"  # in a group: the same grant as in private
PRIVATE_ONLY = ()  # in a group: refused for everyone

# --- what a refusal says ----------------------------------------------------------------------

REFUSALS = {
    "error-no-role",
    "error-not-yours",
    "error-private-only",
    "error-stale-button",
    "error-ticket-changed",
    "error-rating-closed",
    "refused-actor",
    "refused-state",
    "refused-top-level",
    "refused-assignee",
    "refused-grid-community",
    "refused-split-report",
    "refused-merge-community",
    "ticket-not-found",
    "ticket-in-private",
    "notice-not-allowed",
    "notice-not-your-place",
    "notice-not-addressed",
    "notice-need-home",
    "notice-already",
    "dl-not-found",
    "dl-topic-in-private",
    "dl-changed",
    "dl-refused-role",
    "dl-refused-scope",
    "dl-refused-not-yours",
    "dl-refused-no-ticket",
    "dl-refused-state",
    "dl-refused-register",
    "dl-refused-not-eligible",
    "dl-refused-not-participant",
    "dl-refused-comments-closed",
    "dl-refused-evaluation-closed",
    "dl-refused-vote-closed",
    "dl-refused-tickets-communities",
}
UNCHANGING = {"person", "processedupdate", "outbox", "unreachablechat"}

# --- the cases --------------------------------------------------------------------------------

Act = Callable[[Harness, World, Sender, Chat], Turn]


def say(text: str) -> Act:
    def act(bot: Harness, world: World, who: Sender, chat: Chat) -> Turn:
        bot.says(who, text, chat=chat)
        return bot.last

    return act


def press(data: Callable[[World], str]) -> Act:
    def act(bot: Harness, world: World, who: Sender, chat: Chat) -> Turn:
        bot.presses(who, data(world), chat=chat)
        return bot.last

    return act


def tk(verb: str, number: str = "TD-261125-001") -> Act:
    def data(w: World) -> str:
        ticket = w.ticket(number)
        return TicketMove(verb, ticket.id or 0, ticket.version).pack()  # type: ignore[arg-type]  # verbs below are the family's

    return press(data)


def dl(verb: str, number: str = "TD-YS001") -> Act:
    def data(w: World) -> str:
        topic = w.topic(number)
        return StewardButton(verb, topic.id or 0, topic.version).pack()  # type: ignore[arg-type]  # verbs below are the family's

    return press(data)


def _t1(w: World) -> tuple[int, int]:
    ticket = w.ticket("TD-261125-001")
    return ticket.id or 0, ticket.version


def _ys(w: World, number: str) -> tuple[int, int]:
    topic = w.topic(number)
    return topic.id or 0, topic.version


@dataclass(frozen=True)
class Case:
    """One command or button; who may (in private, and in a group)."""

    name: str
    act: Act
    private: tuple[str, ...]
    group: tuple[str, ...] | str = SAME

    def allowed(self, in_group: bool) -> tuple[str, ...]:
        if in_group and self.group != SAME:
            assert not isinstance(self.group, str)
            return self.group
        return self.private


CASES = [
    # --- commands ---
    Case("/start", say("/start"), EVERYONE, PRIVATE_ONLY),
    Case("/help", say("/help"), EVERYONE),
    Case("/language", say("/language"), EVERYONE, PRIVATE_ONLY),
    Case("/cancel", say("/cancel"), EVERYONE, PRIVATE_ONLY),
    Case("/my", say("/my"), EVERYONE, PRIVATE_ONLY),
    Case("/tickets", say("/tickets"), WORKERS, PRIVATE_ONLY),
    Case(
        "/ticket",
        say("/ticket TD-261125-001"),
        ("reporter", "resident", "grid-worker", *STAFF),
        PRIVATE_ONLY,  # viewers are sent to the private chat, the others told there is none
    ),
    Case(
        "/ticket other community",
        say("/ticket XHY-261125-001"),
        ("staff-other", "subdistrict", "admin", "resident-elsewhere"),
        PRIVATE_ONLY,
    ),
    Case("/merge", say("/merge TD-261125-001 TD-261125-002"), STAFF, PRIVATE_ONLY),
    Case("/merge other community", say("/merge XHY-261125-001 TD-261125-002"), (), PRIVATE_ONLY),
    Case("/split", say("/split TD-261125-001"), STAFF, PRIVATE_ONLY),
    Case("/hot", say("/hot"), FIGURES, PRIVATE_ONLY),
    Case("/held", say("/held"), ("grid-worker", "grid-worker-other", *FIGURES), PRIVATE_ONLY),
    Case("/stats", say("/stats"), FIGURES, PRIVATE_ONLY),
    Case("/publish", say("/publish"), FIGURES, PRIVATE_ONLY),
    Case("/publish preview", say("/publish preview 1"), FIGURES, PRIVATE_ONLY),
    Case("/selection", say("/selection"), FIGURES, PRIVATE_ONLY),
    Case(
        "/notice",
        say("/notice"),
        ("staff", "staff-other", "building-leader", "subdistrict", "admin"),
        PRIVATE_ONLY,
    ),
    Case("/notices", say("/notices"), EVERYONE, PRIVATE_ONLY),
    Case("/report", say("/report 单元门禁坏了"), EVERYONE),
    Case("/propose", say("/propose 小区增设快递柜"), RESIDENTS, EVERYONE),
    Case(
        "/fromtickets",
        say("/fromtickets TD-261125-001 TD-261125-002 楼道安全"),
        STAFF,
        PRIVATE_ONLY,
    ),
    Case(
        "/fromtickets other community",
        say("/fromtickets XHY-261125-001 停车"),
        ("staff-other", "subdistrict", "admin"),
        PRIVATE_ONLY,
    ),
    Case(
        "/topic",
        say("/topic TD-YS001"),
        ("reporter", "resident", "building-leader", *STAFF),
        PRIVATE_ONLY,  # the record names people: never into a group
    ),
    Case(
        "/topic other community",
        say("/topic XHY-YS001"),
        ("resident-elsewhere", "staff-other", "subdistrict", "admin"),
        PRIVATE_ONLY,
    ),
    Case("/topics", say("/topics"), EVERYONE, PRIVATE_ONLY),
    Case("/vote", say("/vote TD-YS002"), ("resident", "reporter"), PRIVATE_ONLY),
    Case(
        "/comment",
        say("/comment TD-YS002 我同意"),
        ("resident", "reporter", "building-leader", *STAFF),
    ),
    Case("/dhelp", say("/dhelp"), EVERYONE),
    Case("/yishi", say("/yishi"), EVERYONE),
    # --- ticket buttons ---
    Case("tk accept", tk("acc"), ("grid-worker",)),
    Case("tk note", tk("note"), ("grid-worker", *STAFF)),
    Case("tk resolve", tk("res"), ("grid-worker", *STAFF)),
    Case("tk escalate", tk("esc"), ("grid-worker", *STAFF)),
    Case("tk transfer menu", tk("trf"), ("grid-worker", *STAFF)),
    Case("tk supervise", tk("sup"), STAFF),
    Case("tk reclassify menu", tk("rcl"), STAFF),
    Case("tk reassign menu", tk("ras"), STAFF),
    Case("tk withdraw", tk("wd"), ("reporter",)),
    Case(
        "tk supervise other community",
        tk("sup", "XHY-261125-001"),
        ("staff-other", "subdistrict", "admin"),
    ),
    Case(
        "tk:tg to a grid of the community",
        press(lambda w: ToGrid(*_t1(w), w.grid("TD-02").id or 0).pack()),
        ("grid-worker", *STAFF),
    ),
    Case(
        "tk:tg forged: another community's grid",
        press(lambda w: ToGrid(*_t1(w), w.grid("XHY-01").id or 0).pack()),
        (),
    ),
    Case(
        "tk:td to a department",
        press(lambda w: ToDepartment(*_t1(w), w.department("chengguan").id or 0).pack()),
        ("grid-worker", *STAFF),
    ),
    Case("tk:rc", press(lambda w: Reclassify(*_t1(w), "service.safety").pack()), STAFF),
    Case(
        "tk:rc forged: no such category", press(lambda w: Reclassify(*_t1(w), "no.such").pack()), ()
    ),
    Case(
        "tk:ra to a grid worker there",
        press(lambda w: Reassign(*_t1(w), w.person("gw2").id or 0).pack()),
        STAFF,
    ),
    Case(
        "tk:ra forged: a plain resident",
        press(lambda w: Reassign(*_t1(w), w.person("r2").id or 0).pack()),
        (),
    ),
    Case(
        "tk:ra forged: another community's worker",
        press(lambda w: Reassign(*_t1(w), w.person("xgw").id or 0).pack()),
        (),
    ),
    Case(
        "rt rate a resolved ticket",
        press(
            lambda w: Rate(
                w.ticket("TD-261125-003").id or 0, w.ticket("TD-261125-003").version, "satisfied"
            ).pack()
        ),
        ("resident",),
    ),
    Case(
        "tv view a ticket",
        press(lambda w: ViewTicket(_t1(w)[0]).pack()),
        ("reporter", "resident", "grid-worker", *STAFF),
    ),
    Case("tl worklist page", press(lambda w: WorklistPage(0).pack()), WORKERS),
    Case(
        "sp split a neighbour out",
        press(lambda w: SplitPick(*_t1(w), w.neighbours_report("TD-261125-001").id or 0).pack()),
        STAFF,
    ),
    Case(
        "sp forged: a report of another ticket",
        press(lambda w: SplitPick(*_t1(w), w.first_report("TD-261125-002").id or 0).pack()),
        (),
    ),
    Case(
        "hd open a held report",
        press(lambda w: OpenHeld(w.held().id or 0).pack()),
        ("grid-worker", *STAFF),
    ),
    # --- questions, language, registration ---
    Case("cx cancel", press(lambda w: Cancel().pack()), EVERYONE),
    Case("lang", press(lambda w: PickLanguage("en").pack()), EVERYONE),
    Case("reg:c", press(lambda w: Communities().pack()), EVERYONE, PRIVATE_ONLY),
    Case(
        "reg:c community",
        press(lambda w: Communities(w.community("TD").id).pack()),
        EVERYONE,
        PRIVATE_ONLY,
    ),
    Case(
        "reg:p compound",
        press(lambda w: PickCompound(w.compound("铜都花园").id or 0).pack()),
        EVERYONE,
        PRIVATE_ONLY,
    ),
    Case(
        "reg:b building",
        press(lambda w: PickBuilding(w.building("铜都花园", "1栋").id or 0).pack()),
        EVERYONE,
        PRIVATE_ONLY,
    ),
    # --- notices ---
    Case(
        "nt:to a compound of the community",
        press(lambda w: AddressTo("compound", w.compound("铜都花园").id or 0).pack()),
        ("staff", "subdistrict", "admin"),
    ),
    Case(
        "nt:to the leader's building",
        press(lambda w: AddressTo("building", w.building("铜都花园", "3栋").id or 0).pack()),
        ("staff", "building-leader", "subdistrict", "admin"),
    ),
    Case(
        "nt:to forged: another community",
        press(lambda w: AddressTo("compound", w.compound("西花苑小区").id or 0).pack()),
        ("staff-other", "subdistrict", "admin"),
    ),
    Case(
        "nt:to the whole sub-district",
        press(lambda w: AddressTo("subdistrict", 0).pack()),
        ("subdistrict", "admin"),
    ),
    Case(
        "nt go", press(lambda w: NoticeAction("go", w.notice("draft").id or 0).pack()), ("staff",)
    ),
    Case(
        "nt pin", press(lambda w: NoticeAction("pin", w.notice("draft").id or 0).pack()), ("staff",)
    ),
    Case(
        "nt cancel",
        press(lambda w: NoticeAction("x", w.notice("draft").id or 0).pack()),
        ("staff",),
    ),
    Case(
        "nt who", press(lambda w: NoticeAction("who", w.notice("sent").id or 0).pack()), ("staff",)
    ),
    Case(
        "nt remind",
        press(lambda w: NoticeAction("rm", w.notice("sent").id or 0).pack()),
        ("staff",),
    ),
    Case(
        "nt:at later",
        press(lambda w: SendLater(w.notice("draft").id or 0, "60").pack()),
        ("staff",),
    ),
    Case(
        "na acknowledge",
        press(lambda w: Acknowledge(w.notice("sent").id or 0).pack()),
        ("resident", "reporter"),
    ),
    Case("np private delivery", press(lambda w: PrivateDelivery().pack()), RESIDENTS),
    # --- deliberation ---
    Case("dl rule", dl("ru"), ("staff", "building-leader", "subdistrict", "admin")),
    Case("dl scope menu", dl("sm"), ("staff", "building-leader", "subdistrict", "admin")),
    Case("dl roll", dl("rl", "TD-YS002"), ("staff", "building-leader", "subdistrict", "admin")),
    Case("dl rule other community", dl("ru", "XHY-YS001"), ()),  # proposed: nothing to set yet
    Case(
        "dl accept other community", dl("acc", "XHY-YS001"), ("staff-other", "subdistrict", "admin")
    ),
    Case(
        "dl:sc the building",
        press(
            lambda w: PickScope(
                *_ys(w, "TD-YS001"), "building", w.building("铜都花园", "3栋").id or 0
            ).pack()
        ),
        ("staff", "building-leader", "subdistrict", "admin"),
    ),
    Case(
        "dl:sc the compound",
        press(
            lambda w: PickScope(
                *_ys(w, "TD-YS001"), "compound", w.compound("铜都花园").id or 0
            ).pack()
        ),
        STAFF,
    ),
    Case(
        "dl:sc forged: another building",
        press(
            lambda w: PickScope(
                *_ys(w, "TD-YS001"), "building", w.building("铜都小区", "1栋").id or 0
            ).pack()
        ),
        STAFF,
    ),
    Case(
        "dl:sc forged: another community's compound",
        press(
            lambda w: PickScope(
                *_ys(w, "TD-YS001"), "compound", w.compound("西花苑小区").id or 0
            ).pack()
        ),
        (),
    ),
    Case(
        "dl:mk meeting",
        press(lambda w: MeetingKind(*_ys(w, "TD-YS002"), "roundtable").pack()),
        ("staff", "building-leader", "subdistrict", "admin"),
    ),
    Case(
        "dl:pg forged: no such task",
        press(lambda w: TaskProgress(*_ys(w, "TD-YS002"), 999).pack()),
        (),
    ),
    Case(
        "dv view a topic",
        press(lambda w: ViewTopic(_ys(w, "TD-YS001")[0]).pack()),
        ("reporter", "resident", "building-leader", *STAFF),
    ),
    Case(
        "dv view other community's topic",
        press(lambda w: ViewTopic(_ys(w, "XHY-YS001")[0]).pack()),
        ("resident-elsewhere", "staff-other", "subdistrict", "admin"),
    ),
    Case(
        "dc comment",
        press(lambda w: CommentOn(_ys(w, "TD-YS002")[0]).pack()),
        ("resident", "reporter", "building-leader", *STAFF),
    ),
    Case("vt vote", press(lambda w: Vote(*_ys(w, "TD-YS002"), 0).pack()), ("resident", "reporter")),
    Case(
        "ev evaluate while voting",
        press(lambda w: Evaluate(_ys(w, "TD-YS002")[0], "satisfied").pack()),
        (),
    ),
]


def test_every_command_and_button_family_is_in_the_matrix(texts: Texts) -> None:
    from handlers.app import ROUTERS

    families = {r.key for router in ROUTERS for r in router.routes if r.kind == "callback"}
    commands = {r.key for router in ROUTERS for r in router.routes if r.kind == "command"}
    named = {case.name.split()[0] for case in CASES}
    assert {f"/{c}" for c in commands} <= named
    assert families <= named | {"reg:c"}


# --- running them -----------------------------------------------------------------------------


def _actions(turn: Turn) -> set[str]:
    """The tables an update committed changes to, beyond people and plumbing (a person's first
    contact, the update's id, the outbox): what records an action."""
    return turn.written - UNCHANGING


def _refused(turn: Turn) -> set[str]:
    return set(turn.keys) & REFUSALS


def _check_refused(case: Case, role: str, chat: Chat, turn: Turn) -> None:
    where = f"{case.name} as {role} in {'group' if chat.id < 0 else 'private'}"
    assert "error-internal" not in turn.keys, where
    assert _refused(turn), f"{where}: not refused ({turn.keys})"
    assert not _actions(turn), f"{where}: wrote to {_actions(turn)}"
    sender = turn.event.sender.id
    assert turn.chats() <= {sender, chat.id}, f"{where}: told {turn.chats() - {sender, chat.id}}"
    assert turn.said().strip(), f"{where}: refused without a word"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_only_the_grant_acts(case: Case, neighbourhood: Neighbourhood) -> None:
    bot, world = neighbourhood.bot, neighbourhood.world
    bot.restore(neighbourhood.template)
    granted: list[tuple[str, Chat]] = []
    for role, who in ROLES.items():
        sender = bot.sender(who)
        for chat in (Chat(sender.id), GROUP):
            if role in case.allowed(chat.id < 0):
                granted.append((role, chat))
                continue
            turn = case.act(bot, world, sender, chat)
            _check_refused(case, role, chat, turn)
    acted = False
    for role, chat in granted:
        if acted:  # the one before changed something: start afresh
            bot.restore(neighbourhood.template)
        turn = case.act(bot, world, bot.sender(ROLES[role]), chat)
        acted = bool(_actions(turn))
        where = f"{case.name} as {role} in {'group' if chat.id < 0 else 'private'}"
        assert "error-internal" not in turn.keys, where
        assert not _refused(turn), f"{where}: refused ({turn.keys})"
