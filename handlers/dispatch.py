"""Routers and the dispatcher: an event in, the effects of handling it out.

Handlers name the things they need as parameters (`session`, `person`, `replies`, `desk` …) and
get exactly those, the way aiogram hands workflow data to its handlers. Per-event concerns
(session, identity, language, throttling, errors) are middlewares around the routing.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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


class Router:
    """One feature's handlers."""

    def __init__(self, name: str):
        self.name = name
        self.routes: list[Route] = []

    def _add(self, kind: str, key: str, private_only: bool = False) -> Callable[[Handler], Handler]:
        def register(func: Handler) -> Handler:
            params = tuple(inspect.signature(func).parameters)
            self.routes.append(Route(kind, key, func, params, private_only))
            return func

        return register

    def command(self, *names: str, private_only: bool = False) -> Callable[[Handler], Handler]:
        """A /command (several names may share a handler)."""

        def register(func: Handler) -> Handler:
            for name in names:
                self._add("command", name, private_only)(func)
            return func

        return register

    def callback(self, prefix: str) -> Callable[[Handler], Handler]:
        """Button presses whose data starts with `prefix:`."""
        return self._add("callback", prefix)

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
            route = self.callbacks.get(event.data.split(":", 1)[0])
            if route is None:
                data["replies"].answer(t("error-stale-button"), alert=True)
                return
            self.call(route, data)
            return
        if event.command is not None:
            route = self.commands.get(event.command)
            if route is not None and (event.chat.private or not route.private_only):
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

    def call(self, route: Route, data: dict[str, Any]) -> Any:
        try:
            kwargs = {name: data[name] for name in route.params}
        except KeyError as missing:
            raise TypeError(f"handler {route.func.__qualname__} needs {missing}") from None
        return route.func(**kwargs)
