"""The `linli` command: run the service, administer the organisation, classify and learn rules."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import logging
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

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


def _attach_nlp() -> None:
    from nlp.cli import classify_command, rules_group

    main.add_command(classify_command, "classify")
    main.add_command(rules_group, "rules")
    from nlp.intent_eval import intent_group

    main.add_command(intent_group, "intent")


_attach_nlp()

if __name__ == "__main__":
    sys.exit(main())
