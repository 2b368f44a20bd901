"""The `linli` command: run the service, administer the organisation, classify and learn rules."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

import aiohttp
import click
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError as AlembicError
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from bot.config import ConfigError, Settings
from domain.clock import SystemClock
from storage import orgfile
from storage.db import alembic_config, make_engine, migrate, migration_config
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

    from aiogram import Bot
    from aiogram.types import WebhookInfo

    from domain.figures import Month

T = TypeVar("T")


@click.group()
def main() -> None:
    """Linli (邻里): the chat-bot of a sub-district's residents and community workers."""


def _settings() -> Settings:
    """The configuration; a bad value is one line naming the variable, not a traceback."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise click.ClickException(f"configuration ({error.title}): {problems}") from None


@main.command()
def run() -> None:
    """Serve Telegram (token set) or the local simulator on its own database (no token)."""
    from bot.app import build, serve
    from bot.simulate import NotSimulatorDatabase

    try:
        settings = _settings().for_run()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
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

    try:
        asyncio.run(main_loop())
    except NotSimulatorDatabase as error:
        raise click.ClickException(str(error)) from None


@contextlib.contextmanager
def _database() -> Iterator[Session]:
    """A session on the configured, migrated database; the engine is closed afterwards."""
    engine = make_engine(_settings().database.url)
    try:
        migrate(engine)
        with open_session(engine) as session:
            yield session
    finally:
        engine.dispose()


@contextlib.contextmanager
def _engine() -> Iterator[Engine]:
    """The configured database's engine, as it is (not migrated); closed afterwards."""
    engine = make_engine(_settings().database.url)
    try:
        yield engine
    finally:
        engine.dispose()


@main.group()
def db() -> None:
    """The database's schema: migrations (`linli run` also migrates, one process at a time)."""


def _revisions(engine: Engine) -> tuple[ScriptDirectory, set[str], set[str]]:
    """The migration scripts, the database's current revisions and the newest ones."""
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return script, current, set(script.get_heads())


def _at(engine: Engine) -> str:
    _, current, heads = _revisions(engine)
    state = "at head" if current == heads else f"behind (head: {', '.join(sorted(heads))})"
    return f"{', '.join(sorted(current)) or 'empty'}, {state}"


@db.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: every newest one)."""
    with _engine() as engine, _alembic_errors():
        with migration_config(engine) as cfg:
            command.upgrade(cfg, revision)
        click.echo(f"database: {_at(engine)}")


@db.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="do not ask: tables and their data will be dropped")
def db_downgrade(revision: str, yes: bool) -> None:
    """Undo migrations down to REVISION (0003, base …): drops what they created."""
    if not yes:
        click.confirm(f"Downgrade to {revision}? Tables and their data will be dropped", abort=True)
    with _engine() as engine, _alembic_errors():
        with migration_config(engine) as cfg:
            command.downgrade(cfg, revision)
        click.echo(f"database: {_at(engine)}")


@db.command("current")
@click.option("--check", is_flag=True, help="exit 1 unless the database is at head")
def db_current(check: bool) -> None:
    """Which migration the database is at, and whether that is the newest."""
    with _engine() as engine, _alembic_errors():
        _, current, heads = _revisions(engine)
        click.echo(f"database: {_at(engine)}")
    if check and current != heads:
        sys.exit(1)


@db.command("history")
def db_history() -> None:
    """Every migration, newest first; the database's current ones marked."""
    with _engine() as engine, _alembic_errors():
        script, current, heads = _revisions(engine)
        for rev in script.walk_revisions():
            marks = [
                m
                for m, on in (("head", rev.revision in heads), ("current", rev.revision in current))
                if on
            ]
            down = rev.down_revision if isinstance(rev.down_revision, str) else "base"
            click.echo(
                f"{rev.revision} <- {down}  {(rev.doc or '').splitlines()[0] if rev.doc else ''}"
                + (f"  ({', '.join(marks)})" if marks else "")
            )


@contextlib.contextmanager
def _alembic_errors() -> Iterator[None]:
    """Alembic's and the database's refusals as one line."""
    try:
        yield
    except AlembicError as error:
        raise click.ClickException(str(error)) from None
    except OperationalError as error:
        raise click.ClickException(f"database: {' '.join(str(error.orig).split())}") from None


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


@main.group()
def webhook() -> None:
    """Register the webhook with Telegram: LINLI_WEBHOOK_URL, LINLI_WEBHOOK_SECRET."""


# Telegram posts webhooks only over HTTPS, and only to these ports (a self-hosted Bot API server,
# LINLI_TELEGRAM_API_URL, is not bound by either).
WEBHOOK_PORTS = (443, 80, 88, 8443)


def _bot_call(call: Callable[[Bot], Awaitable[T]]) -> T:
    """Run one Bot API exchange with the configured token and server; errors as one line."""
    from aiogram.exceptions import TelegramAPIError

    from bot.transports.aiogram_transport import make_bot

    settings = _settings()
    if settings.telegram.token is None:
        raise click.ClickException("LINLI_TELEGRAM_TOKEN is not set")
    bot = make_bot(settings.telegram.token.get_secret_value(), settings.telegram.api_url)

    async def exchange() -> T:
        async with bot.session:  # closes the HTTP session afterwards
            return await call(bot)

    try:
        return asyncio.run(exchange())
    except TelegramAPIError as error:
        raise click.ClickException(f"Telegram: {error.message}") from None
    except aiohttp.ClientError as error:
        raise click.ClickException(f"cannot reach the Bot API: {error}") from None


