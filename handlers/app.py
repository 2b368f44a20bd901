"""The feature routers and the middleware stack, gathered once. A new feature adds one line here."""

from __future__ import annotations

from typing import Any

from handlers import (
    deliberation,
    held,
    notices,
    publishing,
    report,
    selection,
    start,
    tickets,
    triage,
)
from handlers.dispatch import Dispatcher, Middleware, Router
from handlers.i18n import Texts
from handlers.middlewares import Throttle, dedup, errors, identity, language, services, unit_of_work

ROUTERS: list[Router] = [
    start.router,
    tickets.router,
    triage.router,
    notices.router,
    deliberation.router,
    held.router,
    publishing.router,
    selection.router,
    report.router,
]


def build_dispatcher(texts: Texts, **deps: Any) -> Dispatcher:
    """The dispatcher with every feature. `deps` are what handlers may name: engine, clock,
    policy, tz, classifier, categories, emergency …"""
    middlewares: list[Middleware] = [
        errors,
        unit_of_work,
        dedup,
        identity,
        language,
        Throttle(),
        services,
    ]
    return Dispatcher(ROUTERS, middlewares, texts, **deps)
