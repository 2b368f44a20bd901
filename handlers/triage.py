"""Staff triage of shared problems: merge duplicates, split a report out, the weekly hot list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from domain.access import Access, Do, Who
from domain.clock import Clock
from domain.figures import Month, Scope, month_figures, visible
from domain.lists import problems
from domain.same_problem import SameProblemPolicy
from domain.tickets import TicketDesk
from handlers import arguments, figures_view
from handlers.callbacks import Callback, Ref, Version
from handlers.dispatch import Router
from handlers.events import Button, Message, t
from handlers.notify import Notifier
from handlers.replies import Replies
from handlers.reporting import Classifier
from handlers.views import TicketId
from storage.models import Person, Report, Ticket

router = Router("triage")


@dataclass(frozen=True)
class SplitPick(Callback, prefix="sp"):
    """Take this neighbour's report out of the shared ticket."""

    ticket: TicketId
    version: Version
    report: Annotated[int, Ref(Report)]


def _triaged(desk: TicketDesk, access: Access, who: Who, raw: str) -> Ticket | None:
    """The ticket a number names, if this staff member may merge or split it."""
    number = arguments.number(raw)
    ticket = desk.by_number(number) if number else None
    return ticket if ticket is not None and access.can(who, Do.TRIAGE, ticket) else None


@router.command("merge", private_only=True, may=Do.TRIAGE)
def merge(
    event: Message,
    who: Who,
    access: Access,
    replies: Replies,
    desk: TicketDesk,
    notifier: Notifier,
    same_problem: SameProblemPolicy,
) -> None:
    """/merge KEEP DUPLICATE: fold the second ticket into the first."""
    numbers = event.args.split()
    if len(numbers) != 2:
        replies.reply(t("merge-usage"))
        return
    target, source = (_triaged(desk, access, who, n) for n in numbers)
    if target is None or source is None:
        missing = numbers[0] if target is None else numbers[1]
        replies.reply(t("ticket-not-found", number=arguments.plain(missing)[:40]))
        return
    change = desk.merge(target, source, who.person, same_problem.key_households)
    notifier.announce(change, who.person)
    replies.reply(
        t("merge-done", source=source.number, target=target.number, households=target.households)
    )


@router.command("split", private_only=True, may=Do.TRIAGE)
def split(
    event: Message, session: Session, who: Who, access: Access, replies: Replies, desk: TicketDesk
) -> None:
    """/split NUMBER: pick one neighbour's report to take out into a ticket of its own."""
    if not event.args.strip():
        replies.reply(t("split-usage"))
        return
    ticket = _triaged(desk, access, who, event.args)
    if ticket is None or ticket.id is None:
        replies.reply(t("ticket-not-found", number=arguments.plain(event.args)[:40]))
        return
    reports = session.exec(
        select(Report)
        .where(Report.ticket_id == ticket.id, Report.person_id != ticket.reporter_id)
        .order_by(col(Report.id))
    ).all()
    if not reports:
        replies.reply(t("split-nothing", number=ticket.number))
        return
    lines = []
    buttons = []
    for index, report in enumerate(reports, start=1):
        neighbour = session.get(Person, report.person_id) if report.person_id else None
        name = neighbour.name if neighbour else "-"
        lines.append(f"{index}. {name}: {report.text[:80]}")
        pick = SplitPick(ticket.id, ticket.version, report.id or 0)
        buttons.append([Button(f"{index}. {name}", pick.pack())])
    replies.reply(t("split-pick", number=ticket.number, lines="\n".join(lines)), buttons)


@router.callback(SplitPick, may=Do.TRIAGE)
def split_pick(
    ticket: Ticket,
    report: Report,
    session: Session,
    person: Person,
    replies: Replies,
    desk: TicketDesk,
    notifier: Notifier,
    classifier: Classifier,
) -> None:
    change = desk.split(ticket, report, person, classifier.classify(report.text))
    new = change.ticket
    reporter = session.get_one(Person, new.reporter_id)
    replies.to(reporter, t("notify-split", old=ticket.number, number=new.number))
    if new.assignee_id is not None:
        notifier.ping(
            session.get_one(Person, new.assignee_id),
            new,
            t("ping-new", urgency=t(f"urgency-{new.urgency}")),
        )
    replies.answer(t("split-done", number=new.number))
    replies.edit(t("split-done", number=new.number))


@router.command("stats", private_only=True, may=Do.FIGURES)
def stats(
    event: Message, who: Who, replies: Replies, session: Session, clock: Clock, tz: ZoneInfo
) -> None:
    """A month's response, resolution and satisfaction rates per community (/stats 2026-11)."""
    try:
        month = Month.parse(event.args) if event.args.strip() else Month.of(clock.now(), tz)
    except ValueError:
        replies.reply(t("stats-usage"))
        return
    scope = Scope(seen=visible(list(who.grants)))
    rows = month_figures(session, month, tz, scope, clock.now(), ("community",)).units["community"]
    if not rows:
        replies.reply(t("stats-none", month=str(month)))
        return
    lines = "\n".join(replies.render(figures_view.rates_line(row, row.name)) for row in rows)
    replies.reply(
        t("stats-list", month=str(month), lines=lines, definitions=figures_view.definitions())
    )


@router.command("hot", private_only=True, may=Do.FIGURES)
def hot(who: Who, replies: Replies, session: Session, clock: Clock) -> None:
    """The week's most frequent problems in the places this staff member oversees."""
    since = clock.now() - timedelta(days=7)
    rows = problems(
        session,
        Scope(seen=visible(list(who.grants))),
        staff=True,
        now=clock.now(),
        opened_since=since,
        open_only=False,
        limit=10,
    )
    if not rows:
        replies.reply(t("hot-none"))
        return
    lines = "\n".join(replies.render(line) for line in figures_view.problem_lines(rows))
    replies.reply(t("hot-list", since=since, lines=lines))