def _show(info: WebhookInfo, configured: str | None) -> None:
    click.echo(f"url: {info.url or '(none: the bot polls)'}")
    if configured and info.url and info.url != configured:
        click.echo(f"LINLI_WEBHOOK_URL differs: {configured}")
    click.echo(f"pending updates: {info.pending_update_count}")
    if info.max_connections:
        click.echo(f"max connections: {info.max_connections}")
    if info.allowed_updates:
        click.echo(f"allowed updates: {', '.join(info.allowed_updates)}")
    if info.last_error_date:
        when = info.last_error_date.isoformat()
        click.echo(f"last error: {when} {info.last_error_message or ''}".rstrip())


@webhook.command("set")
@click.option("--drop-pending", is_flag=True, help="discard the updates Telegram is holding")
@click.option(
    "--max-connections",
    type=click.IntRange(1, 100),
    default=40,
    show_default=True,
    help="how many requests Telegram sends at once",
)
def webhook_set(drop_pending: bool, max_connections: int) -> None:
    """Tell Telegram to post updates to LINLI_WEBHOOK_URL with LINLI_WEBHOOK_SECRET."""
    from bot.transports.ptb_transport import ALLOWED_UPDATES

    settings = _settings()
    url, secret = settings.webhook.url, settings.webhook.secret
    if not url:
        raise click.ClickException("LINLI_WEBHOOK_URL is not set")
    parsed = urlsplit(url)
    if settings.telegram.api_url is None:
        port = parsed.port or 443
        if parsed.scheme != "https" or port not in WEBHOOK_PORTS:
            ports = ", ".join(map(str, WEBHOOK_PORTS))
            raise click.ClickException(
                f"Telegram posts only to https on ports {ports}; LINLI_WEBHOOK_URL is {url}"
            )
    if secret is None:
        click.echo("warning: LINLI_WEBHOOK_SECRET is not set: anyone may post updates", err=True)

    async def register(bot: Bot) -> WebhookInfo:
        await bot.set_webhook(
            url,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=drop_pending,
            max_connections=max_connections,
        )
        return await bot.get_webhook_info()

    _show(_bot_call(register), url)


@webhook.command("info")
def webhook_info() -> None:
    """What Telegram has: the URL, pending updates, the last delivery error."""

    async def ask(bot: Bot) -> WebhookInfo:
        return await bot.get_webhook_info()

    _show(_bot_call(ask), _settings().webhook.url)


@webhook.command("delete")
@click.option("--drop-pending", is_flag=True, help="discard the updates Telegram is holding")
def webhook_delete(drop_pending: bool) -> None:
    """Stop the webhook (the bot can then poll)."""

    async def remove(bot: Bot) -> bool:
        return await bot.delete_webhook(drop_pending_updates=drop_pending)

    _bot_call(remove)
    click.echo("webhook deleted")


@main.group()
def retention() -> None:
    """Personal data past its time (LINLI_RETENTION_*): the clock does this hourly."""


@retention.command("run")
def retention_run() -> None:
    """Apply the retention rules now: texts of closed tickets, sent messages, old updates."""
    from domain.retention import apply

    settings = _settings()
    with _database() as session:
        done = apply(session, SystemClock().now(), settings.retention.policy())
        session.commit()
    click.echo(str(done))


@main.group()
def person() -> None:
    """One person's data: export it, or erase it on their request."""


@person.command("export")
@click.argument("ref", metavar="PERSON")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default="-",
    help="JSON file to write (default: standard output)",
)
def person_export(ref: str, output: Path) -> None:
    """Everything held about PERSON (org key or Telegram id), as JSON."""
    from domain.personal_data import export

    with _database() as session:
        data = export(session, _person(session, ref), SystemClock().now())
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if str(output) == "-":
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        rows = sum(len(rows) for rows in data["held"].values())
        click.echo(f"{rows} rows in {len(data['held'])} tables written to {output}", err=True)


@person.command("erase")
@click.argument("ref", metavar="PERSON")
@click.option("--yes", is_flag=True, help="do not ask")
def person_erase(ref: str, yes: bool) -> None:
    """Erase PERSON (org key or Telegram id): name, Telegram id, home, roles and everything
    they wrote are removed; their tickets and votes still count, without them."""
    from domain.personal_data import erase

    with _database() as session:
        found = _person(session, ref)
        if not yes:
            click.confirm(f"Erase {found.name or ref}? This cannot be undone", abort=True)
        done = erase(session, found, SystemClock().now())
        session.commit()
    click.echo(f"erased person {found.id}: {done}")


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
    from nlp.intent_eval import intent_group

    main.add_command(intent_group, "intent")


_attach_nlp()

if __name__ == "__main__":
    sys.exit(main())
