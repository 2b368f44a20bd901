"""Working a ticket in chat: the card and its buttons, notes, resolution, rating, the lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial

from sqlmodel import Session, col, select

from domain.access import Access, Do, Handover, Who
from domain.clock import Clock
from domain.lifecycle import Refused, check
from domain.tickets import Change, TicketDesk, overdue
from handlers import arguments
from handlers.asking import Cancel, ask
from handlers.callbacks import rows
from handlers.dispatch import Router
from handlers.events import Button, Message, Press, t
from handlers.notify import Notifier
from handlers.replies import Replies, refusal
from handlers.views import (
    VERBS,
    Rate,
    Reassign,
    Reclassify,
    TicketMove,
    ToDepartment,
    ToGrid,
    ViewTicket,
    WorklistPage,
    actions,
    capacities,
    card,
    line,
    view_button,
)
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


def show(
    replies: Replies, desk: TicketDesk, clock: Clock, ticket: Ticket, who: Who, *, edit: bool
) -> None:
    """The card as this person may see it, with the buttons for what they may do now."""
    staff = Access(desk.session).can(who, Do.SEE_PRIVATE, ticket)
    body = card(desk.session, ticket, clock, for_staff=staff)
    buttons = actions(desk, ticket, who.person)
    (replies.edit if edit else replies.reply)(body, buttons)


# --- the card's buttons ------------------------------------------------------------------------


def changed(ticket: Ticket, who: Who, replies: Replies, desk: TicketDesk, clock: Clock) -> None:
    """A button from before the ticket's last step: say so and show the card as it is now."""
    replies.answer(t("error-ticket-changed"), alert=True)
    show(replies, desk, clock, ticket, who, edit=True)


def _carry_out(
    move: Callable[[], Change],
    ticket: Ticket,
    who: Who,
    replies: Replies,
    desk: TicketDesk,
    notifier: Notifier,
    clock: Clock,
) -> None:
    """Make one move, tell whom it concerns, and refresh the card (also when refused)."""
    try:
        change = move()
    except Refused as refused:
        replies.answer(refusal(refused), alert=True)
        show(replies, desk, clock, ticket, who, edit=True)
        return
    notifier.announce(change, who.person)
    replies.answer(t(f"done-{change.event.action}", number=ticket.number))
    show(replies, desk, clock, ticket, who, edit=True)


@router.callback(TicketMove, may=Do.WORK, stale=changed)
def ticket_button(
    button: TicketMove,
    ticket: Ticket,
    event: Press,
    session: Session,
    who: Who,
    replies: Replies,
    desk: TicketDesk,
    notifier: Notifier,
    clock: Clock,
    categories: tuple[str, ...],
) -> None:
    """A button on the card: a move at once, or a question or a menu first."""
    person = who.person
    moves = {"acc": desk.accept, "esc": desk.escalate, "sup": desk.supervise, "wd": desk.withdraw}
    if button.verb in moves:
        move = partial(moves[button.verb], ticket, person)
        _carry_out(move, ticket, who, replies, desk, notifier, clock)
        return
    try:  # the question or menu only for someone who may make the move now
        check(VERBS[button.verb], ticket.state, capacities(desk, ticket, person))
    except Refused as refused:
        replies.answer(refusal(refused), alert=True)
        show(replies, desk, clock, ticket, who, edit=True)
        return
    replies.answer()
    if button.verb in ("note", "res"):
        kind = "note" if button.verb == "note" else "resolve"
        data = {"ticket": ticket.id, "version": ticket.version}
        ask(session, event.sender.id, kind, data, clock.now() + ASK_TIMEOUT)
        replies.reply(
            t(f"ask-{kind}", number=ticket.number), [[Button(t("btn-cancel"), Cancel().pack())]]
        )
    elif button.verb == "trf":
        replies.edit(t("pick-transfer", number=ticket.number), _transfer_choices(session, ticket))
    elif button.verb == "rcl":
        picks = [Reclassify(button.ticket, ticket.version, code) for code in categories]
        choices = [  # a code the rules file made too long for a button stays off the menu
            Button(t(f"category-{p.category}"), p.pack()) for p in picks if p.fits()
        ]
        replies.edit(t("pick-category", number=ticket.number), _with_back(choices, ticket))
    elif button.verb == "ras":
        replies.edit(t("pick-assignee", number=ticket.number), _assignee_choices(session, ticket))


@router.callback(ToGrid, may=Do.WORK, stale=changed)
def to_grid(
    ticket: Ticket,
    grid: Grid,
    who: Who,
    access: Access,
    replies: Replies,
    desk: TicketDesk,
    notifier: Notifier,
    clock: Clock,
) -> None:
    access.check(who, Do.TRANSFER, Handover(ticket, grid))
    move = partial(desk.transfer_to_grid, ticket, who.person, grid)
    _carry_out(move, ticket, who, replies, desk, notifier, clock)


@router.callback(ToDepartment, may=Do.WORK, stale=changed)
def to_department(
    ticket: Ticket,
    department: Department,
    who: Who,
    replies: Replies,
    desk: TicketDesk,
    notifier: Notifier,
    clock: Clock,
) -> None:
    move = partial(desk.transfer_to_department, ticket, who.person, department)
    _carry_out(move, ticket, who, replies, desk, notifier, clock)


@router.callback(Reclassify, may=Do.WORK, stale=changed)
def reclassify(
    button: Reclassify,
    ticket: Ticket,
    who: Who,
    replies: Replies,
    desk: TicketDesk,
    notifier: Notifier,
    clock: Clock,
    categories: tuple[str, ...],
) -> None:
    if button.category not in categories:
        raise Refused("error-stale-button")
    move = partial(desk.reclassify, ticket, who.person, button.category)
    _carry_out(move, ticket, who, replies, desk, notifier, clock)


