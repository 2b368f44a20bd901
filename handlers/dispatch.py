"""Routers and the dispatcher: an event in, the effects of handling it out.

Handlers name the things they need as parameters (`session`, `person`, `replies`, `desk` …) and
get exactly those, the way aiogram hands workflow data to its handlers. Per-event concerns
(session, identity, language, throttling, errors) are middlewares around the routing.

A button press is parsed here, once, with the family (handlers.callbacks) registered for its
prefix: the handler gets it as `button` and the rows it names under their field names. Data no
family reads, a row that no longer exists or a version that moved on is answered here with the
stale-button message; a route's `may` asks domain.access before the handler runs.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from domain.access import Access, Do
from handlers.callbacks import SEPARATOR, Callback, Malformed
from handlers.events import Effect, Event, Press, t
from handlers.i18n import Texts
from handlers.replies import Replies

log = logging.getLogger(__name__)

Handler = Callable[..., object]
Next = Callable[[], None]
Middleware = Callable[[Event, dict[str, Any], Next], None]


@dataclass(frozen=True)
class Route:
    """One handler and when it applies."""

    kind: str  # command | callback | awaiting | message
    key: str
    func: Handler
    params: tuple[str, ...]
    private_only: bool = False
    family: type[Callback] | None = None  # a callback's button family
    may: Do | None = None  # asked of domain.access first (subject: the press's first row)
    stale: Handler | None = None  # a callback whose version moved on (default: the stale answer)


class Router:
    """One feature's handlers."""

    def __init__(self, name: str):
        self.name = name
        self.routes: list[Route] = []

    def _add(
        self, kind: str, key: str, private_only: bool = False, **extra: Any
    ) -> Callable[[Handler], Handler]:
        def register(func: Handler) -> Handler:
            self.routes.append(Route(kind, key, func, _params(func), private_only, **extra))
            return func

        return register

    def command(
        self, *names: str, private_only: bool = False, may: Do | None = None
    ) -> Callable[[Handler], Handler]:
        """A /command (several names may share a handler); `may`: an action without a subject
        (Do.FIGURES …) the person must be allowed."""

        def register(func: Handler) -> Handler:
            for name in names:
                self._add("command", name, private_only, may=may)(func)
            return func

        return register

    def callback(
        self, family: type[Callback], *, may: Do | None = None, stale: Handler | None = None
    ) -> Callable[[Handler], Handler]:
        """Presses of a button family. The handler gets the parsed press as `button` and each
        row it names under the field's name; `may` is checked against the first of those rows;
        `stale` answers a press whose `version` is not the row's any more."""
        return self._add("callback", family.prefix, family=family, may=may, stale=stale)

    def awaiting(self, kind: str) -> Callable[[Handler], Handler]:
        """The next text a person sends after the bot asked them for `kind`."""
        return self._add("awaiting", kind, private_only=True)

    def message(self) -> Callable[[Handler], Handler]:
        """Any other text or media (the first router whose handler takes it wins)."""
        return self._add("message", "")


