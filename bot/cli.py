"""The `linli` command: run the service, administer the organisation, classify and learn rules."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlmodel import Session, col, select

from bot.config import Settings
from domain.clock import SystemClock
from storage import orgfile
from storage.db import make_engine, migrate
from storage.db import session as open_session
from storage.models import (
    Building,
    ChatBinding,
    Community,
    Compound,
    Grid,
    Person,
    RoleGrant,
)

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from domain.figures import Month


@click.group()
def main() -> None:
    """Linli (邻里): the chat-bot of a sub-district's residents and community workers."""


@main.command()
def run() -> None:
    """Serve Telegram (token set) or the local simulator (no token)."""
    from bot.app import build, serve

    settings = Settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)  # one line per update
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # one line per request
    app = build(settings)

    async def main_loop() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await serve(app, stop=stop)

    asyncio.run(main_loop())


@contextlib.contextmanager
def _database() -> Iterator[Session]:
    """A session on the configured, migrated database; the engine is closed afterwards."""
    engine = make_engine(Settings().database.url)
    try:
        migrate(engine)
        with open_session(engine) as session:
            yield session
    finally:
        engine.dispose()


@main.group()
def db() -> None:
    """The database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration (run also happens at start-up)."""
    with _database():
        click.echo("database is at the newest migration")


@main.group()
def org() -> None:
    """The organisation: communities, compounds, buildings, grids, people."""


@org.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def org_import(path: Path) -> None:
    """Import (or re-import) an organisation file."""
    try:
        spec = orgfile.load(path)
        with _database() as session:
            counts = orgfile.import_org(session, spec, SystemClock().now())
            session.commit()
    except orgfile.OrgFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(", ".join(f"{n} {what}" for what, n in counts.items()))


@org.command("show")
def org_show() -> None:
    """List what is configured: places, grids, people with roles, bound chats."""
    with _database() as session:
        for community in session.exec(select(Community).order_by(col(Community.id))):
            click.echo(f"{community.code}  {community.name}")
            for compound in session.exec(
                select(Compound).where(Compound.community_id == community.id)
            ):
                names = [
                    b.name
                    for b in session.exec(
                        select(Building).where(Building.compound_id == compound.id)
                    )
                ]
                click.echo(f"    {compound.name}: {' '.join(names)}")
            for grid in session.exec(select(Grid).where(Grid.community_id == community.id)):
                click.echo(f"    grid {grid.code} {grid.name}")
        click.echo("people with roles:")
        for person, grant in session.exec(
            select(Person, RoleGrant)
            .join(RoleGrant, col(RoleGrant.person_id) == col(Person.id))
            .order_by(col(Person.id))
        ):
            click.echo(
                f"    {person.key or person.telegram_id}  {person.name}  "
                f"{grant.role}@{grant.scope_kind}:{grant.scope_id or ''}"
            )
        click.echo("bound chats:")
        for chat in session.exec(select(ChatBinding)):
            click.echo(f"    {chat.chat_id}  {chat.title}  {chat.scope_kind}:{chat.scope_id}")


@main.group()
def role() -> None:
    """Grant and revoke roles."""


def _person(session: Session, ref: str) -> Person:
    person = orgfile.find_person(session, ref)
    if person is None:
        raise click.ClickException(f"no person with key or Telegram id {ref!r}")
    return person


@role.command("grant")
@click.argument("person")
@click.argument("role_name", metavar="ROLE")
@click.argument("scope")
def role_grant(person: str, role_name: str, scope: str) -> None:
    """Grant ROLE over SCOPE (grid:TD-01, community:TD, building:TD/铜都花园/3栋, subdistrict …)."""
    with _database() as session:
        try:
            orgfile.grant(session, _person(session, person), role_name, scope)
        except orgfile.OrgFileError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
    click.echo(f"granted {role_name} over {scope} to {person}")


@role.command("revoke")
@click.argument("person")
@click.argument("role_name", metavar="ROLE")
@click.argument("scope")
def role_revoke(person: str, role_name: str, scope: str) -> None:
    """Revoke ROLE over SCOPE."""
    with _database() as session:
        try:
            found = orgfile.revoke(session, _person(session, person), role_name, scope)
        except orgfile.OrgFileError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
    if not found:
        raise click.ClickException(f"{person} does not hold {role_name} over {scope}")
    click.echo(f"revoked {role_name} over {scope} from {person}")


@main.group()
def chat() -> None:
    """Bind group chats to places."""


# Group ids are negative: let "-1001234" through as an argument, not an unknown option.
_NEGATIVE_IDS = {"ignore_unknown_options": True}


@chat.command("bind", context_settings=_NEGATIVE_IDS)
@click.argument("chat_id", type=int)
@click.argument("scope")
@click.option("--title", default="", help="a name to recognise the group by")
def chat_bind(chat_id: int, scope: str, title: str) -> None:
    """Bind group CHAT_ID to a building, compound or community (e.g. compound:TD/铜都花园)."""
    with _database() as session:
        try:
            kind, scope_id = orgfile.resolve_scope(session, scope)
            if scope_id is None:
                raise orgfile.OrgFileError(
                    "a group chat is bound to a building, a compound or a community"
                )
            orgfile.bind_chat(session, chat_id, kind, scope_id, title)
        except orgfile.OrgFileError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
    click.echo(f"chat {chat_id} bound to {scope}")


