"""Same-problem joining measured on labelled pairs of reports (nlp/data/join_*.csv).

Each pair is run through the real path: the first report is read (``nlp.intent``), placed
(``domain.places.locate``) and opened as a ticket (``open_at``) as the handler will do it; the
second is read and placed, and ``find_open_ticket`` says whether it joins that ticket.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from domain.clock import Clock
from domain.places import ReportPlace, compound_key, locate, open_at, place_index
from domain.policy import DEFAULT_POLICY
from domain.same_problem import SameProblemPolicy, find_open_ticket
from domain.tickets import TicketDesk
from handlers.reporting import _stored, stored_similarity  # the stored form the bot keeps
from nlp import Classification, Classifier
from nlp.intent import IntentReader
from storage import orgfile
from storage.models import Building, Person, Report

DATA = Path(__file__).parents[2] / "nlp" / "data"


@dataclass
class JoinScore:
    """Joining as a classifier of pairs: a join is a positive."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def format(self, name: str) -> str:
        n = self.tp + self.fp + self.fn + self.tn
        return (
            f"{name}: {n} pairs, joins precision {self.precision:.3f} recall {self.recall:.3f} "
            f"(tp {self.tp}, fp {self.fp}, fn {self.fn}, tn {self.tn})"
        )


def read_pairs(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_report(
    session: Session, reader: IntentReader, text: str, home: Building, wording_only: bool = False
) -> tuple[dict[str, Any], ReportPlace, Classification]:
    """A report as the bot will keep it: its stored classification and its place."""
    problem = reader.problems(text, compound_key(session, home))[0]
    place = locate(session, home, problem.place)
    stored = {**_stored(problem.classification), **problem.facts()}
    if wording_only:  # as reports were kept before: no kind of thing, no place from the text
        stored = _stored(problem.classification)
        place = ReportPlace("home", home, place.compound)
    return stored, place, problem.classification


def _report(
    session: Session,
    reader: IntentReader,
    clock: Clock,
    text: str,
    home: Building,
    who: int,
    wording_only: bool = False,
) -> tuple[Report, Person, dict[str, Any], ReportPlace, Classification]:
    person = Person(telegram_id=who, name=f"r{who}", building_id=home.id, created_at=clock.now())
    session.add(person)
    session.flush()
    stored, place, result = read_report(session, reader, text, home, wording_only)
    report = Report(
        chat_id=who,
        message_id=1,
        telegram_user_id=who,
        person_id=person.id,
        text=text,
        received_at=clock.now(),
        classification=stored,
    )
    session.add(report)
    session.flush()
    return report, person, stored, place, result


def open_report(
    session: Session, reader: IntentReader, desk: TicketDesk, text: str, home: str, who: int
) -> int:
    """Open a ticket for ``text`` from a resident of ``home`` (a building path); its id."""
    report, person, _, place, result = _report(
        session, reader, desk.clock, text, orgfile.resolve_building(session, home), who
    )
    ticket = open_at(desk, report, person, place, result).ticket
    session.flush()
    return ticket.id or 0


def evaluate_joins(
    session: Session,
    clock: Clock,
    pairs: list[dict[str, str]],
    policy: SameProblemPolicy,
    wording_only: bool = False,
) -> JoinScore:
    """Score joining on labelled pairs; ``wording_only``: as before objects and places."""
    reader = IntentReader(Classifier.load(), place_index(session))
    desk = TicketDesk(session, clock, DEFAULT_POLICY, ZoneInfo("Asia/Shanghai"))
    score = JoinScore()
    for i, pair in enumerate(pairs):
        a_home = orgfile.resolve_building(session, pair["a_home"])
        b_home = orgfile.resolve_building(session, pair["b_home"])
        report, person, _, place, result = _report(
            session, reader, clock, pair["a_text"], a_home, 10_000 + 2 * i, wording_only
        )
        ticket = open_at(desk, report, person, place, result).ticket
        session.flush()
        _, _, stored, b_place, _ = _report(
            session, reader, clock, pair["b_text"], b_home, 10_001 + 2 * i, wording_only
        )
        found = find_open_ticket(
            session,
            b_place.building,
            stored,
            clock.now(),
            policy,
            stored_similarity,
            spot=b_place.spot,
        )
        joined = found is not None and found.id == ticket.id
        expected = pair["same"] == "1"
        if joined and expected:
            score.tp += 1
        elif joined:
            score.fp += 1
            score.misses.append(f"joined, should not: {pair['a_text']} / {pair['b_text']}")
        elif expected:
            score.fn += 1
            score.misses.append(f"apart, should join: {pair['a_text']} / {pair['b_text']}")
        else:
            score.tn += 1
        session.rollback()
    return score


def with_sample_org(session: Session, clock: Clock) -> None:
    """The pairs name the sample organisation's places (6栋, 篮球场 …)."""
    orgfile.import_org(session, orgfile.load(orgfile.SAMPLE), clock.now())
    session.commit()
