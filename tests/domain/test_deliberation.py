"""The topic's six steps over the database: who may move it, the roll, named and secret ballots,
offline votes, removal from the roll, reminders, and bad input that changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, select

from domain.clock import ManualClock
from domain.deliberation import (
    Act,
    Deliberation,
    Role,
    RollError,
    State,
    allowed,
    check,
    import_roll,
    read_roll,
)
from domain.lifecycle import Refused
from handlers.deliberation import parse_when
from storage import models_deliberation, orgfile
from storage.db import session as open_session
from storage.models import Building, Person, RoleGrant
from storage.models_deliberation import Participation, SecretReceipt, SecretTotal, Topic

ROLL = """building,household,owner,area,telegram_id
TD/铜都花园/3栋,2-101,赵大爷,90,
TD/铜都花园/3栋,2-201,陈居民,120,101
TD/铜都花园/3栋,2-202,刘邻居,120.50,102
TD/铜都花园/3栋,2-301,黄居民,100,103
"""


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with open_session(engine) as session:
        yield session


def person(session: Session, key: str) -> Person:
    found = session.exec(select(Person).where(Person.key == key)).one()
    return found


def grants(session: Session, who: Person) -> list[RoleGrant]:
    return list(session.exec(select(RoleGrant).where(RoleGrant.person_id == who.id)).all())


def building_id(session: Session) -> int:
    return orgfile.resolve_building(session, "TD/铜都花园/3栋").id or 0


def voting_topic(
    session: Session, clock: ManualClock, *, by_household: bool, secret: bool = False
) -> tuple[Deliberation, Topic]:
    """A building-3 topic with its roll, announced and open for voting."""
    import_roll(session, read_roll(ROLL), lambda path: orgfile.resolve_building(session, path))
    desk = Deliberation(session, clock)
    staff = person(session, "td-staff")
    staff_grants = grants(session, staff)
    topic = desk.propose(person(session, "r1"), "3栋加装电梯")
    desk.accept(topic, staff, staff_grants)
    desk.configure(
        topic, staff, staff_grants, by_household=by_household, secret=secret, announce_days=0
    )
    desk.fix_roll(topic, staff, staff_grants)
    desk.announce(topic, staff, staff_grants, "公告")
    assert desk.due()["open"] == [topic]
    desk.open_vote(topic)
    session.flush()
    return desk, topic


def test_the_transition_table_refuses_the_wrong_state_and_the_wrong_person() -> None:
    assert check(Act.ACCEPT, State.PROPOSED, {Role.STEWARD}) == State.ACCEPTED
    with pytest.raises(Refused) as refused:
        check(Act.ACCEPT, State.PROPOSED, {Role.PROPOSER, Role.ELECTOR})
    assert refused.value.reason == "dl-refused-role"
    with pytest.raises(Refused) as refused:
        check(Act.VOTE, State.ANNOUNCED, {Role.ELECTOR})
    assert refused.value.reason == "dl-refused-state"
    assert check(Act.OPEN_VOTE, State.ANNOUNCED, {Role.SYSTEM}) == State.VOTING
    assert Act.OPEN_VOTE not in allowed(State.ANNOUNCED, {Role.STEWARD})  # only the clock
    assert allowed(State.CLOSED, {Role.STEWARD, Role.ELECTOR, Role.SYSTEM}) == []


def test_who_may_move_a_topic(session: Session, clock: ManualClock) -> None:
    desk = Deliberation(session, clock)
    topic = desk.propose(person(session, "r1"), "3栋加装电梯")
    assert topic.scope_kind == "building" and topic.number == "TD-YS001"
    leader = person(session, "r2")
    orgfile.grant(session, leader, "building_leader", "building:TD/铜都花园/3栋")
    session.flush()
    for key in ("gw1", "xhy-staff", "r1"):
        who = person(session, key)
        with pytest.raises(Refused):
            desk.accept(topic, who, grants(session, who))
    assert topic.state == State.PROPOSED and len(desk.history(topic)) == 1
    desk.accept(topic, leader, grants(session, leader))  # the building leader of building 3
    assert topic.state == State.ACCEPTED
    compound = orgfile.resolve_scope(session, "compound:TD/铜都花园")[1]
    staff = person(session, "td-staff")
    desk.configure(topic, staff, grants(session, staff), scope_kind="compound", scope_id=compound)
    with pytest.raises(Refused):  # a compound topic is beyond a building leader
        desk.configure(topic, leader, grants(session, leader), vote_days=3)
    history = [(e.action, e.from_state, e.to_state) for e in desk.history(topic)]
    assert history == [
        ("propose", None, "proposed"),
        ("accept", "proposed", "accepted"),
        ("configure", "accepted", "accepted"),
    ]


def test_an_unregistered_resident_cannot_propose(session: Session, clock: ManualClock) -> None:
    stranger = Person(telegram_id=9999, name="路人", created_at=clock.now())
    session.add(stranger)
    session.flush()
    with pytest.raises(Refused) as refused:
        Deliberation(session, clock).propose(stranger, "建个篮球场")
    assert refused.value.reason == "dl-refused-register"


def test_merge_and_decline_record_the_reason(session: Session, clock: ManualClock) -> None:
    desk = Deliberation(session, clock)
    staff = person(session, "td-staff")
    first = desk.propose(person(session, "r1"), "3栋加装电梯")
    second = desk.propose(person(session, "r2"), "我们楼也要电梯")
    third = desk.propose(person(session, "r2"), "楼顶养鸽子")
    desk.merge(second, staff, grants(session, staff), first, "同一件事")
    desk.decline(third, staff, grants(session, staff), "共有部分不能私用")
    assert second.state == State.MERGED and second.merged_into_id == first.id
    assert desk.history(second)[-1].note == "同一件事"
    assert desk.history(third)[-1].note == "共有部分不能私用"
    with pytest.raises(Refused):
        desk.merge(first, staff, grants(session, staff), second, "合回去")


def test_owners_roll_import_is_idempotent_and_bad_files_name_the_line(
    session: Session,
) -> None:
    def resolve(path: str) -> Building:
        return orgfile.resolve_building(session, path)

    assert import_roll(session, read_roll(ROLL), resolve) == {"households": 4, "owners": 4}
    assert import_roll(session, read_roll(ROLL), resolve) == {"households": 4, "owners": 4}
    homes = session.exec(select(models_deliberation.Household)).all()
    assert len(homes) == 4 and Decimal("120.50") in {h.area for h in homes}
    assert len(session.exec(select(models_deliberation.Owner)).all()) == 4
    with pytest.raises(RollError, match="line 2: area 'lots'"):
        read_roll("building,household,owner,area\nTD/铜都花园/3栋,1-101,王,lots\n")
    with pytest.raises(RollError, match="columns needed"):
        read_roll("household,owner\n1-101,王\n")
    with pytest.raises(RollError, match="line 3"):
        read_roll("building,household,owner,area\nB,1-101,王,1\nB,,王,-2\n")
    assert read_roll("building,household,owner,area\nB,1-101,王,\n")[0].area is None


def test_named_ballot_changes_removal_and_offline_votes(
    session: Session, clock: ManualClock
) -> None:
    desk, topic = voting_topic(session, clock, by_household=True)
    r1, r2, r3 = (person(session, k) for k in ("r1", "r2", "r3"))
    staff = person(session, "td-staff")
    staff_grants = grants(session, staff)
    assert desk.cast(topic, r1, "no").status == "new"
    assert desk.cast(topic, r1, "yes").status == "changed"
    assert desk.cast(topic, r1, "yes").status == "same"
    assert desk.cast(topic, r2, "yes").status == "new"
    assert desk.cast(topic, r3, "no").status == "new"  # r3 owns 2-301 though living elsewhere
    paper = desk.find_elector(topic, "2-101")
    assert paper is not None
    with pytest.raises(Refused, match="dl-refused-evidence"):
        desk.cast_offline(topic, staff, staff_grants, paper, "yes", " ")
    desk.cast_offline(topic, staff, staff_grants, paper, "yes", "纸质票第001号")
    with pytest.raises(Refused, match="dl-refused-already-voted"):
        desk.cast_offline(topic, staff, staff_grants, paper, "no", "再录一次")
    counted = desk.count(topic)
    assert counted.voted.heads == 4 and counted.offline == 1
    assert counted.voted.area == Decimal("430.50")
    # r3 sells the flat mid-vote: their vote stops counting, the roll shrinks
    gone = desk.find_elector(topic, "2-301")
    assert gone is not None
    desk.remove_elector(topic, staff, staff_grants, gone, "已出售房屋")
    with pytest.raises(Refused, match="dl-refused-not-eligible"):
        desk.cast(topic, r3, "yes")
    counted = desk.count(topic)
    assert counted.roll.heads == 3 and counted.not_counted == 1
    assert counted.choices == {"yes": counted.voted}
    verdict = desk.close_vote(topic, None, ())
    assert verdict.passed and topic.state == State.CARRYING_OUT
    assert topic.result["not_counted"] == 1 and topic.result["offline"] == 1
    with pytest.raises(Refused, match="dl-refused-vote-closed"):
        desk.cast(topic, r1, "no")
    assert (
        session.exec(select(Participation).where(Participation.voter_id == r1.id)).one().choice
        == "yes"
    )


def test_secret_ballot_stores_no_link_from_voter_to_choice(
    session: Session, clock: ManualClock
) -> None:
    desk, topic = voting_topic(session, clock, by_household=False, secret=True)
    r1, r2 = person(session, "r1"), person(session, "r2")
    first = desk.cast(topic, r1, "no")
    assert first.token
    with pytest.raises(Refused, match="dl-refused-voted-secret"):
        desk.cast(topic, r1, "yes")  # a second ballot without the receipt
    with pytest.raises(Refused, match="dl-refused-stale"):
        desk.cast(topic, r1, "yes", "not-my-token")
    changed = desk.cast(topic, r1, "yes", first.token)
    assert changed.status == "changed" and changed.token != first.token
    with pytest.raises(Refused, match="dl-refused-stale"):
        desk.cast(topic, r1, "no", first.token)  # the old receipt is spent
    desk.cast(topic, r2, "no")
    session.flush()
    rows = session.exec(select(Participation)).all()
    assert {p.voter_id for p in rows} == {r1.id, r2.id}  # who took part is known
    assert all(p.choice is None for p in rows)  # what they chose is not kept with them
    receipts = session.exec(select(SecretReceipt)).all()
    assert sorted(r.choice for r in receipts) == ["no", "yes"]
    assert all(set(r.model_dump()) == {"receipt", "topic_id", "choice"} for r in receipts)
    if session.get_bind().dialect.name == "sqlite":  # no rowid to betray the order of votes
        with pytest.raises(OperationalError):
            session.execute(text("SELECT rowid FROM secretreceipt"))
    totals = {t.choice: t.heads for t in session.exec(select(SecretTotal)).all()}
    assert totals == {"yes": 1, "no": 1}
    staff = person(session, "td-staff")
    voted = desk.electors_of(topic, r1)[0]
    with pytest.raises(Refused, match="dl-refused-secret-roll"):
        desk.remove_elector(topic, staff, grants(session, staff), voted, "搬走了")
    verdict = desk.close_vote(topic, None, ())
    assert not verdict.passed and verdict.reason == "tie" and topic.state == State.CLOSED


def test_reminders_go_only_to_the_eligible_who_have_not_voted(
    session: Session, clock: ManualClock
) -> None:
    desk, topic = voting_topic(session, clock, by_household=True)
    desk.cast(topic, person(session, "r1"), "yes")
    assert desk.due()["remind"] == []
    assert topic.vote_closes_at is not None
    clock.set(topic.vote_closes_at - timedelta(hours=23))
    assert desk.due()["remind"] == [topic]
    reminded = desk.remind_close(topic)
    assert {p.key for p in reminded} == {"r2", "r3"}  # r1 voted; 2-101 has no Telegram
    assert desk.due()["remind"] == []  # once
    clock.set(topic.vote_closes_at + timedelta(minutes=1))
    assert desk.due()["close_vote"] == [topic]


def test_a_steward_closing_early_must_say_why(session: Session, clock: ManualClock) -> None:
    desk, topic = voting_topic(session, clock, by_household=False)
    staff = person(session, "td-staff")
    with pytest.raises(Refused, match="dl-refused-close-reason"):
        desk.close_vote(topic, staff, grants(session, staff), " ")
    assert topic.state == State.VOTING
    desk.close_vote(topic, staff, grants(session, staff), "全部住户已当面表决")
    assert desk.history(topic)[-1].note == "全部住户已当面表决"


def test_carrying_out_reporting_back_and_evaluation(session: Session, clock: ManualClock) -> None:
    desk, topic = voting_topic(session, clock, by_household=False)
    r1, r3 = person(session, "r1"), person(session, "r3")
    desk.cast(topic, r1, "yes")
    desk.close_vote(topic, None, ())
    staff = person(session, "td-staff")
    staff_grants = grants(session, staff)
    task = desk.add_task(topic, staff, staff_grants, "井道施工", "物业", clock.now())
    with pytest.raises(Refused, match="dl-refused-percent"):
        desk.progress(topic, staff, staff_grants, task, 120, "")
    with pytest.raises(Refused):
        desk.evaluate(topic, r1, "satisfied")  # not reported back yet
    desk.progress(topic, staff, staff_grants, task, 100, "完成")
    desk.report_back(topic, staff, staff_grants, "电梯已投入使用")
    desk.evaluate(topic, r1, "basic", "噪音有点大")
    desk.evaluate(topic, r1, "satisfied")  # a changed rating keeps the comment
    with pytest.raises(Refused, match="dl-refused-not-participant"):
        desk.evaluate(topic, r3, "dissatisfied")
    [row] = desk.evaluations(topic)
    assert (row.rating, row.comment) == ("satisfied", "噪音有点大")
    clock.advance(timedelta(days=15))
    assert desk.due()["close"] == [topic]
    desk.close(topic, None, ())
    assert topic.state == State.CLOSED
    assert desk.history(topic)[-1].data == {
        "ratings": {"satisfied": 1, "basic": 0, "dissatisfied": 0}
    }


@pytest.mark.parametrize(
    ("text", "expected", "rest"),
    [
        ("11月27日 19:30 3栋架空层", datetime(2026, 11, 27, 11, 30, tzinfo=UTC), "3栋架空层"),
        ("2026-12-01 9:05 社区会议室", datetime(2026, 12, 1, 1, 5, tzinfo=UTC), "社区会议室"),
        ("1-15 19点 活动室", datetime(2027, 1, 15, 11, 0, tzinfo=UTC), "活动室"),
    ],
)
def test_meeting_times_are_read_in_shanghai_time(
    text: str, expected: datetime, rest: str, clock: ManualClock
) -> None:
    parsed = parse_when(text, clock.now(), ZoneInfo("Asia/Shanghai"), with_time=True)
    assert parsed == (expected, rest)
    assert parse_when("明天晚上", clock.now(), ZoneInfo("Asia/Shanghai"), with_time=True) is None
    assert (
        parse_when("2月30日 10:00 x", clock.now(), ZoneInfo("Asia/Shanghai"), with_time=True)
        is None
    )


def test_the_migration_creates_exactly_the_deliberation_tables(engine: Engine) -> None:
    mine = {
        str(cls.__tablename__)
        for cls in vars(models_deliberation).values()
        if isinstance(cls, type)
        and issubclass(cls, SQLModel)
        and cls.__module__ == models_deliberation.__name__
    }
    assert len(mine) == 12
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    ours = [d for d in diff if any(name in repr(d) for name in mine)]
    assert ours == []


def test_every_state_step_rule_and_reason_has_a_text_in_both_languages() -> None:
    import locales
    from domain import tally
    from domain.deliberation import MEETING_KINDS, PARTY_KINDS, QUESTION, RATINGS, SCOPES
    from handlers.i18n import Texts

    texts = Texts.load(locales.DIRECTORY, ZoneInfo("Asia/Shanghai"))
    families = {
        "dl-state": [s.value for s in State],
        "dl-act": [a.value for a in Act],
        "dl-rule": [r.value for r in tally.Rule],
        "dl-rule-short": [r.value for r in tally.Rule],
        "dl-check": ["turnout-heads", "turnout-area", "agree-heads", "agree-area"],
        "dl-reason": [
            "passed",
            "no-votes",
            "tie",
            "no-area",
            "missing-area",
            "turnout-heads",
            "turnout-area",
            "agree-heads",
            "agree-area",
        ],
        "dl-scope": list(SCOPES),
        "dl-meeting": list(MEETING_KINDS),
        "dl-party": list(PARTY_KINDS),
        "dl-rating": list(RATINGS),
        "dl-choice": list(QUESTION),
        "dl-vote": ["new", "changed", "same"],
    }
    for lang in ("zh_Hans", "en"):
        keys = texts.keys(lang)
        missing = [
            f"{p}-{c}" for p, codes in families.items() for c in codes if f"{p}-{c}" not in keys
        ]
        assert not missing, lang