@chat.command("unbind", context_settings=_NEGATIVE_IDS)
@click.argument("chat_id", type=int)
def chat_unbind(chat_id: int) -> None:
    """Forget a group's binding."""
    with _database() as session:
        row = session.get(ChatBinding, chat_id)
        if row is None:
            raise click.ClickException(f"chat {chat_id} is not bound")
        session.delete(row)
        session.commit()
    click.echo(f"chat {chat_id} unbound")


@main.group()
def tickets() -> None:
    """Tickets as data."""


@tickets.command("export-labels")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default="-",
    help="CSV file to write (default: standard output)",
)
def export_labels(output: Path) -> None:
    """Reports labelled with the category staff settled on (re-classifications included):
    columns text,category,request_type,urgency,predicted,reclassified,ticket — ready for
    `linli rules learn --text-column text --label-column category`."""
    from domain.insights import labelled_reports

    with _database() as session:
        rows = labelled_reports(session)
    handle = sys.stdout if str(output) == "-" else output.open("w", encoding="utf-8", newline="")
    try:
        writer = csv.writer(handle)
        writer.writerow(
            ["text", "category", "request_type", "urgency", "predicted", "reclassified", "ticket"]
        )
        for row in rows:
            writer.writerow(
                [
                    row.text,
                    row.category,
                    row.request_type,
                    row.urgency,
                    row.predicted,
                    int(row.reclassified),
                    row.ticket,
                ]
            )
    finally:
        if handle is not sys.stdout:
            handle.close()
    if str(output) != "-":
        click.echo(f"{len(rows)} labelled reports written to {output}", err=True)


@main.group()
def roll() -> None:
    """Owners' rolls 业主名册 for deliberation (households, owners, floor areas)."""


