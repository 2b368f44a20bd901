"""The console's ticket list and the monthly meeting pack over a million tickets.

    .venv/bin/python bench/bench_figures.py --database sqlite:///figures-bench.db
    .venv/bin/python bench/bench_figures.py --database postgresql+psycopg://…/linli_bench

The first run generates the data into the database you name (the sample organisation of the
12 communities, 20,000 residents, and `--tickets` tickets over 23 months, numbered in the order
they were opened, with a report, a follower and their history each — some escalated for a
missed deadline, some reopened), and later runs reuse it. Then, for one month and one
community (and for the whole sub-district):

- the console's list: the first page of 50 of a month's tickets, as community staff see it,
  with its total; the same filtered by words; the overdue ones;
- the monthly pack: `domain.pack.build` (the three rates per unit with last month, overdue
  and reopened tickets, top problems, resolutions, topics, notices, compound scores), and the
  workbook and page written from it.

Each is timed as the median of `--repeat` runs after one warm-up, and printed beside a baseline
from the same run: one full scan of the ticket table (what a query costs that the indexes of
migration 0009 do not serve). `--without-indexes` measures again with those indexes dropped
(they are made again afterwards).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, func, insert, text
from sqlmodel import Session, col, select

import locales
from domain import pack
from domain.figures import Month, visible
from domain.lists import TicketFilter, ticket_page
from domain.selection import Weights
from handlers.i18n import Texts
from storage import orgfile
from storage.db import make_engine, migrate
from storage.db import session as open_session
from storage.models import (
    Building,
    Community,
    Compound,
    Department,
    Grid,
    Person,
    Report,
    RoleGrant,
    Ticket,
    TicketEvent,
    TicketFollower,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
FIRST = Month(2025, 1)
MONTHS = 23  # 2025-01 … 2026-11
MONTH = Month(2026, 10)  # the month measured: complete, with a month before it
INDEXES = {
    "ix_ticket_community_opened": "ticket (community_id, opened_at)",
    "ix_ticket_opened_at": "ticket (opened_at)",
    "ix_ticket_community_resolved": "ticket (community_id, resolved_at)",
    "ix_ticket_community_state": "ticket (community_id, state)",
    "ix_ticketevent_action_at": "ticketevent (action, at)",
}
KINDS = {
    "service.facility": ["楼道灯", "下水道", "健身器材", "路灯", "井盖", "电梯坏"],
    "service.environment": ["垃圾", "污水", "绿化", "蚊虫"],
    "service.parking": ["停车", "占道"],
    "service.safety": ["电动车充电", "消防通道", "高空抛物"],
    "dispute.neighbour": ["噪音", "漏水", "宠物"],
    "service.elderly": ["幸福食堂", "居家养老"],
    "service.government": ["社保", "居住证"],
    "dispute.property": ["物业费", "物业不作为"],
}
WINDOWS = {"emergency": (0.5, 24), "key": (4, 72), "routine": (24, 168)}  # hours


def say(text: str) -> None:
    print(text, flush=True)


def _month_start(index: int) -> datetime:
    month = FIRST
    for _ in range(index):
        month = month.next()
    return month.start(TZ)


def generate(engine: Engine, tickets: int, seed: int = 7) -> None:
    """The sample organisation, residents and `tickets` tickets with reports and history."""
    rng = random.Random(seed)
    started = time.perf_counter()
    with open_session(engine) as session:
        orgfile.import_org(session, orgfile.load(orgfile.SAMPLE), NOW - timedelta(days=800))
        session.commit()
        buildings = session.exec(select(Building)).all()
        compounds = {c.id: c for c in session.exec(select(Compound)).all()}
        departments = [d.id for d in session.exec(select(Department)).all()]
        workers: dict[int, list[int]] = {}
        for grant in session.exec(select(RoleGrant).where(RoleGrant.role == "grid_worker")):
            workers.setdefault(grant.scope_id or 0, []).append(grant.person_id)
        staff: dict[int, int] = {}
        for grant in session.exec(select(RoleGrant).where(RoleGrant.role == "community_staff")):
            staff.setdefault(grant.scope_id or 0, grant.person_id)
        grids = {g.id: g for g in session.exec(select(Grid)).all()}
        codes = {c.id: c.code for c in session.exec(select(Community)).all()}
    with engine.begin() as connection:
        first_person = connection.execute(select(func.max(col(Person.id)))).scalar_one() + 1
        residents = []
        for index in range(20_000):
            building = rng.choice(buildings)
            residents.append(
                {
                    "id": first_person + index,
                    "key": None,
                    "telegram_id": 900_000_000 + index,
                    "name": f"居民{index}",
                    "building_id": building.id,
                    "unit": f"{rng.randint(1, 4)}-{rng.randint(1, 6)}0{rng.randint(1, 4)}",
                    "created_at": NOW - timedelta(days=700),
                }
            )
        connection.execute(insert(Person), residents)
    by_building: dict[int, list[dict[str, Any]]] = {}
    for resident in residents:
        by_building.setdefault(resident["building_id"], []).append(resident)
    numbers: dict[tuple[int, str], int] = {}
    batch: dict[str, list[dict[str, Any]]] = {"t": [], "r": [], "e": [], "f": []}
    event_id = 1
    span = (_month_start(MONTHS) - _month_start(0)).total_seconds()
    # Tickets are numbered in the order they are opened, as in service: a month's tickets lie
    # together in the table, as they would.
    moments = sorted(rng.random() for _ in range(tickets))
    for ident in range(1, tickets + 1):
        building = rng.choice(buildings)
        compound = compounds[building.compound_id]
        community_id = compound.community_id
        people = by_building.get(building.id or 0) or residents
        reporter = rng.choice(people)
        opened = _month_start(0) + timedelta(seconds=moments[ident - 1] * span)
        opened = min(opened, NOW - timedelta(minutes=5))
        urgency = rng.choices(["routine", "key", "emergency"], [85, 13, 2])[0]
        respond_h, resolve_h = WINDOWS[urgency]
        respond_by = opened + timedelta(hours=respond_h)
        resolve_by = opened + timedelta(hours=resolve_h)
        category = rng.choice(list(KINDS))
        kind = rng.choice(KINDS[category])
        age = (NOW - opened).total_seconds() / 86400
        late_respond = rng.random() < 0.06
        late_resolve = rng.random() < 0.08
        accepted = (
            respond_by + timedelta(hours=rng.uniform(0.1, 6))
            if late_respond
            else opened + timedelta(hours=rng.uniform(0.01, 0.9) * respond_h)
        )
        resolved = (
            resolve_by + timedelta(hours=rng.uniform(1, 48))
            if late_resolve
            else opened + timedelta(hours=rng.uniform(0.05, 0.95) * resolve_h)
        )
        roll = rng.random()
        outcome = None
        if age < 10 and roll < 0.35:
            state, accepted_at, resolved_at = "open", None, None
            if accepted < NOW and rng.random() < 0.6:
                state, accepted_at = "in_progress", accepted
        elif roll < 0.03:
            state, accepted_at, resolved_at, outcome = "closed", accepted, None, "answered"
        elif roll < 0.05:
            state, accepted_at, resolved_at = "closed", None, None  # withdrawn or merged
        elif roll < 0.07:
            state, accepted_at, resolved_at = "in_progress", accepted, None
        else:
            state, accepted_at, resolved_at = "closed", accepted, min(resolved, NOW)
            if resolved >= NOW or (age < 8 and rng.random() < 0.3):
                state = "resolved"
        rating = None
        if state == "closed" and resolved_at is not None and rng.random() < 0.7:
            rating = rng.choices(["satisfied", "basic", "dissatisfied"], [70, 22, 8])[0]
        grid_id = building.grid_id
        worker_ids = workers.get(grid_id or 0) or [staff.get(community_id, 1)]
        department_id = rng.choice(departments) if rng.random() < 0.05 else None
        day = opened.astimezone(TZ).strftime("%y%m%d")
        sequence = numbers[(community_id, day)] = numbers.get((community_id, day), 0) + 1
        text_ = f"{compound.name}{building.name}{kind}的问题，麻烦处理一下"
        batch["t"].append(
            {
                "id": ident,
                "number": f"{codes[community_id]}-{day}-{sequence:04d}",
                "community_id": community_id,
                "building_id": building.id,
                "grid_id": grid_id if grid_id in grids else None,
                "department_id": department_id,
                "reporter_id": reporter["id"],
                "assignee_id": rng.choice(worker_ids),
                "text": text_,
                "request_type": "complaint",
                "category": category,
                "urgency": urgency,
                "state": state,
                "level": "department" if department_id else "grid",
                "opened_at": opened,
                "respond_by": respond_by,
                "resolve_by": resolve_by,
                "accepted_at": accepted_at,
                "resolved_at": resolved_at,
                "closed_at": resolved_at if state == "closed" else None,
                "respond_reminded": False,
                "resolve_reminded": False,
                "respond_overdue": False,
                "resolve_overdue": False,
                "rating": rating,
                "resolution": "已处理完毕" if resolved_at else "",
                "households": 1,
                "outcome": outcome,
                "version": 3,
            }
        )
        batch["r"].append(
            {
                "id": ident,
                "chat_id": reporter["telegram_id"],
                "message_id": ident,
                "telegram_user_id": reporter["telegram_id"],
                "person_id": reporter["id"],
                "text": text_,
                "received_at": opened,
                "status": "ticketed",
                "ticket_id": ident,
                "classification": {"category": category, "keywords": [[kind, 3.0]]},
            }
        )
        batch["f"].append({"ticket_id": ident, "person_id": reporter["id"]})
        history = [("open", opened, None, "open", "")]
        if late_respond and accepted_at is not None:
            history.append(("escalate", respond_by, "open", "open", "overdue:respond"))
        if late_resolve and resolved_at is not None:
            history.append(("escalate", resolve_by, "in_progress", "open", "overdue:resolve"))
        if resolved_at is not None and rng.random() < 0.02:
            for _ in range(rng.choice([1, 2, 2, 3])):
                history.append(("reopen", resolved_at, "resolved", "open", ""))
        for action, at, before, after, note in history:
            batch["e"].append(
                {
                    "id": event_id,
                    "ticket_id": ident,
                    "at": at,
                    "actor_id": None,
                    "action": action,
                    "from_state": before,
                    "to_state": after,
                    "note": note,
                    "data": {},
                }
            )
            event_id += 1
        if len(batch["t"]) == 20_000 or ident == tickets:
            with engine.begin() as connection:
                connection.execute(insert(Ticket), batch["t"])
                connection.execute(insert(Report), batch["r"])
                connection.execute(insert(TicketFollower), batch["f"])
                connection.execute(insert(TicketEvent), batch["e"])
            for rows in batch.values():
                rows.clear()
            if ident % 200_000 == 0 or ident == tickets:
                say(f"  {ident:,} tickets ({time.perf_counter() - started:.0f} s)")
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for table in ("ticket", "report", "ticketevent", "person"):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                connection.execute(text(f"SELECT setval({sequence}, max(id)) FROM {table}"))
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    say(f"generated {tickets:,} tickets in {time.perf_counter() - started:.0f} s")


def timed(run: Callable[[], object], repeat: int) -> float:
    """Median seconds of `repeat` runs after one warm-up."""
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(engine: Engine, repeat: int) -> dict[str, float]:
    texts = Texts.load(locales.DIRECTORY, TZ)

    def label(key: str, **params: object) -> str:
        return texts.get("zh_Hans", key, **params)

    with open_session(engine) as session:
        td = session.exec(select(Community).where(Community.code == "TD")).one()
        staff = session.exec(
            select(RoleGrant).where(
                RoleGrant.role == "community_staff", RoleGrant.scope_id == td.id
            )
        ).all()
        seen = visible(staff)
        month = TicketFilter(
            community=td.id,
            opened_from=MONTH.first_day(),
            opened_to=MONTH.next().first_day() - timedelta(days=1),
        )

        def page(flt: TicketFilter) -> Callable[[], object]:
            return lambda: ticket_page(session, flt, seen, TZ, NOW, staff=True, page=1)

        def build(community: Community | None) -> pack.MeetingPack:
            return pack.build(session, MONTH, TZ, NOW, community, Weights())

        def full_pack() -> None:
            built = build(td)
            pack.workbook(built, label)
            pack.page(built, label, "zh_Hans")

        results = {
            "baseline: one full scan of the ticket table": timed(
                lambda: session.execute(
                    select(func.count())
                    .select_from(Ticket)
                    .where(col(Ticket.resolution).contains("不存在的词"))
                ).scalar_one(),
                repeat,
            ),
            "list: a month of one community, page 1 of 50 + total": timed(page(month), repeat),
            "list: … filtered by words": timed(
                page(TicketFilter(**{**month.__dict__, "text": "楼道灯"})), repeat
            ),
            "list: … overdue only": timed(
                page(TicketFilter(**{**month.__dict__, "overdue": True})), repeat
            ),
            "pack: a month of one community (gathered)": timed(lambda: build(td), repeat),
            "pack: … gathered, workbook and page written": timed(full_pack, repeat),
            "pack: a month of the whole sub-district (gathered)": timed(
                lambda: build(None), max(1, repeat // 2)
            ),
        }
        count = ticket_page(session, month, seen, TZ, NOW, staff=True).total
    say(f"(the month {MONTH} of community TD holds {count:,} tickets)")
    return results


def report(results: dict[str, float], title: str) -> None:
    baseline = next(iter(results.values()))
    say(f"\n{title}")
    say(f"{'what':<58} {'seconds':>8} {'× baseline':>11}")
    for name, seconds in results.items():
        say(f"{name:<58} {seconds:>8.3f} {seconds / baseline:>11.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="an SQLAlchemy URL (made if missing)")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--without-indexes", action="store_true")
    args = parser.parse_args()
    engine = make_engine(args.database)
    migrate(engine)
    with engine.begin() as connection:  # a database made before the last change of 0009
        for name, target in INDEXES.items():
            connection.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {target}"))
    with Session(engine) as session:
        have = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
    if have == 0:
        say(f"generating {args.tickets:,} tickets into {engine.url.render_as_string()}")
        generate(engine, args.tickets)
    elif have != args.tickets:
        say(f"the database holds {have:,} tickets (not {args.tickets:,}); measuring those")
    say(f"{engine.dialect.name}: {max(have, args.tickets) if have == 0 else have:,} tickets")
    report(
        measure(engine, args.repeat), f"with the indexes of migration 0009 ({engine.dialect.name})"
    )
    if args.without_indexes:
        with engine.begin() as connection:
            for name in INDEXES:
                connection.execute(text(f"DROP INDEX {name}"))
        try:
            report(measure(engine, args.repeat), "without them")
        finally:
            with engine.begin() as connection:
                for name, target in INDEXES.items():
                    connection.execute(text(f"CREATE INDEX {name} ON {target}"))
                connection.execute(text("ANALYZE"))
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
