"""The local simulator: the Bot API stand-in plus a web page, on 127.0.0.1, when no token is set."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiohttp import web
from sqlmodel import Session, col, select

from bot.simulator import SimGroup, SimPerson, mount_simulator
from bot.standin import DEFAULT_TOKEN, BotAPIStandIn
from storage import org, orgfile
from storage.db import session as open_session
from storage.models import (
    Building,
    ChatBinding,
    Community,
    Compound,
    Department,
    Grid,
    JobRun,
    Person,
    ScopeKind,
)

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("linli.simulator")

SIMULATOR_TOKEN = DEFAULT_TOKEN
_ROLE_ORDER = (
    "resident",
    "building_leader",
    "grid_worker",
    "community_staff",
    "department_staff",
    "subdistrict_staff",
    "admin",
)
_SIM_ROLE = {
    "community_staff": "staff",
    "subdistrict_staff": "staff",
    "department_staff": "staff",
    "admin": "staff",
}


def sample_people(session: Session) -> list[SimPerson]:
    """Everyone with a Telegram id, their main role and the groups of their places."""
    bindings = list(session.exec(select(ChatBinding)))
    people: list[SimPerson] = []
    for person in session.exec(
        select(Person).where(col(Person.telegram_id).is_not(None)).order_by(col(Person.telegram_id))
    ):
        grants = org.roles_of(session, person.id or 0)
        roles = sorted({g.role for g in grants}, key=_ROLE_ORDER.index) or ["resident"]
        communities = {
            org.community_of_scope(session, g.scope_kind, g.scope_id)
            for g in grants
            if g.scope_id is not None
        }
        home: set[tuple[str, int]] = set()
        top = [g for g in grants if g.role == roles[-1]]
        place = _scope_name(session, top[0].scope_kind, top[0].scope_id) if top else ""
        if person.building_id is not None:
            building = session.get_one(Building, person.building_id)
            compound = session.get_one(Compound, building.compound_id)
            place = place or f"{compound.name} {building.name}"
            home = {
                (ScopeKind.BUILDING, building.id or 0),
                (ScopeKind.COMPOUND, compound.id or 0),
                (ScopeKind.COMMUNITY, compound.community_id),
            }
        groups = [
            SimGroup(b.chat_id, b.title or str(b.chat_id))
            for b in bindings
            if (b.scope_kind, b.scope_id) in home
            or org.community_of_scope(session, b.scope_kind, b.scope_id) in communities
        ]
        people.append(
            SimPerson(
                user_id=person.telegram_id or 0,
                name=person.name,
                role=_SIM_ROLE.get(roles[-1], roles[-1]),
                language_code="en" if person.language == "en" else "zh-hans",
                groups=groups,
                place=place,
            )
        )
    return people


def _scope_name(session: Session, kind: str, scope_id: int | None) -> str:
    """A place's name as people say it (the sub-district's is left out: it is everyone's)."""
    row: Grid | Community | Department | None = None
    if kind == ScopeKind.BUILDING and scope_id is not None:
        building = session.get_one(Building, scope_id)
        return f"{session.get_one(Compound, building.compound_id).name} {building.name}"
    if kind == ScopeKind.GRID and scope_id is not None:
        row = session.get(Grid, scope_id)
    elif kind == ScopeKind.COMMUNITY and scope_id is not None:
        row = session.get(Community, scope_id)
    elif kind == ScopeKind.DEPARTMENT and scope_id is not None:
        row = session.get(Department, scope_id)
    return row.name if row else ""


# Written with the sample organisation: this database is the simulator's own.
SIMULATOR_MARK = ("simulator", "sample")


class NotSimulatorDatabase(Exception):
    """The simulator was pointed at a database holding other data; it refuses to touch it."""


def ensure_sample_org(app: App) -> None:
    """An empty database gets the sample organisation, so there is someone to be.

    A database with other data (people or places the simulator did not put there) is refused:
    the sample's invented people must never land among real ones, and the simulator's outbox
    would swallow the real bot's unsent messages.
    """
    with open_session(app.engine) as session:
        if session.get(JobRun, SIMULATOR_MARK) is not None:
            return
        if (
            session.exec(select(Community)).first() is not None
            or session.exec(select(Person)).first() is not None
        ):
            raise NotSimulatorDatabase(
                f"the simulator runs only on its own database, and "
                f"{app.engine.url.render_as_string(hide_password=True)} holds other data "
                f"(set LINLI_SIMULATOR_DATABASE_URL to a new file, or set LINLI_TELEGRAM_TOKEN)"
            )
        path = app.settings.simulator.org_file or orgfile.SAMPLE
        orgfile.import_org(session, orgfile.load(path), app.clock.now())
        session.add(JobRun(name=SIMULATOR_MARK[0], key=SIMULATOR_MARK[1], at=app.clock.now()))
        session.commit()
        log.info("loaded the sample organisation from %s", path)


async def start_simulator(app: App) -> tuple[str, web.AppRunner]:
    """Serve the stand-in and the page; returns the Bot API base URL and the runner."""
    ensure_sample_org(app)
    # The bot's profile name is BotFather's business in Telegram; in the simulator it is ours.
    standin = BotAPIStandIn(SIMULATOR_TOKEN, bot_name=app.texts.get("zh_Hans", "sim-bot-name"))
    web_app = standin.make_app()

    async def people() -> Sequence[SimPerson]:
        def read() -> list[SimPerson]:
            with open_session(app.engine) as session:
                return sample_people(session)

        return await asyncio.get_running_loop().run_in_executor(app.core.executor, read)

    def texts(key: str, lang: str) -> str:
        return app.texts.get("en" if lang == "en" else "zh_Hans", key)

    mount_simulator(web_app, standin, people, texts)
    runner = web.AppRunner(web_app)
    await runner.setup()
    settings = app.settings.simulator
    await web.TCPSite(runner, settings.host, settings.port).start()
    url = f"http://{settings.host}:{settings.port}"
    print(f"Linli simulator: open {url}/ in a browser (no Telegram token set)", flush=True)
    return url, runner
