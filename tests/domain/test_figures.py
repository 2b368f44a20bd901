"""The three rates, hand-computed: a few tickets with known timelines over two months.

Times are Asia/Shanghai (UTC+8). Deadlines of a routine ticket: respond in 24 h, resolve in
7 days. The figures are read on 22 November 12:00.

October, 铜都社区 (TD), grid TD-01:
  A  opened 5 Oct 10:00, accepted 12:00, resolved 7 Oct, rated satisfied
  B  opened 10 Oct 10:00, nobody accepts; the sweep escalates it on 11 Oct 10:30
     (overdue:respond); community staff accept at 11:00, resolve 12 Oct; rated basic
  → response 1/2 (B missed its deadline), resolution 2/2, satisfaction 2/2

November, TD:
  C  TD-01, opened 2 Nov 09:00, accepted 10:00, resolved 4 Nov, rated dissatisfied (reopens),
     resolved again 5 Nov, rated satisfied          → answered ✓, resolved ✓, satisfied
  D  TD-01, opened 10 Nov 09:00, accepted 10:00, resolved 18 Nov (deadline 17 Nov 09:00)
                                                     → answered ✓, resolved late ✗, unrated
  H  TD-02, opened 12 Nov 09:00, accepted 13 Nov 12:00 (deadline 13 Nov 09:00), unresolved
     past its deadline (19 Nov 09:00)                → answered late ✗, unresolved ✗
  E  TD-02, opened 22 Nov 09:00, nobody has accepted yet → pending in both: not counted
  F  TD-02, opened 21 Nov, withdrawn by the resident    → counted apart
  G  TD-02, opened 21 Nov, closed as "answered"         → counted apart
  → response 2/3, resolution 1/3, satisfaction 1/1
November, 西花苑社区 (XHY, no grid: community staff hold its tickets):
  J  opened 1 Nov 00:30 (31 Oct in UTC: November here), accepted 01:00, unresolved past its
     deadline                                        → answered ✓, unresolved ✗
  I  opened 5 Nov 09:00, accepted 10:00, resolved 6 Nov, rated dissatisfied on 8 Nov (reopens;
     new deadline 15 Nov), not resolved again        → answered ✓, unresolved ✗, dissatisfied
  → response 2/2, resolution 0/2, satisfaction 0/1
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from domain.clock import ManualClock
from domain.figures import Counts, Month, Rate, Scope, month_figures, visible
from domain.tickets import TicketDesk
from storage import org
from storage.models import Ticket, TicketState
from tests.domain.helpers import open_ticket, person

TZ = ZoneInfo("Asia/Shanghai")


def at(clock: ManualClock, month: int, day: int, hour: int, minute: int = 0) -> None:
    clock.set(datetime(2026, month, day, hour, minute, tzinfo=TZ))


def _history(session: Session, desk: TicketDesk, clock: ManualClock) -> dict[str, Ticket]:
    gw1, gw2, staff = person(session, "gw1"), person(session, "gw2"), person(session, "td-staff")
    xhy = person(session, "xhy-staff")
    r1, r2, r3 = person(session, "r1"), person(session, "r2"), person(session, "r3")
    estate, xhy_home = "TD/铜都小区/1栋", "XHY/西花苑小区/1栋"
    t: dict[str, Ticket] = {}

    at(clock, 10, 5, 10)
    t["A"] = open_ticket(session, desk, "r1")
    at(clock, 10, 5, 12)
    desk.accept(t["A"], gw1)
    at(clock, 10, 7, 10)
    desk.resolve(t["A"], gw1, "换了灯泡")
    desk.rate(t["A"], r1, "satisfied")

    at(clock, 10, 10, 10)
    t["B"] = open_ticket(session, desk, "r2")
    at(clock, 10, 11, 10, 30)
    desk.sweep()
    assert t["B"].assignee_id == staff.id
    at(clock, 10, 11, 11)
    desk.accept(t["B"], staff)
    at(clock, 10, 12, 10)
    desk.resolve(t["B"], staff, "修好了")
    desk.rate(t["B"], r2, "basic")

    at(clock, 11, 1, 0, 30)
    t["J"] = open_ticket(session, desk, "r3", home=xhy_home)
    at(clock, 11, 1, 1)
    desk.accept(t["J"], xhy)

    at(clock, 11, 2, 9)
    t["C"] = open_ticket(session, desk, "r1")
    at(clock, 11, 2, 10)
    desk.accept(t["C"], gw1)
    at(clock, 11, 4, 10)
    desk.resolve(t["C"], gw1, "修了")
    desk.rate(t["C"], r1, "dissatisfied")
    at(clock, 11, 5, 10)
    desk.resolve(t["C"], gw1, "重新修好")
    desk.rate(t["C"], r1, "satisfied")

    at(clock, 11, 5, 9)
    t["I"] = open_ticket(session, desk, "r3", home=xhy_home)
    at(clock, 11, 5, 10)
    desk.accept(t["I"], xhy)
    at(clock, 11, 6, 10)
    desk.resolve(t["I"], xhy, "处理了")
    at(clock, 11, 8, 10)
    desk.rate(t["I"], r3, "dissatisfied")

    at(clock, 11, 10, 9)
    t["D"] = open_ticket(session, desk, "r2")
    at(clock, 11, 10, 10)
    desk.accept(t["D"], gw1)
    at(clock, 11, 18, 10)
    desk.resolve(t["D"], gw1, "晚了一天")

    at(clock, 11, 12, 9)
    t["H"] = open_ticket(session, desk, "r1", home=estate)
    at(clock, 11, 13, 12)
    desk.accept(t["H"], gw2)

    at(clock, 11, 21, 9)
    t["F"] = open_ticket(session, desk, "r1", home=estate)
    desk.withdraw(t["F"], r1)
    t["G"] = open_ticket(session, desk, "r2", home=estate)
    t["G"].outcome, t["G"].state, t["G"].closed_at = "answered", TicketState.CLOSED, clock.now()
    session.add(t["G"])
    at(clock, 11, 22, 9)
    t["E"] = open_ticket(session, desk, "r1", home=estate)
    session.commit()
    at(clock, 11, 22, 12)
    return t


@pytest.fixture
def figures_case(session: Session, desk: TicketDesk, clock: ManualClock) -> dict[str, Ticket]:
    return _history(session, desk, clock)


def _rates(counts: Counts) -> tuple[Rate, Rate, Rate]:
    return counts.response, counts.resolution, counts.satisfaction


def test_the_rates_of_two_months_match_the_hand_count(
    session: Session, clock: ManualClock, figures_case: dict[str, Ticket]
) -> None:
    november = month_figures(session, Month(2026, 11), TZ, Scope(), clock.now())
    communities = {row.name: row for row in november.units["community"]}
    td, xhy = communities["铜都社区"], communities["西花苑社区"]

    assert td.counts == Counts(
        opened=6,
        apart=1,
        withdrawn=1,
        responded=2,
        response_pending=1,
        resolved=1,
        resolution_pending=1,
        rated=1,
        satisfied=1,
    )
    assert _rates(td.counts) == (Rate(2, 3), Rate(1, 3), Rate(1, 1))
    assert _rates(td.previous) == (Rate(1, 2), Rate(2, 2), Rate(2, 2))
    assert _rates(xhy.counts) == (Rate(2, 2), Rate(0, 2), Rate(0, 1))
    assert _rates(xhy.previous) == (Rate(0, 0), Rate(0, 0), Rate(0, 0))
    assert _rates(november.total.counts) == (Rate(4, 5), Rate(1, 5), Rate(1, 2))

    assert td.change("response") == pytest.approx(200 / 3 - 50)
    assert td.change("resolution") == pytest.approx(100 / 3 - 100)
    assert td.change("satisfaction") == 0
    assert xhy.change("response") is None
    assert [Rate(2, 3).text(), Rate(1, 3).text(), Rate(0, 0).text()] == ["67%", "33%", "-"]

    grids = {row.name: row for row in november.units["grid"]}
    assert set(grids) == {"铜都第一网格", "铜都第二网格"}
    assert _rates(grids["铜都第一网格"].counts) == (Rate(2, 2), Rate(1, 2), Rate(1, 1))
    assert _rates(grids["铜都第二网格"].counts) == (Rate(0, 1), Rate(0, 1), Rate(0, 0))

    workers = {row.name: row for row in november.units["worker"]}
    assert set(workers) == {"王网格", "李网格", "赵社区"}
    assert _rates(workers["王网格"].counts) == (Rate(1 + 1, 2), Rate(1, 2), Rate(1, 1))
    assert {name: row.ranks["response"] for name, row in workers.items()} == {
        "王网格": 1,
        "赵社区": 1,
        "李网格": 3,
    }
    assert workers["李网格"].ranks["satisfaction"] is None  # nothing rated: not ranked
    assert {name: row.ranks["resolution"] for name, row in communities.items()} == {
        "铜都社区": 1,
        "西花苑社区": 2,
    }


def test_months_are_local_calendar_months(
    session: Session, clock: ManualClock, figures_case: dict[str, Ticket]
) -> None:
    """J was opened on 1 November at 00:30 in Huangshi, still 31 October in UTC."""
    october = month_figures(session, Month(2026, 10), TZ, Scope(), clock.now())
    assert [row.name for row in october.units["community"]] == ["铜都社区"]
    assert october.total.counts.opened == 2


def test_a_community_sees_only_its_own_figures(
    session: Session, clock: ManualClock, figures_case: dict[str, Ticket]
) -> None:
    grants = org.roles_of(session, person(session, "xhy-staff").id or 0)
    scope = Scope(seen=visible(grants))
    november = month_figures(session, Month(2026, 11), TZ, scope, clock.now())
    assert [row.name for row in november.units["community"]] == ["西花苑社区"]
    assert november.total.counts.opened == 2
    gw2 = org.roles_of(session, person(session, "gw2").id or 0)
    by_grid = month_figures(session, Month(2026, 11), TZ, Scope(seen=visible(gw2)), clock.now())
    assert by_grid.total.counts.opened == 4  # E, F, G, H of grid TD-02
    nobody = org.roles_of(session, person(session, "r1").id or 0)
    empty = month_figures(session, Month(2026, 11), TZ, Scope(seen=visible(nobody)), clock.now())
    assert empty.total.counts.opened == 0


def test_month_parsing() -> None:
    assert Month.parse("2026-11") == Month(2026, 11)
    assert Month.parse("202601").previous() == Month(2025, 12)
    assert str(Month(2026, 12).next()) == "2027-01"
    for bad in ("2026-13", "November", "", "2026-"):
        with pytest.raises(ValueError):
            Month.parse(bad)
