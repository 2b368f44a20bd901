"""The web server: one aiohttp application on LINLI_WEB_HOST:LINLI_WEB_PORT with Open311
mounted at /open311/v2/. Started by bot.app.serve when a port is configured."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from domain.open311 import Category
from web.open311 import PREFIX, Open311

if TYPE_CHECKING:
    from bot.app import App

KEYWORDS = 6  # keywords per service in the service list


def categories(app: App) -> list[Category]:
    """The classifier's categories as Open311 services, with their strongest keywords."""
    found = []
    for code, spec in app.classifier.rules.categories.items():
        strongest = sorted(spec.keywords.items(), key=lambda kv: (-kv[1], kv[0]))[:KEYWORDS]
        found.append(Category(code, spec.family, tuple(term for term, _ in strongest)))
    return found


def build_web(app: App) -> web.Application:
    """The web application with every part mounted."""

    async def run(job: Callable[[], Any]) -> Any:
        # Database work runs on the core's worker threads, beside the bot's handlers (one
        # writer at a time on SQLite).
        return await asyncio.get_running_loop().run_in_executor(app.core.executor, job)

    async def delivered() -> None:
        if app.core.delivery is not None:
            await app.core.delivery.deliver([])  # look at the outbox now

    api = Open311(
        app.jobs,
        app.texts,
        categories(app),
        jurisdiction=app.settings.web.jurisdiction,
        subdistrict="",
        run=run,
        delivered=delivered,
    )
    root = web.Application()
    root.add_subapp(PREFIX, api.app())
    return root


async def start_web(app: App) -> web.AppRunner | None:
    """Start the web server when LINLI_WEB_PORT is set; the runner to clean up, or None."""
    if app.settings.web.port is None:
        return None
    runner = web.AppRunner(build_web(app), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, app.settings.web.host, app.settings.web.port).start()
    return runner