@router.callback(Reassign, may=Do.WORK, stale=changed)
def reassign(
    ticket: Ticket,
    assignee: Person,
    who: Who,
    access: Access,
    replies: Replies,
    desk: TicketDesk,
    notifier: Notifier,
    clock: Clock,
) -> None:
    access.check(who, Do.ASSIGN, Handover(ticket, assignee))
    move = partial(desk.reassign, ticket, who.person, assignee)
    _carry_out(move, ticket, who, replies, desk, notifier, clock)


def _with_back(buttons: list[Button], ticket: Ticket) -> list[list[Button]]:
    return [*rows(buttons), [view_button(ticket, t("btn-back"))]]


def _transfer_choices(session: Session, ticket: Ticket) -> list[list[Button]]:
    assert ticket.id is not None
    grids = session.exec(
        select(Grid).where(Grid.community_id == ticket.community_id).order_by(col(Grid.id))
    ).all()
    departments = session.exec(select(Department).order_by(col(Department.id))).all()
    buttons = [
        Button(g.name, ToGrid(ticket.id, ticket.version, g.id or 0).pack())
        for g in grids
        if g.id != ticket.grid_id
    ]
    buttons += [
        Button(d.name, ToDepartment(ticket.id, ticket.version, d.id or 0).pack())
        for d in departments
    ]
    return _with_back(buttons, ticket)


def _assignee_choices(session: Session, ticket: Ticket) -> list[list[Button]]:
    assert ticket.id is not None
    people: list[Person] = []
    for grid in session.exec(select(Grid).where(Grid.community_id == ticket.community_id)).all():
        people += org.holders(session, "grid_worker", ScopeKind.GRID, grid.id)
    people += org.holders(session, "community_staff", ScopeKind.COMMUNITY, ticket.community_id)
    seen: set[int | None] = {ticket.assignee_id}
    buttons = []
    for p in people:
        if p.id not in seen:
            seen.add(p.id)
            buttons.append(Button(p.name, Reassign(ticket.id, ticket.version, p.id or 0).pack()))
    return _with_back(buttons, ticket)


@router.callback(ViewTicket, may=Do.SEE)
def view_ticket(
    event: Press, ticket: Ticket, who: Who, replies: Replies, desk: TicketDesk, clock: Clock
) -> None:
    replies.answer()
    show(replies, desk, clock, ticket, who, edit=event.chat.private)


@router.callback(Cancel)
def cancel_button(session: Session, pending: Conversation | None, replies: Replies) -> None:
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
    who: Who,
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
        replies.reply(refusal(refused))
        return
    notifier.announce(change, person)
    replies.reply(t(f"done-{change.event.action}", number=ticket.number))
    show(replies, desk, clock, ticket, who, edit=False)


# --- rating ------------------------------------------------------------------------------------


def rating_closed(ticket: Ticket, replies: Replies) -> None:
    """A rating button from before the ticket moved on (reopened, closed, rated)."""
    replies.answer(t("error-rating-closed"), alert=True)
    replies.edit(t("rating-closed", number=ticket.number, state=t(f"state-{ticket.state}")))


@router.callback(Rate, may=Do.RATE, stale=rating_closed)
def rate_button(
    button: Rate,
    ticket: Ticket,
    person: Person,
    replies: Replies,
    desk: TicketDesk,
    notifier: Notifier,
) -> None:
    change = desk.rate(ticket, person, button.rating)
    notifier.announce(change, person)
    replies.answer(t("rating-thanks"))
    key = "rating-reopened" if button.rating == "dissatisfied" else "rating-recorded"
    replies.edit(t(key, number=ticket.number, rating=t(f"rating-{button.rating}")))


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
    buttons = [view_button(tk) for tk in tickets[:PAGE]]
    replies.reply(t("my-list", count=len(tickets), lines=lines), rows(buttons))


@router.command("tickets", private_only=True, may=Do.WORKLIST)
def worklist(
    person: Person, grants: list[RoleGrant], replies: Replies, desk: TicketDesk, clock: Clock
) -> None:
    _page(replies, desk, clock, person, grants, 0, edit=False)


@router.callback(WorklistPage, may=Do.WORKLIST)
def worklist_page(
    button: WorklistPage,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    desk: TicketDesk,
    clock: Clock,
) -> None:
    replies.answer()
    _page(replies, desk, clock, person, grants, button.page, edit=True)


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
    listed = rows(view_button(tk) for tk in shown)
    nav = []
    if page > 0:
        nav.append(Button(t("btn-previous"), WorklistPage(page - 1).pack()))
    if page < pages - 1:
        nav.append(Button(t("btn-next"), WorklistPage(page + 1).pack()))
    if nav:
        listed.append(nav)
    overdue_count = sum(1 for tk in tickets if overdue(tk, clock.now()))
    body = t(
        "tickets-list",
        count=len(tickets),
        overdue=overdue_count,
        page=page + 1,
        pages=pages,
        lines=lines,
    )
    (replies.edit if edit else replies.reply)(body, listed)


@router.command("ticket")
def ticket_command(
    event: Message, who: Who, access: Access, replies: Replies, desk: TicketDesk, clock: Clock
) -> None:
    """/ticket NUMBER: the card, for those who may see it, in private."""
    if not event.args.strip():
        replies.reply(t("ticket-usage"))
        return
    number = arguments.number(event.args)
    ticket = desk.by_number(number) if number else None
    if ticket is None or not access.can(who, Do.SEE, ticket):
        replies.reply(t("ticket-not-found", number=number or arguments.plain(event.args)[:40]))
        return
    if not event.chat.private:
        replies.reply(t("ticket-in-private"))
        return
    show(replies, desk, clock, ticket, who, edit=False)