@roll.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def roll_import(path: Path) -> None:
    """Import a CSV: building,household,owner,area[,telegram_id] (building as TD/铜都花园/3栋)."""
    from domain.deliberation import RollError, import_roll, read_roll

    try:
        rows = read_roll(path.read_text(encoding="utf-8"))
        with _database() as session:
            counts = import_roll(session, rows, lambda p: orgfile.resolve_building(session, p))
            session.commit()
    except (RollError, orgfile.OrgFileError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{counts['households']} households, {counts['owners']} owners")


# --- the monthly joint meeting: exports, the meeting pack, Open311 clients (issue 12) ---------


def _label(lang: str) -> Callable[..., str]:
    """Texts of the catalogues in one language, as exports and the pack want them."""
    from zoneinfo import ZoneInfo

    import locales
    from handlers.i18n import LANGUAGES, Texts

    if lang not in LANGUAGES:
        raise click.ClickException(f"language is one of {', '.join(LANGUAGES)}")
    texts = Texts.load(locales.DIRECTORY, ZoneInfo(Settings().timezone))
    return lambda key, **params: texts.get(lang, key, **params)


def _month(text: str | None, tz: ZoneInfo) -> Month:
    from domain.figures import Month

    try:
        return Month.parse(text) if text else Month.of(SystemClock().now(), tz).previous()
    except ValueError as error:
        raise click.ClickException(str(error)) from None


def _community(session: Session, code: str | None) -> Community | None:
    if not code:
        return None
    found = session.exec(select(Community).where(Community.code == code.upper())).first()
    if found is None:
        raise click.ClickException(f"no community {code!r}")
    return found


@main.command("export")
@click.argument(
    "what", type=click.Choice(["tickets", "rates", "problems", "resolutions", "services"])
)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--month", help="YYYY-MM (rates, resolutions; tickets opened that month)")
@click.option("--community", help="community code, e.g. TD")
@click.option("--grid", help="grid code (tickets)")
@click.option("--category", help="category code (tickets)")
@click.option("--urgency", type=click.Choice(["emergency", "key", "routine"]))
@click.option("--state", type=click.Choice(["open", "in_progress", "resolved", "closed"]))
@click.option("--overdue", is_flag=True, help="only tickets past their deadline")
@click.option("--text", default="", help="words in the report or the number (tickets)")
@click.option("--lang", default="zh_Hans", help="zh_Hans or en")
@click.option("--unmasked", is_flag=True, help="reports as written (staff only; masked otherwise)")
def export_command(
    what: str,
    fmt: str,
    output: Path,
    month: str | None,
    community: str | None,
    grid: str | None,
    category: str | None,
    urgency: str | None,
    state: str | None,
    overdue: bool,
    text: str,
    lang: str,
    unmasked: bool,
) -> None:
    """Write tickets, the month's rates or one of the three lists as XLSX or CSV."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import true

    from domain import exports, lists
    from domain.figures import Scope, month_figures
    from storage import servicefile

    settings = Settings()
    tz = ZoneInfo(settings.timezone)
    label = _label(lang)
    now = SystemClock().now()
    with _database() as session:
        place = _community(session, community)
        scope = Scope(community_id=place.id if place else None)
        if what == "tickets":
            grid_row = orgfile.resolve_scope(session, f"grid:{grid}")[1] if grid else None
            chosen = _month(month, tz) if month else None
            flt = lists.TicketFilter(
                community=scope.community_id,
                grid=grid_row,
                category=category,
                urgency=urgency,
                state=state,
                overdue=overdue,
                opened_from=chosen.first_day() if chosen else None,
                opened_to=(chosen.next().first_day() - timedelta(days=1)) if chosen else None,
                text=text,
            )
            rows = lists.ticket_page(
                session, flt, true(), tz, now, staff=unmasked, per_page=0, snippet=None
            ).rows
            table = exports.tickets_table(rows)
        elif what == "rates":
            figures = month_figures(session, _month(month, tz), tz, scope, now)
            table = exports.rates_table(figures, english=lang == "en")
        elif what == "problems":
            table = exports.problems_table(lists.problems(session, scope, staff=unmasked, now=now))
        elif what == "resolutions":
            table = exports.resolutions_table(
                lists.resolutions(session, scope, _month(month, tz), tz, staff=unmasked)
            )
        else:
            try:
                catalogue = servicefile.read(settings.services_file or servicefile.SAMPLE)
            except servicefile.ServiceFileError as error:
                raise click.ClickException(str(error)) from None
            names = {c.code: c.name for c in session.exec(select(Community))}
            table = exports.services_table(
                [
                    (names.get(code, code), service)
                    for code, services in catalogue.communities.items()
                    if place is None or code == place.code
                    for service in services
                ],
                english=lang == "en",
            )
    output.write_bytes(exports.write([table], fmt, label, tz))
    click.echo(f"{len(table.rows)} rows written to {output}", err=True)


@main.command("pack")
@click.option("--month", help="YYYY-MM (default: last month)")
@click.option("--community", help="community code; the whole sub-district when left out")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    default=Path("."),
    help="a .xlsx file (the page goes beside it as .html) or a directory",
)
@click.option("--lang", default="zh_Hans", help="zh_Hans or en")
def pack_command(month: str | None, community: str | None, output: Path, lang: str) -> None:
    """The monthly joint meeting's pack: an XLSX workbook and a printable HTML page."""
    from zoneinfo import ZoneInfo

    from domain import pack

    settings = Settings()
    tz = ZoneInfo(settings.timezone)
    label = _label(lang)
    chosen = _month(month, tz)
    with _database() as session:
        built = pack.build(
            session,
            chosen,
            tz,
            SystemClock().now(),
            _community(session, community),
            settings.selection.weights(),
            settings.selection.shortlist,
        )
    target = output / f"{built.slug()}.xlsx" if output.is_dir() else output.with_suffix(".xlsx")
    target.write_bytes(pack.workbook(built, label, english=lang == "en"))
    target.with_suffix(".html").write_text(pack.page(built, label, lang), encoding="utf-8")
    click.echo(f"{target} and {target.with_suffix('.html')}")


@main.group("open311")
def open311_group() -> None:
    """Open311 GeoReport v2 (served at /open311/v2/ when LINLI_WEB_PORT is set)."""


@open311_group.group("key")
def open311_key() -> None:
    """API keys of the systems allowed to file reports (the city's 12345 platform …)."""


@open311_key.command("add")
@click.argument("name")
def open311_key_add(name: str) -> None:
    """Make a key for client NAME; it is shown once (only its hash is kept)."""
    from domain import open311

    with _database() as session:
        try:
            _, key = open311.add_client(session, name, SystemClock().now())
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
    click.echo(key)
    click.echo(f"API key of {name!r}: keep it now, it cannot be shown again", err=True)


@open311_key.command("list")
def open311_key_list() -> None:
    """Clients, when their key was made, and whether it was revoked."""
    from domain import open311

    with _database() as session:
        for client in open311.clients(session):
            revoked = f"revoked {client.revoked_at:%Y-%m-%d}" if client.revoked_at else "active"
            click.echo(f"{client.name}  made {client.created_at:%Y-%m-%d}  {revoked}")


@open311_key.command("revoke")
@click.argument("name")
def open311_key_revoke(name: str) -> None:
    """Revoke client NAME's key: its requests are refused from now on."""
    from domain import open311

    with _database() as session:
        if not open311.revoke_client(session, name, SystemClock().now()):
            raise click.ClickException(f"no active client named {name!r}")
        session.commit()
    click.echo(f"key of {name!r} revoked")


def _attach_nlp() -> None:
    from nlp.cli import classify_command, rules_group

    main.add_command(classify_command, "classify")
    main.add_command(rules_group, "rules")


_attach_nlp()

if __name__ == "__main__":
    sys.exit(main())
