"""Which open ticket a report joins: same place, recent, alike enough."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from domain.clock import ManualClock
from domain.places import place_index
from domain.same_problem import SameProblemPolicy, Where, find_open_ticket, judge
from domain.tickets import TicketDesk
from handlers.reporting import stored_similarity
from nlp import Classifier
from nlp.intent import IntentReader
from storage import orgfile
from storage.models import Building, Report, Ticket
from tests.domain.helpers import open_ticket, person
from tests.domain.join_eval import open_report, read_report

POLICY = SameProblemPolicy()


def alike(a: dict[str, Any], b: dict[str, Any]) -> float:
    """A stand-in for nlp.similarity: the same `topic` reads as the same problem."""
    return 0.9 if a.get("topic") == b.get("topic") else 0.1


def make(session: Session, desk: TicketDesk, topic: str, home: str = "TD/铜都花园/3栋") -> int:
    ticket = open_ticket(session, desk, home=home)
    report = session.exec(select(Report).where(Report.ticket_id == ticket.id)).one()
    report.classification = {"category": "service.facility", "topic": topic}
    session.add(report)
    session.flush()
    return ticket.id or 0


def lights_in(
    session: Session, building: Building, now: datetime, policy: SameProblemPolicy
) -> Ticket | None:
    asked = {"category": "service.facility", "topic": "lights"}
    return find_open_ticket(session, building, asked, now, policy, alike)


def test_joins_the_alike_open_ticket_of_the_building(session: Session, desk: TicketDesk) -> None:
    lights = make(session, desk, "lights")
    make(session, desk, "rubbish")
    building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
    found = lights_in(session, building, desk.clock.now(), POLICY)
    assert found is not None and found.id == lights


def test_not_after_the_window(session: Session, desk: TicketDesk, clock: ManualClock) -> None:
    make(session, desk, "lights")
    clock.advance(timedelta(hours=73))
    building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
    assert lights_in(session, building, clock.now(), POLICY) is None


def test_another_category_is_another_problem(session: Session, desk: TicketDesk) -> None:
    make(session, desk, "lights")
    building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
    asked = {"category": "service.safety", "topic": "lights"}
    assert find_open_ticket(session, building, asked, desk.clock.now(), POLICY, alike) is None


def test_not_once_resolved(session: Session, desk: TicketDesk) -> None:
    ticket = session.get_one(Ticket, make(session, desk, "lights"))
    desk.resolve(ticket, person(session, "gw1"), "修好了")
    building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
    assert lights_in(session, building, desk.clock.now(), POLICY) is None


def test_another_compound_is_another_problem(session: Session, desk: TicketDesk) -> None:
    make(session, desk, "lights", home="TD/铜都小区/1栋")
    building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
    assert lights_in(session, building, desk.clock.now(), POLICY) is None


def test_another_building_of_the_compound_needs_more_likeness(
    session: Session, desk: TicketDesk
) -> None:
    make(session, desk, "lights", home="TD/铜都花园/1栋")
    building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
    strict = SameProblemPolicy(threshold=0.8, compound_margin=0.15)
    assert lights_in(session, building, desk.clock.now(), strict) is None
    assert lights_in(session, building, desk.clock.now(), POLICY) is not None


# --- by meaning: place, category and the kind of thing (issue 10) ---------------------------


@pytest.fixture(scope="module")
def reader_classifier() -> Classifier:
    return Classifier.load()


def _joins(
    session: Session,
    desk: TicketDesk,
    classifier: Classifier,
    first: tuple[str, str],
    then: tuple[str, str],
) -> bool:
    """Does the report ``then`` (text, home) join the ticket opened for ``first``?"""
    reader = IntentReader(classifier, place_index(session))
    opened = open_report(session, reader, desk, first[0], first[1], 90_001)
    stored, place, _ = read_report(
        session, reader, then[0], orgfile.resolve_building(session, then[1])
    )
    found = find_open_ticket(
        session,
        place.building,
        stored,
        desk.clock.now(),
        POLICY,
        stored_similarity,
        spot=place.spot,
    )
    return found is not None and found.id == opened


G3 = "TD/铜都花园/3栋"


@pytest.mark.parametrize(
    "paraphrase",
    ["楼梯间的灯不亮了 黑漆漆的", "楼道里的灯冇得亮了 晚上黑咕隆咚的", "声控灯不亮了"],
)
def test_a_paraphrase_or_dialect_wording_in_the_building_joins(
    session: Session, desk: TicketDesk, reader_classifier: Classifier, paraphrase: str
) -> None:
    assert _joins(session, desk, reader_classifier, ("楼道灯坏了", G3), (paraphrase, G3))


def test_the_same_lamp_in_another_building_does_not_join(
    session: Session, desk: TicketDesk, reader_classifier: Classifier
) -> None:
    assert not _joins(
        session, desk, reader_classifier, ("楼道灯坏了", G3), ("楼道灯坏了", "TD/铜都花园/1栋")
    )


def test_the_buildings_lift_is_not_its_lamp(
    session: Session, desk: TicketDesk, reader_classifier: Classifier
) -> None:
    assert not _joins(session, desk, reader_classifier, ("楼道灯坏了", G3), ("电梯坏了", G3))


def test_a_spot_is_one_place_for_every_building(
    session: Session, desk: TicketDesk, reader_classifier: Classifier
) -> None:
    first = ("北门的路灯坏了", "TD/铜都花园/1栋")
    assert _joins(session, desk, reader_classifier, first, ("小区北门那里路灯不亮", G3))
    session.rollback()
    assert not _joins(session, desk, reader_classifier, first, ("南门的路灯坏了", G3))
    session.rollback()
    assert not _joins(session, desk, reader_classifier, first, ("楼道灯坏了", "TD/铜都花园/1栋"))


def test_a_place_named_in_the_text_is_where_it_joins(
    session: Session, desk: TicketDesk, reader_classifier: Classifier
) -> None:
    # a resident of 1栋 reports rubbish behind 3栋: that is 3栋's open problem
    first = ("楼下垃圾好几天没人收", G3)
    assert _joins(
        session, desk, reader_classifier, first, ("3栋后面垃圾堆了好几天", "TD/铜都花园/1栋")
    )


def test_a_compound_wide_outage_joins_across_buildings(
    session: Session, desk: TicketDesk, reader_classifier: Classifier
) -> None:
    first = ("小区停水了", "TD/铜都花园/1栋")
    assert _joins(session, desk, reader_classifier, first, ("家里冇得水", G3))


def test_the_judgement_says_why() -> None:
    lamp = {"category": "service.facility", "about": "light", "scope": "building"}
    lift = {"category": "service.facility", "about": "lift", "scope": "building"}
    here, there = Where(1), Where(2)
    same = judge(lamp, here, lamp, here, POLICY, lambda a, b: 0.1)
    assert same.same and same.why == "light in the same building"
    assert judge(lamp, here, lamp, there, POLICY, lambda a, b: 0.1).why == (
        "light in another building"
    )
    assert judge(lamp, here, lift, here, POLICY, lambda a, b: 0.9).why == (
        "another kind of thing (light, lift)"
    )
    other = {**lamp, "category": "service.safety"}
    assert not judge(lamp, here, other, here, POLICY, lambda a, b: 0.9).same
    unsure = {"category": "service.other", "about": "light"}
    assert judge(unsure, here, lamp, here, POLICY, lambda a, b: 0.0).same
