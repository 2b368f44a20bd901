"""The domain services for one event, built on its session (the handlers name what they need)."""

from __future__ import annotations

from typing import Any

from domain.access import Access
from domain.tickets import TicketDesk
from handlers.dispatch import Next
from handlers.events import Event
from handlers.notify import Notifier
from handlers.reporting import Filing


def services(event: Event, data: dict[str, Any], call_next: Next) -> None:
    desk = TicketDesk(data["session"], data["clock"], data["policy"], data["tz"])
    notifier = Notifier(data["session"], desk, data["replies"], data["clock"])
    data["desk"] = desk
    data["access"] = Access(data["session"])
    data["notifier"] = notifier
    data["filing"] = Filing(
        data["session"],
        desk,
        notifier,
        data["classifier"],
        data["replies"],
        data["clock"],
        data["emergency"],
        data["same_problem"],
        data.get("flood"),
    )
    call_next()
