"""How tickets read on a phone: the card, the list line, the buttons each person gets."""

from __future__ import annotations

from sqlmodel import Session

from domain.clock import Clock
from domain.lifecycle import Action, Actor, allowed
from domain.tickets import TicketDesk, deadline_of, overdue
from handlers.events import Button, T, t
from nlp import mask_pii
from storage.models import Building, Community, Compound, Person, Ticket, TicketState


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


def token(ticket: Ticket) -> str:
    """Identifies a ticket at one version: a button from before a change is refused as stale."""
    return f"{ticket.id}:{ticket.version}"


_BUTTONS: list[tuple[Action, str, str]] = [
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


def actions(desk: TicketDesk, ticket: Ticket, person: Person) -> list[list[Button]]:
    """The buttons for what this person may do with this ticket now, two to a row."""
    capacities = desk.capacities(ticket, person)
    possible = set(allowed(ticket.state, capacities))
    if ticket.level == "subdistrict" or ticket.level == "department":
        possible.discard(Action.ESCALATE)
    if Actor.ASSIGNEE not in capacities and Actor.STAFF not in capacities:
        possible -= {Action.NOTE, Action.RESOLVE}
    buttons = [
        Button(t(key), f"tk:{verb}:{token(ticket)}")
        for action, verb, key in _BUTTONS
        if action in possible
    ]
    if ticket.state == TicketState.RESOLVED and Actor.REPORTER in capacities:
        return rating_buttons(ticket)
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def rating_buttons(ticket: Ticket) -> list[list[Button]]:
    return [
        [
            Button(t(f"rating-{r}"), f"rt:{token(ticket)}:{r}")
            for r in ("satisfied", "basic", "dissatisfied")
        ]
    ]
