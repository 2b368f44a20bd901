"""Working a ticket in chat: the card and its buttons, notes, resolution, rating, the lists."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from domain.clock import Clock
from domain.lifecycle import Actor, Refused
from domain.tickets import RATINGS, Change, TicketDesk, overdue
from handlers.asking import ask
from handlers.dispatch import Router
from handlers.events import Button, Message, Press, t
from handlers.notify import Notifier
from handlers.replies import Replies
from handlers.views import actions, card, line, token
from storage import org
from storage.models import (
    Conversation,
    Department,
    Grid,
    Person,
    RoleGrant,
    ScopeKind,
    Ticket,
)

router = Router("tickets")

PAGE = 8
ASK_TIMEOUT = timedelta(hours=2)
NOTE_LIMIT = 1000


def _can_view(desk: TicketDesk, ticket: Ticket, person: Person, grants: list[RoleGrant]) -> bool:
    if desk.capacities(ticket, person):
        return True
    if any(f.id == person.id for f in desk.followers(ticket)):
        return True
    return any(
        g.role == "grid_worker" and g.scope_kind == ScopeKind.GRID and g.scope_id == ticket.grid_id
        for g in grants
    )


def _is_staff_view(
    desk: TicketDesk, ticket: Ticket, person: Person, grants: list[RoleGrant]
) -> bool:
    capacities = desk.capacities(ticket, person)
    return bool(capacities & {Actor.ASSIGNEE, Actor.STAFF}) or any(
        g.role == "grid_worker" and g.scope_id == ticket.grid_id for g in grants
    )


def show(
    replies: Replies,
    session: Session,
    desk: TicketDesk,
    clock: Clock,
    ticket: Ticket,
    person: Person,
    grants: list[RoleGrant],
    *,
    edit: bool,
) -> None:
    staff = _is_staff_view(desk, ticket, person, grants)
    body = card(session, ticket, clock, for_staff=staff)
    buttons = actions(desk, ticket, person)
    (replies.edit if edit else replies.reply)(body, buttons)


# --- the card's buttons ------------------------------------------------------------------------


@router.callback("tk")
def ticket_button(
    event: Press,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    desk: TicketDesk,
    notifier: Notifier,
    clock: Clock,
    categories: tuple[str, ...],
) -> None:
    """tk:<verb>:<ticket id>:<version>[:<argument>]."""
    parts = event.data.split(":")
    if len(parts) < 4 or not parts[2].isdigit() or not parts[3].isdigit():
        replies.answer(t("error-stale-button"), alert=True)
        return
    verb, ticket_id, version = parts[1], int(parts[2]), int(parts[3])
    argument = parts[4] if len(parts) > 4 else ""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        replies.answer(t("error-stale-button"), alert=True)
        return
    if not desk.capacities(ticket, person):
        replies.answer(t("error-not-yours"), alert=True)
        return
    if ticket.version != version:
        replies.answer(t("error-ticket-changed"), alert=True)
        show(replies, session, desk, clock, ticket, person, grants, edit=True)
        return
    try:
        change = _apply(verb, argument, ticket, event, session, person, replies, desk, categories)
    except Refused as refused:
        replies.answer(t(refused.reason, **refused.params), alert=True)
        show(replies, session, desk, clock, ticket, person, grants, edit=True)
        return
    if change is None:
        return
    notifier.announce(change, person)
    replies.answer(t(f"done-{change.event.action}", number=ticket.number))
    show(replies, session, desk, clock, ticket, person, grants, edit=True)


def _apply(
    verb: str,
    argument: str,
    ticket: Ticket,
    event: Press,
    session: Session,
    person: Person,
    replies: Replies,
    desk: TicketDesk,
    categories: tuple[str, ...],
) -> Change | None:
    """Carry out one button; None when it only asked a question."""
    if verb == "acc":
        return desk.accept(ticket, person)
    if verb == "esc":
        return desk.escalate(ticket, person)
    if verb == "sup":
        return desk.supervise(ticket, person)
    if verb == "wd":
        return desk.withdraw(ticket, person)
    if verb in ("note", "res"):
        desk.capacities(ticket, person)  # the move itself is checked when the text arrives
        kind = "note" if verb == "note" else "resolve"
        data = {"ticket": ticket.id, "version": ticket.version}
        ask(session, event.sender.id, kind, data, desk.clock.now() + ASK_TIMEOUT)
        replies.answer()
        replies.reply(t(f"ask-{kind}", number=ticket.number), [[Button(t("btn-cancel"), "cx")]])
        return None
    if verb == "trf":
        replies.answer()
        replies.edit(t("pick-transfer", number=ticket.number), _transfer_choices(session, ticket))
        return None
    if verb == "tg" and argument.isdigit() and (grid := session.get(Grid, int(argument))):
        return desk.transfer_to_grid(ticket, person, grid)
    if verb == "td" and argument.isdigit() and (dept := session.get(Department, int(argument))):
        return desk.transfer_to_department(ticket, person, dept)
    if verb == "rcl":
        replies.answer()
        buttons = [
            Button(t(f"category-{code}"), f"tk:rc:{token(ticket)}:{code}") for code in categories
        ]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        rows.append([Button(t("btn-back"), f"tv:{ticket.id}")])
        replies.edit(t("pick-category", number=ticket.number), rows)
        return None
    if verb == "rc" and argument in categories:
        return desk.reclassify(ticket, person, argument)
    if verb == "ras":
        replies.answer()
        replies.edit(t("pick-assignee", number=ticket.number), _assignee_choices(session, ticket))
        return None
    if verb == "ra" and argument.isdigit() and (assignee := session.get(Person, int(argument))):
        return desk.reassign(ticket, person, assignee)
    raise Refused("error-stale-button")


def _transfer_choices(session: Session, ticket: Ticket) -> list[list[Button]]:
    grids = session.exec(
        select(Grid).where(Grid.community_id == ticket.community_id).order_by(col(Grid.id))
    ).all()
    departments = session.exec(select(Department).order_by(col(Department.id))).all()
    buttons = [
        Button(g.name, f"tk:tg:{token(ticket)}:{g.id}") for g in grids if g.id != ticket.grid_id
    ]
    buttons += [Button(d.name, f"tk:td:{token(ticket)}:{d.id}") for d in departments]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([Button(t("btn-back"), f"tv:{ticket.id}")])
    return rows


def _assignee_choices(session: Session, ticket: Ticket) -> list[list[Button]]:
    people: list[Person] = []
    for grid in session.exec(select(Grid).where(Grid.community_id == ticket.community_id)).all():
        people += org.holders(session, "grid_worker", ScopeKind.GRID, grid.id)
    people += org.holders(session, "community_staff", ScopeKind.COMMUNITY, ticket.community_id)
    seen: set[int | None] = {ticket.assignee_id}
    buttons = []
    for p in people:
        if p.id not in seen:
            seen.add(p.id)
            buttons.append(Button(p.name, f"tk:ra:{token(ticket)}:{p.id}"))
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([Button(t("btn-back"), f"tv:{ticket.id}")])
    return rows


@router.callback("tv")
def view_button(
    event: Press,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    desk: TicketDesk,
    clock: Clock,
) -> None:
    raw = event.data.split(":", 1)[1]
    ticket = session.get(Ticket, int(raw)) if raw.isdigit() else None
    if ticket is None or not _can_view(desk, ticket, person, grants):
        replies.answer(t("error-not-yours"), alert=True)
        return
    replies.answer()
    show(replies, session, desk, clock, ticket, person, grants, edit=event.chat.private)


@router.callback("cx")
def cancel_button(
    event: Press, session: Session, pending: Conversation | None, replies: Replies
) -> None:
    if pending is not None:
        session.delete(pending)
    replies.answer(t("cancelled"))
    replies.edit(t("cancelled"))


@router.command("cancel", private_only=True)
def cancel(session: Session, pending: Conversation | None, replies: Replies) -> None:
    if pending is not None:
        session.delete(pending)
    replies.reply(t("cancelled"))


# --- answers to the bot's questions ----------------------------------------------------------


@router.awaiting("note")
@router.awaiting("resolve")
def answered(
    event: Message,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    pending: Conversation,
    replies: Replies,
    desk: TicketDesk,
    notifier: Notifier,
    clock: Clock,
) -> None:
    text = event.text.strip()
    if not text:
        replies.reply(t("ask-need-text"))
        return
    if len(text) > NOTE_LIMIT:
        replies.reply(t("ask-too-long", limit=NOTE_LIMIT))
        return
    ticket = session.get(Ticket, int(pending.data.get("ticket", 0)))
    session.delete(pending)
    if ticket is None:
        replies.reply(t("error-stale-button"))
        return
    try:
        if pending.kind == "note":
            change = desk.note(ticket, person, text)
        else:
            change = desk.resolve(ticket, person, text)
            if event.photo:
                change.event.data = {**change.event.data, "photo": event.photo}
    except Refused as refused:
        replies.reply(t(refused.reason, **refused.params))
        return
    notifier.announce(change, person)
    replies.reply(t(f"done-{change.event.action}", number=ticket.number))
    show(replies, session, desk, clock, ticket, person, grants, edit=False)


# --- rating ------------------------------------------------------------------------------------


@router.callback("rt")
def rate_button(
    event: Press,
    session: Session,
    person: Person,
    replies: Replies,
    desk: TicketDesk,
    notifier: Notifier,
) -> None:
    """rt:<ticket id>:<version>:<rating>."""
    parts = event.data.split(":")
    if len(parts) != 4 or not parts[1].isdigit() or parts[3] not in RATINGS:
        replies.answer(t("error-stale-button"), alert=True)
        return
    ticket = session.get(Ticket, int(parts[1]))
    if ticket is None:
        replies.answer(t("error-stale-button"), alert=True)
        return
    if ticket.reporter_id != person.id:
        replies.answer(t("error-not-yours"), alert=True)
        return
    if str(ticket.version) != parts[2]:
        replies.answer(t("error-rating-closed"), alert=True)
        replies.edit(t("rating-closed", number=ticket.number, state=t(f"state-{ticket.state}")))
        return
    try:
        change = desk.rate(ticket, person, parts[3])
    except Refused as refused:
        replies.answer(t(refused.reason, **refused.params), alert=True)
        return
    notifier.announce(change, person)
    replies.answer(t("rating-thanks"))
    key = "rating-reopened" if parts[3] == "dissatisfied" else "rating-recorded"
    replies.edit(t(key, number=ticket.number, rating=t(f"rating-{parts[3]}")))


# --- lists -------------------------------------------------------------------------------------


@router.command("my", private_only=True)
def my_tickets(
    session: Session, person: Person, replies: Replies, desk: TicketDesk, clock: Clock
) -> None:
    tickets = desk.of_reporter(person)
    if not tickets:
        replies.reply(t("my-none"))
        return
    lines = "\n".join(replies.render(line(ticket, clock)) for ticket in tickets)
    buttons = [Button(tk.number, f"tv:{tk.id}") for tk in tickets[:PAGE]]
    replies.reply(
        t("my-list", count=len(tickets), lines=lines),
        [buttons[i : i + 2] for i in range(0, len(buttons), 2)],
    )


@router.command("tickets", private_only=True)
def worklist(
    person: Person, grants: list[RoleGrant], replies: Replies, desk: TicketDesk, clock: Clock
) -> None:
    if not any(g.role != "resident" for g in grants):
        replies.reply(t("error-no-role"))
        return
    _page(replies, desk, clock, person, grants, 0, edit=False)


@router.callback("tl")
def worklist_page(
    event: Press,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    desk: TicketDesk,
    clock: Clock,
) -> None:
    raw = event.data.split(":", 1)[1]
    replies.answer()
    _page(replies, desk, clock, person, grants, int(raw) if raw.isdigit() else 0, edit=True)


def _page(
    replies: Replies,
    desk: TicketDesk,
    clock: Clock,
    person: Person,
    grants: list[RoleGrant],
    page: int,
    *,
    edit: bool,
) -> None:
    tickets = desk.worklist(person, grants)
    if not tickets:
        (replies.edit if edit else replies.reply)(t("tickets-none"))
        return
    pages = (len(tickets) + PAGE - 1) // PAGE
    page = max(0, min(page, pages - 1))
    shown = tickets[page * PAGE : (page + 1) * PAGE]
    lines = "\n".join(replies.render(line(ticket, clock)) for ticket in shown)
    buttons = [Button(tk.number, f"tv:{tk.id}") for tk in shown]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    nav = []
    if page > 0:
        nav.append(Button(t("btn-previous"), f"tl:{page - 1}"))
    if page < pages - 1:
        nav.append(Button(t("btn-next"), f"tl:{page + 1}"))
    if nav:
        rows.append(nav)
    overdue_count = sum(1 for tk in tickets if overdue(tk, clock.now()))
    body = t(
        "tickets-list",
        count=len(tickets),
        overdue=overdue_count,
        page=page + 1,
        pages=pages,
        lines=lines,
    )
    (replies.edit if edit else replies.reply)(body, rows)


@router.command("ticket")
def ticket_command(
    event: Message,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    desk: TicketDesk,
    clock: Clock,
) -> None:
    number = event.args.strip()
    if not number:
        replies.reply(t("ticket-usage"))
        return
    ticket = desk.by_number(number)
    if ticket is None or not _can_view(desk, ticket, person, grants):
        replies.reply(t("ticket-not-found", number=number))
        return
    if not event.chat.private:
        replies.reply(t("ticket-in-private"))
        return
    show(replies, session, desk, clock, ticket, person, grants, edit=False)
