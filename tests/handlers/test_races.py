"""No races on PostgreSQL with several worker threads: each thread runs the real handler path
(Dispatcher.handle, as bot/runtime.Core's workers do) or the real job, released together by a
barrier placed before the decision that used to race."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from domain.clock import ManualClock
from domain.deliberation import Deliberation
from domain.policy import DEFAULT_POLICY
from domain.same_problem import SameProblemPolicy
from handlers import jobs as jobs_module
from handlers.jobs import Jobs
from handlers.reporting import EmergencyRouting
from nlp import Classification, Classifier
from storage.db import session as open_session
from storage.models import JobRun, Report, Ticket, TicketFollower
from storage.models_deliberation import Topic
from storage.models_outbox import OutboxMessage
from tests.conftest import PG_URL
from tests.handlers.conftest import TEXTS, TZ, Bot, dispatcher_for

pytestmark = pytest.mark.skipif(
    not PG_URL,
    reason="needs several writers at once: SQLite takes one writer at a time and Linli runs "
    "one worker thread on it (set LINLI_TEST_DATABASE_URL to a PostgreSQL database)",
)

WAIT = 120  # seconds a thread waits for the others at the barrier (generous: a busy machine)


def together(jobs: list[Callable[[], Any]]) -> list[BaseException]:
    """Run each job on its own thread; the errors they raised."""
    errors: list[BaseException] = []

    def run(job: Callable[[], Any]) -> None:
        try:
            job()
        except BaseException as error:  # reported to the test, which fails on it
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
        assert not thread.is_alive(), "a worker thread hung"
    return errors


class Gate:
    """The real classifier, but every caller waits until all have classified: the reports
    reach the same-problem search together."""

    def __init__(self, classifier: Classifier, parties: int):
        self.classifier = classifier
        self.categories = classifier.categories
        self.barrier = threading.Barrier(parties, timeout=WAIT)

    def classify(self, text: str) -> Classification:
        result = self.classifier.classify(text)
        self.barrier.wait()
        return result


def test_ten_neighbours_at_once_make_one_ticket_with_ten_households(
    engine: Engine, clock: ManualClock, classifier: Classifier
) -> None:
    bot = Bot(engine, clock, dispatcher_for(engine, clock, Gate(classifier, 10)))
    people = [bot.resident(7000 + i, f"邻居{i}") for i in range(10)]
    events = [bot.message(who, "3号楼楼道灯坏了，晚上黑漆漆的") for who in people]
    errors = together([lambda e=e: bot.dispatcher.handle(e) for e in events])
    assert not errors
    with open_session(engine) as session:
        tickets = session.exec(select(Ticket)).all()
        assert len(tickets) == 1, [t.number for t in tickets]
        ticket = tickets[0]
        assert ticket.households == 10
        assert len(session.exec(select(TicketFollower)).all()) == 10
        reports = session.exec(select(Report)).all()
        assert len(reports) == 10 and all(r.ticket_id == ticket.id for r in reports)
        assert ticket.urgency == "key"  # three households or more make it a key ticket
    for who in people:
        answer = bot.inbox(who)
        assert len(answer) == 1 and ticket.number in answer[0], answer


def test_ten_different_problems_at_once_get_ten_numbers(
    engine: Engine, clock: ManualClock, classifier: Classifier
) -> None:
    texts = ["楼道灯坏了", "下水道堵了", "垃圾没人清", "楼上漏水", "电梯坏了",
             "路灯不亮", "井盖丢了", "树枝要断了", "门禁坏了", "停水三天了"]  # fmt: skip
    homes = [f"TD/铜都花园/{n}栋" for n in (1, 2, 3)] + [f"TD/铜都小区/{n}栋" for n in (1, 2)]
    bot = Bot(engine, clock, dispatcher_for(engine, clock, Gate(classifier, 10)))
    people = [bot.resident(7100 + i, f"居民{i}", homes[i % 5]) for i in range(10)]
    events = [bot.message(who, text) for who, text in zip(people, texts, strict=True)]
    assert not together([lambda e=e: bot.dispatcher.handle(e) for e in events])
    with open_session(engine) as session:
        numbers = [t.number for t in session.exec(select(Ticket)).all()]
    assert len(numbers) == len(set(numbers)) and numbers


def test_two_proposals_at_once_get_two_numbers_and_both_are_saved(
    engine: Engine, clock: ManualClock, classifier: Classifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    barrier = threading.Barrier(2, timeout=WAIT)
    numbering = Deliberation._next_number

    def next_number(self: Deliberation, community: Any) -> str:
        barrier.wait()  # both proposals reach the numbering together
        return numbering(self, community)

    monkeypatch.setattr(Deliberation, "_next_number", next_number)
    bot = Bot(engine, clock, dispatcher_for(engine, clock, classifier))
    authors = [bot.tid("r1"), bot.tid("r2")]
    events = [
        bot.message(authors[0], "/propose 3栋加装电梯"),
        bot.message(authors[1], "/propose 小区增设充电桩"),
    ]
    assert not together([lambda e=e: bot.dispatcher.handle(e) for e in events])
    with open_session(engine) as session:
        topics = {t.proposer_id: t for t in session.exec(select(Topic)).all()}
    assert sorted(t.number for t in topics.values()) == ["TD-YS001", "TD-YS002"]
    for who in authors:
        answer = bot.inbox(who)
        assert len(answer) == 1 and any(t.number in answer[0] for t in topics.values()), answer


def test_two_digest_runs_at_once_send_one_digest_and_neither_fails(
    engine: Engine, clock: ManualClock, classifier: Classifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    barrier = threading.Barrier(2, timeout=WAIT)

    def gated(engine: Engine) -> Any:
        barrier.wait()  # both runs start together, before either has looked
        return open_session(engine)

    monkeypatch.setattr(jobs_module, "open_session", gated)
    jobs = Jobs(
        engine, clock, DEFAULT_POLICY, TZ, TEXTS, classifier, EmergencyRouting(),
        SameProblemPolicy(),
    )  # fmt: skip
    assert not together([jobs.digest, jobs.digest])
    with open_session(engine) as session:
        assert len(session.exec(select(JobRun)).all()) == 1
        for worker in (201, 202):  # gw1, gw2
            sent = session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == worker))
            assert len(sent.all()) == 1
