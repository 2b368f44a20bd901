"""One place builds everything: storage, classifier, texts, dispatcher, jobs, transport, clock."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import select

import locales
from bot.config import Settings
from bot.outbox import Outbox, SendLimits
from bot.runtime import Core
from bot.scheduler import build_scheduler
from domain.clock import Clock, SystemClock
from handlers.app import build_dispatcher
from handlers.i18n import LANGUAGES, Texts
from handlers.jobs import Jobs
from handlers.reporting import EmergencyRouting
from nlp import Classifier
from storage.db import make_engine, migrate
from storage.db import session as open_session
from storage.models import Community, Compound

log = logging.getLogger("linli")

COMMANDS = (
    "start", "report", "my", "tickets", "ticket", "hot", "stats", "held", "notices", "notice",
    "propose", "topics", "topic", "vote", "comment", "dhelp",
    "language", "help", "cancel", "publish", "selection",
)  # fmt: skip


@dataclass
class App:
    """The built service, before any transport is attached."""

    settings: Settings
    engine: Engine
    clock: Clock
    tz: ZoneInfo
    texts: Texts
    classifier: Classifier
    core: Core
    jobs: Jobs
    send_limits: SendLimits = field(default_factory=SendLimits)  # the outbox's pace

    def command_menu(self) -> dict[str, dict[str, str]]:
        """/command descriptions per language ("default" is Chinese, Telegram's fallback)."""
        menu = {lang: {c: self.texts.get(lang, f"cmd-{c}") for c in COMMANDS} for lang in LANGUAGES}
        return {"default": menu["zh_Hans"], "zh": menu["zh_Hans"], "en": menu["en"]}


def services(
    settings: Settings, engine: Engine, clock: Clock, tz: ZoneInfo, classifier: Classifier
) -> dict[str, Any]:
    """What handlers may name as parameters, from the settings (the service and the tests'
    in-process harness build the dispatcher with exactly these)."""
    return {
        "engine": engine,
        "clock": clock,
        "policy": settings.deadlines.policy(),
        "tz": tz,
        "classifier": classifier,
        "categories": tuple(c for c in classifier.categories if c != "none"),
        "emergency": EmergencyRouting(settings.emergency_department),
        "same_problem": settings.same_problem.policy(),
        "flood": settings.flood.policy(),
        "weights": settings.selection.weights(),
        "shortlist_size": settings.selection.shortlist,
    }


def build(settings: Settings, *, clock: Clock | None = None, engine: Engine | None = None) -> App:
    tz = ZoneInfo(settings.timezone)
    clock = clock or SystemClock()
    engine = engine or make_engine(settings.database.url)
    migrate(engine)
    texts = Texts.load(locales.DIRECTORY, tz)
    with open_session(engine) as session:
        places = [c.name for c in session.exec(select(Community))]
        places += [c.name for c in session.exec(select(Compound))]
    classifier = Classifier.load(settings.rules_file, place_names=places)
    deps = services(settings, engine, clock, tz, classifier)
    dispatcher = build_dispatcher(texts, **deps)
    workers = 1 if engine.dialect.name == "sqlite" else 4
    core = Core(dispatcher, delivery=None, workers=workers)
    jobs = Jobs(
        engine,
        clock,
        deps["policy"],
        tz,
        texts,
        classifier,
        deps["emergency"],
        deps["same_problem"],
        deps["flood"],
    )
    jobs.retention = settings.retention.policy()
    return App(settings, engine, clock, tz, texts, classifier, core, jobs)


async def serve(app: App, *, stop: asyncio.Event | None = None, clock_jobs: bool = True) -> None:
    """Run until `stop` is set (or forever): Telegram by polling or webhook, else the simulator.

    `clock_jobs=False` leaves the scheduler off (tests drive the jobs themselves).
    """
    from aiohttp import web

    from bot.transports import make_transport

    settings = app.settings
    stop = stop or asyncio.Event()
    runners: list[web.AppRunner] = []
    token = settings.telegram.token.get_secret_value() if settings.telegram.token else None
    api_url = settings.telegram.api_url
    if token is None:
        from bot.simulate import SIMULATOR_TOKEN, start_simulator

        api_url, runner = await start_simulator(app)
        runners.append(runner)
        token = SIMULATOR_TOKEN
    transport = make_transport(settings.transport, app.core, token, api_url, app.command_menu())
    outbox = Outbox(app.engine, transport.sender, app.send_limits)
    app.core.delivery = outbox
    await outbox.start()
    scheduler = build_scheduler(
        app.core,
        app.jobs,
        app.tz,
        sweep_seconds=settings.sweep_seconds,
        digest_at=settings.digest_time,
    )
    from bot.scheduler_figures import add_rhythm_jobs  # the pack reminder, the weekly posting

    add_rhythm_jobs(scheduler, app)
    if clock_jobs:
        scheduler.start()
    polling: asyncio.Task[None] | None = None
    from web.server import start_web  # Open311 (and the console) on LINLI_WEB_PORT

    try:
        if (site := await start_web(app)) is not None:
            runners.append(site)
        if settings.webhook.url and settings.telegram.token:
            hook, url = settings.webhook, settings.webhook.url
            secret = hook.secret.get_secret_value() if hook.secret else None
            runner = web.AppRunner(transport.webhook_app(hook.path, secret))
            await runner.setup()
            await web.TCPSite(runner, hook.host, hook.port).start()
            runners.append(runner)
            await transport.set_webhook(url, secret)
            log.info("webhook listening on %s:%s%s", hook.host, hook.port, hook.path)
        else:
            polling = asyncio.create_task(transport.poll())
        waiter = asyncio.create_task(stop.wait())
        watched = {waiter} | ({polling} if polling else set())
        done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        if polling in done and polling is not None:
            polling.result()  # polling ended on its own: surface why
        waiter.cancel()
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        await transport.stop_receiving()
        if polling:
            polling.cancel()
            await asyncio.gather(polling, return_exceptions=True)
        await app.core.drain(outbox=False)  # the queue is kept; the next start resumes it
        await outbox.stop()
        await transport.close()
        for runner in reversed(runners):
            await runner.cleanup()
        app.core.close()
