"""The three lists and the ticket list: grouping by specific problem, households counted once,
masking for readers who are not staff, filters and who sees what."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from domain.clock import ManualClock
from domain.figures import Month, Scope, visible
from domain.lists import TicketFilter, kind_of, problems, resolutions, ticket_page
from domain.tickets import TicketDesk
from storage import org, orgfile, servicefile
from storage.models import Person, Report, Ticket
from tests.domain.helpers import Judged, person

TZ = ZoneInfo("Asia/Shanghai")
FACILITY = Judged(category="service.facility")


def _report(
    session: Session, desk: TicketDesk, who: Person, text: str, kind: str, **extra: Any
) -> Report:
    report = Report(
        chat_id=who.telegram_id or 0,
        message_id=1,
        telegram_user_id=who.telegram_id or 0,
        person_id=who.id,
        text=text,
        received_at=desk.clock.now(),
        classification={"category": "service.facility", "keywords": [[kind, 3.0]], **extra},
    )
    session.add(report)
    session.flush()
    return report


def _file(session: Session, desk: TicketDesk, who: Person, text: str, kind: str) -> Ticket:
    report = _report(session, desk, who, text, kind)
    building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
    return desk.open(report, who, building, FACILITY).ticket


def _join(session: Session, desk: TicketDesk, ticket: Ticket, who: Person, kind: str) -> None:
    desk.attach(ticket, who, _report(session, desk, who, ticket.text, kind), key_households=9)


@pytest.fixture
def neighbour(session: Session, clock: ManualClock) -> Person:
    """A third resident of 铜都花园 3栋."""
    found = Person(
        key="r4",
        name="钱居民",
        telegram_id=104,
        building_id=orgfile.resolve_building(session, "TD/铜都花园/3栋").id,
        created_at=clock.now(),
    )
    session.add(found)
    session.flush()
    return found


def test_hot_list_regression_three_problems_three_households(
    session: Session, desk: TicketDesk, clock: ManualClock, neighbour: Person
) -> None:
    """/hot lumped lamps, sewage and fitness equipment into one 公共设施维修 line and counted
    7 households where 3 had reported: each specific problem is its own line, and a line
    counts each household once."""
    r1, r2 = person(session, "r1"), person(session, "r2")
    lamp = _file(session, desk, r1, "3栋楼道灯坏了", "楼道灯")
    _join(session, desk, lamp, r2, "楼道灯")
    _join(session, desk, lamp, neighbour, "楼道灯")
    sewage = _file(session, desk, r1, "3栋下水道堵了", "下水道")
    _join(session, desk, sewage, r2, "下水道")
    equipment = _file(session, desk, neighbour, "健身器材坏了", "健身器材")
    _join(session, desk, equipment, r1, "健身器材")
    again = _file(session, desk, r2, "楼道灯又坏了一盏", "楼道灯")  # same people, same problem
    _join(session, desk, again, r1, "楼道灯")
    session.commit()

    rows = problems(session, Scope(), staff=True, now=clock.now(), open_only=False)
    by_kind = {row.kind: row for row in rows}
    assert set(by_kind) == {"楼道灯", "下水道", "健身器材"}
    assert by_kind["楼道灯"].tickets == (lamp.number, again.number)
    assert by_kind["楼道灯"].households == 3
    assert by_kind["下水道"].households == 2
    assert by_kind["健身器材"].households == 2
    assert all(row.category == "service.facility" for row in rows)
    assert all(row.compound == "铜都花园" and row.buildings == ("3栋",) for row in rows)
    assert rows[0].kind == "楼道灯"  # most households first


def test_the_classifiers_objects_name_the_problem_before_its_keywords() -> None:
    assert kind_of({"objects": ["路灯"], "keywords": [["灯", 2.0]]}) == "路灯"
    assert kind_of({"objects": [{"name": "井盖"}]}) == "井盖"
    assert kind_of({"keywords": [["污水", 2.5], ["臭", 2.0]]}) == "污水"
    assert kind_of({}) == ""


def test_the_problem_list_keeps_open_problems_and_masks_for_grid_workers(
    session: Session, desk: TicketDesk, clock: ManualClock
) -> None:
    r1 = person(session, "r1")
    done = _file(session, desk, r1, "路灯坏了", "路灯")
    desk.resolve(done, person(session, "gw1"), "换了")
    _file(session, desk, r1, "楼道灯坏了，电话13812345678", "楼道灯")
    session.commit()
    rows = problems(session, Scope(), staff=False, now=clock.now())
    assert [row.kind for row in rows] == ["楼道灯"]
    assert "13812345678" not in rows[0].example and "138****5678" in rows[0].example
    staff_rows = problems(session, Scope(), staff=True, now=clock.now())
    assert "13812345678" in staff_rows[0].example


def test_the_resolution_list_shows_what_was_done_and_the_rating(
    session: Session, desk: TicketDesk, clock: ManualClock
) -> None:
    r1, gw1 = person(session, "r1"), person(session, "gw1")
    clock.set(datetime(2026, 11, 3, 9, tzinfo=TZ))
    ticket = _file(session, desk, r1, "楼道灯坏了", "楼道灯")
    clock.advance(timedelta(hours=5))
    desk.resolve(ticket, gw1, "已更换灯泡，物业电话0714-6234567")
    desk.rate(ticket, r1, "basic")
    clock.set(datetime(2026, 12, 1, 9, tzinfo=TZ))
    unrated = _file(session, desk, r1, "路灯不亮", "路灯")
    desk.resolve(unrated, gw1, "修好了")
    session.commit()
    november = resolutions(session, Scope(), Month(2026, 11), TZ, staff=False)
    assert [(r.number, r.rating, r.in_time, r.kind) for r in november] == [
        (ticket.number, "basic", True, "楼道灯")
    ]
    assert "0714-62***67" in november[0].resolution
    december = resolutions(session, Scope(), Month(2026, 12), TZ, staff=True)
    assert [(r.number, r.rating) for r in december] == [(unrated.number, None)]


def test_the_ticket_list_filters_and_shows_only_what_the_reader_may_see(
    session: Session, desk: TicketDesk, clock: ManualClock
) -> None:
    r1, r3 = person(session, "r1"), person(session, "r3")
    clock.set(datetime(2026, 11, 10, 9, tzinfo=TZ))
    lamp = _file(session, desk, r1, "楼道灯坏了", "楼道灯")
    clock.set(datetime(2026, 11, 20, 9, tzinfo=TZ))
    drain = _file(session, desk, r1, "下水道堵了", "下水道")
    report = _report(session, desk, r3, "西花苑垃圾没人收", "垃圾")
    xhy = desk.open(
        report,
        r3,
        orgfile.resolve_building(session, "XHY/西花苑小区/1栋"),
        Judged(category="service.environment"),
    ).ticket
    session.commit()
    now = clock.now()
    everything = visible(org.roles_of(session, person(session, "centre").id or 0))
    td_only = visible(org.roles_of(session, person(session, "td-staff").id or 0))

    def numbers(flt: TicketFilter, seen: Any = everything) -> list[str]:
        page = ticket_page(session, flt, seen, TZ, now, staff=True)
        return [row.number for row in page.rows]

    assert numbers(TicketFilter()) == [xhy.number, drain.number, lamp.number]
    assert numbers(TicketFilter(), td_only) == [drain.number, lamp.number]
    assert numbers(TicketFilter(text="下水道")) == [drain.number]
    assert numbers(TicketFilter(text=lamp.number.lower())) == [lamp.number]
    assert numbers(TicketFilter(category="service.environment")) == [xhy.number]
    assert numbers(TicketFilter(overdue=True)) == [lamp.number]  # not accepted for ten days
    assert numbers(TicketFilter(opened_from=date(2026, 11, 20))) == [xhy.number, drain.number]
    assert numbers(TicketFilter(opened_to=date(2026, 11, 19))) == [lamp.number]
    assert numbers(TicketFilter(sort="opened")) == [lamp.number, drain.number, xhy.number]
    assert numbers(TicketFilter(text="100%_")) == []  # LIKE wildcards are taken literally
    page = ticket_page(session, TicketFilter(), everything, TZ, now, staff=True, per_page=2)
    assert (page.total, page.pages, len(page.rows)) == (3, 2, 2)
    row = page.rows[1]
    assert (row.compound, row.building, row.grid, row.holder) == (
        "铜都花园",
        "3栋",
        "铜都第一网格",
        "王网格",
    )


def test_the_sample_service_list_covers_the_twelve_communities() -> None:
    services = servicefile.load(servicefile.SAMPLE)
    assert len(services.communities) == 12
    assert {s.kind for s in services.of("TD")} >= {"canteen", "paperwork", "care"}
    orgspec = orgfile.load(orgfile.SAMPLE)
    servicefile.check_codes(services, {c.code for c in orgspec.communities})


def test_a_bad_service_file_says_where(tmp_path: Path) -> None:
    bad = tmp_path / "services.yaml"
    bad.write_text("communities:\n  TD:\n    - name: 食堂\n      kind: restaurant\n")
    with pytest.raises(servicefile.ServiceFileError, match=r"communities\.TD\.0\.kind"):
        servicefile.load(bad)
    with pytest.raises(servicefile.ServiceFileError, match=r"communities\.DT: no community"):
        servicefile.check_codes(servicefile.load(servicefile.SAMPLE), {"TD"})
    missing = tmp_path / "none.yaml"
    with pytest.raises(servicefile.ServiceFileError, match="cannot be read"):
        servicefile.read(missing)


def test_the_kind_is_read_from_the_first_reports_objects_in_the_database(
    session: Session, desk: TicketDesk, clock: ManualClock
) -> None:
    """The list reads the stored classification in SQL: objects as names or as {"name": …}."""
    r1 = person(session, "r1")
    building = orgfile.resolve_building(session, "TD/铜都花园/3栋")
    for objects in (["路灯"], [{"name": "井盖"}]):
        report = _report(session, desk, r1, "坏了", "坏了", objects=objects)
        desk.open(report, r1, building, FACILITY)
    session.commit()
    kinds = {row.kind for row in problems(session, Scope(), staff=True, now=clock.now())}
    assert kinds == {"路灯", "井盖"}


def test_two_residents_of_one_flat_are_one_household(
    session: Session, desk: TicketDesk, clock: ManualClock, neighbour: Person
) -> None:
    r1, r2 = person(session, "r1"), person(session, "r2")
    r1.unit, r2.unit, neighbour.unit = "2-301", " 2-301 ", "2-302"
    session.add_all([r1, r2, neighbour])
    lamp = _file(session, desk, r1, "3栋楼道灯坏了", "楼道灯")
    _join(session, desk, lamp, r2, "楼道灯")
    _join(session, desk, lamp, neighbour, "楼道灯")
    session.commit()
    (row,) = problems(session, Scope(), staff=True, now=clock.now())
    assert row.households == 2  # flat 2-301 (two residents) and flat 2-302
