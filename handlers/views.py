"""How tickets read on a phone: the card, the list line, the buttons each person gets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from sqlmodel import Session

from domain import access
from domain.clock import Clock
from domain.lifecycle import Action, Actor, allowed
from domain.tickets import RATINGS, TicketDesk, deadline_of, overdue
from handlers.callbacks import Between, Callback, OneOf, Ref, Token, Version, rows
from handlers.events import Button, T, t
from nlp import mask_pii
from storage.models import (
    Building,
    Community,
    Compound,
    Department,
    Grid,
    Person,
    Ticket,
    TicketState,
)

TicketId = Annotated[int, Ref(Ticket)]
TicketVerb = Literal["acc", "note", "res", "esc", "trf", "sup", "rcl", "ras", "wd"]

# --- the ticket buttons' data ----------------------------------------------------------------


@dataclass(frozen=True)
class TicketMove(Callback, prefix="tk"):
    """A button on a ticket's card (the verbs are _BUTTONS' below)."""

    verb: TicketVerb
    ticket: TicketId
    version: Version


@dataclass(frozen=True)
class ToGrid(Callback, prefix="tk:tg"):
    """Transfer the ticket to another grid of its community."""

    ticket: TicketId
    version: Version
    grid: Annotated[int, Ref(Grid)]


@dataclass(frozen=True)
class ToDepartment(Callback, prefix="tk:td"):
    """Transfer the ticket to a department."""

    ticket: TicketId
    version: Version
    department: Annotated[int, Ref(Department)]


@dataclass(frozen=True)
class Reclassify(Callback, prefix="tk:rc"):
    """Give the ticket another category (checked against the classifier's categories)."""

    ticket: TicketId
    version: Version
    category: Annotated[str, Token(36)]  # what fits beside two ids in Telegram's 64 bytes


@dataclass(frozen=True)
class Reassign(Callback, prefix="tk:ra"):
    """Hand the ticket to another grid worker or staff member of its community."""

    ticket: TicketId
    version: Version
    assignee: Annotated[int, Ref(Person)]


@dataclass(frozen=True)
class Rate(Callback, prefix="rt"):
    """The reporter rates the result."""

    ticket: TicketId
    version: Version
    rating: Annotated[str, OneOf(RATINGS)]


@dataclass(frozen=True)
class ViewTicket(Callback, prefix="tv"):
    """Open a ticket's card."""

    ticket: TicketId


@dataclass(frozen=True)
class WorklistPage(Callback, prefix="tl"):
    """A page of the worklist."""

    page: Annotated[int, Between(0, 10_000)]


def name_of(place: Community | Compound | Building, lang: str) -> str:
    """A place's name in the reader's language (Chinese when no English name is given)."""
    return place.name_en if lang == "en" and place.name_en else place.name


def category(code: str) -> T:
    return t(f"category-{code}")


def place(session: Session, ticket: Ticket) -> T:
    if ticket.building_id is None:
        community = session.get_one(Community, ticket.community_id)
        return t("place-community", community=community.name)
    building = session.get_one(Building, ticket.building_id)
    compound = session.get_one(Compound, building.compound_id)
    community = session.get_one(Community, compound.community_id)
    return t(
        "place-building", community=community.name, compound=compound.name, building=building.name
    )


def status(ticket: Ticket) -> T:
    return t(f"state-{ticket.state}")


def deadline_line(ticket: Ticket, clock: Clock) -> T | str:
    """The deadline the holder must meet next; nothing once the ticket is resolved."""
    if ticket.state not in (TicketState.OPEN, TicketState.IN_PROGRESS):
        return ""
    key = "deadline-respond" if ticket.state == TicketState.OPEN else "deadline-resolve"
    late = overdue(ticket, clock.now())
    return t(key + ("-overdue" if late else ""), when=deadline_of(ticket))


def card(session: Session, ticket: Ticket, clock: Clock, *, for_staff: bool) -> T:
    """The whole ticket; the reporter's name and text only for staff."""
    reporter = session.get_one(Person, ticket.reporter_id)
    assignee = session.get(Person, ticket.assignee_id) if ticket.assignee_id else None
    return t(
        "ticket-card-staff" if for_staff else "ticket-card",
        number=ticket.number,
        urgency=t(f"urgency-{ticket.urgency}"),
        category=category(ticket.category),
        request_type=t(f"request-{ticket.request_type}") if ticket.request_type else "",
        place=place(session, ticket),
        reporter=reporter.name or "-",
        text=ticket.text if for_staff else mask_pii(ticket.text),
        state=status(ticket),
        level=t(f"level-{ticket.level}"),
        assignee=assignee.name if assignee else "-",
        deadline=deadline_line(ticket, clock),
        households=ticket.households,
    )


def line(ticket: Ticket, clock: Clock) -> T:
    """One ticket in a list."""
    return t(
        "ticket-line",
        number=ticket.number,
        category=category(ticket.category),
        urgency=t(f"urgency-{ticket.urgency}"),
        state=status(ticket),
        deadline=deadline_line(ticket, clock),
    )


_BUTTONS: list[tuple[Action, TicketVerb, str]] = [
    (Action.ACCEPT, "acc", "btn-accept"),
    (Action.NOTE, "note", "btn-note"),
    (Action.RESOLVE, "res", "btn-resolve"),
    (Action.ESCALATE, "esc", "btn-escalate"),
    (Action.TRANSFER, "trf", "btn-transfer"),
    (Action.SUPERVISE, "sup", "btn-supervise"),
    (Action.RECLASSIFY, "rcl", "btn-reclassify"),
    (Action.REASSIGN, "ras", "btn-reassign"),
    (Action.WITHDRAW, "wd", "btn-withdraw"),
]


VERBS = {verb: action for action, verb, _ in _BUTTONS}


def capacities(desk: TicketDesk, ticket: Ticket, person: Person) -> set[Actor]:
    """In which capacities `person` acts on `ticket` (domain.access)."""
    return access.Access(desk.session).capacities(access.who(desk.session, person), ticket)


def actions(desk: TicketDesk, ticket: Ticket, person: Person) -> list[list[Button]]:
    """The buttons for what this person may do with this ticket now, two to a row."""
    held = capacities(desk, ticket, person)
    possible = set(allowed(ticket.state, held))
    if ticket.level == "subdistrict" or ticket.level == "department":
        possible.discard(Action.ESCALATE)
    if Actor.ASSIGNEE not in held and Actor.STAFF not in held:
        possible -= {Action.NOTE, Action.RESOLVE}
    buttons = [
        Button(t(key), TicketMove(verb, _id(ticket), ticket.version).pack())
        for action, verb, key in _BUTTONS
        if action in possible
    ]
    if ticket.state == TicketState.RESOLVED and Actor.REPORTER in held:
        return rating_buttons(ticket)
    return rows(buttons)


def rating_buttons(ticket: Ticket) -> list[list[Button]]:
    return [
        [Button(t(f"rating-{r}"), Rate(_id(ticket), ticket.version, r).pack()) for r in RATINGS]
    ]


def view_button(ticket: Ticket, label: T | str | None = None) -> Button:
    """A button that opens the ticket's card."""
    return Button(label or ticket.number, ViewTicket(_id(ticket)).pack())


def _id(ticket: Ticket) -> int:
    assert ticket.id is not None
    return ticket.id