class Dispatcher:
    """Runs one event through the middlewares to the handler that fits it."""

    def __init__(
        self,
        routers: Sequence[Router],
        middlewares: Sequence[Middleware],
        texts: Texts,
        **deps: Any,
    ):
        self.middlewares = list(middlewares)
        self.texts = texts
        self.deps = dict(deps, texts=texts)
        self.commands: dict[str, Route] = {}
        self.callbacks: dict[str, Route] = {}
        self.awaiting: dict[str, Route] = {}
        self.fallbacks: list[Route] = []
        for router in routers:
            for route in router.routes:
                table = {
                    "command": self.commands,
                    "callback": self.callbacks,
                    "awaiting": self.awaiting,
                }
                if route.kind == "message":
                    self.fallbacks.append(route)
                elif route.key in table[route.kind]:
                    raise ValueError(f"{route.kind} {route.key!r} registered twice")
                else:
                    table[route.kind][route.key] = route

    def handle(self, event: Event, **extra: Any) -> list[Effect]:
        """Handle one event; never raises (the errors middleware answers instead)."""
        event = without_nul(event)
        replies = Replies(event, self.texts)
        data: dict[str, Any] = {**self.deps, **extra, "event": event, "replies": replies}

        def chain(index: int) -> Next:
            if index == len(self.middlewares):
                return lambda: self.route(event, data)
            return lambda: self.middlewares[index](event, data, chain(index + 1))

        chain(0)()
        return replies.effects

    def route(self, event: Event, data: dict[str, Any]) -> None:
        """Pick the handler for an event and call it with the parameters it names."""
        if isinstance(event, Press):
            self.press(event, data)
            return
        if event.command is not None:
            route = self.commands.get(event.command)
            if route is not None and (event.chat.private or not route.private_only):
                if route.may is not None:
                    self.access(data).check(data["who"], route.may)
                self.call(route, data)
                return
            if route is None and event.chat.private:
                data["replies"].reply(t("error-unknown-command"))
                return
            if route is not None:  # a private-only command in a group
                data["replies"].reply(t("error-private-only"))
                return
        pending = data.get("pending")
        if pending is not None and event.chat.private and pending.kind in self.awaiting:
            self.call(self.awaiting[pending.kind], data)
            return
        for route in self.fallbacks:
            if self.call(route, data) is not False:
                return

    def family_route(self, data: str) -> Route | None:
        """The route of the family whose prefix `data` starts with (the longer prefix first)."""
        parts = data.split(SEPARATOR, 2)
        for size in (2, 1):
            if len(parts) >= size:
                route = self.callbacks.get(SEPARATOR.join(parts[:size]))
                if route is not None:
                    return route
        return None

    def press(self, event: Press, data: dict[str, Any]) -> None:
        """A button: parsed by its family, its rows loaded, the grant and version checked."""
        route = self.family_route(event.data)
        if route is None or route.family is None:
            self.stale(data)
            return
        try:
            button = route.family.parse(event.data)
        except Malformed:
            self.stale(data)
            return
        data["button"] = button
        subject: Any = None
        for spec in route.family.refs():
            ident = getattr(button, spec.name)
            row = None if ident is None else data["session"].get(spec.ref, ident)
            if row is None and ident is not None:
                self.stale(data)
                return
            if spec.name in data:
                raise TypeError(f"{route.family.__name__}.{spec.name} shadows {spec.name!r}")
            data[spec.name] = row
            subject = row if subject is None else subject
        if route.may is not None:
            self.access(data).check(data["who"], route.may, subject)
        version = getattr(button, "version", None)
        if version is not None and subject is not None and version != subject.version:
            if route.stale is None:
                self.stale(data)
            else:
                self.call(Route("stale", route.key, route.stale, _params(route.stale)), data)
            return
        self.call(route, data)

    def stale(self, data: dict[str, Any]) -> None:
        """The one answer to a press nothing can be done with."""
        data["replies"].answer(t("error-stale-button"), alert=True)

    def access(self, data: dict[str, Any]) -> Access:
        found = data.get("access")
        return found if isinstance(found, Access) else Access(data["session"])

    def call(self, route: Route, data: dict[str, Any]) -> Any:
        try:
            kwargs = {name: data[name] for name in route.params}
        except KeyError as missing:
            raise TypeError(f"handler {route.func.__qualname__} needs {missing}") from None
        return route.func(**kwargs)


def without_nul(event: Event) -> Event:
    """The message without NUL characters: nobody means one, and PostgreSQL cannot store one
    in text (a report carrying one could not even be kept). A press's data is read strictly
    by its family anyway."""
    if isinstance(event, Press) or "\x00" not in event.text + event.args:
        return event
    return replace(event, text=event.text.replace("\x00", ""), args=event.args.replace("\x00", ""))


def _params(func: Handler) -> tuple[str, ...]:
    return tuple(inspect.signature(func).parameters)
