"""Staff triage of shared problems: merge duplicates, split a report out, the weekly hot list."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from domain.clock import Clock
from domain.figures import Month, Scope, month_figures, visible
from domain.lifecycle import Refused
from domain.lists import problems
from domain.same_problem import SameProblemPolicy
from domain.tickets import TicketDesk
from handlers import figures_view
from handlers.dispatch import Router
from handlers.events import Button, Message, Press, t
from handlers.notify import Notifier
from handlers.replies import Replies
from handlers.reporting import Classifier
from handlers.views import token
from storage.models import Person, Report, RoleGrant, Ticket

router = Router("triage")
STAFF = ("community_staff", "subdistrict_staff", "admin")


def _staff(grants: list[RoleGrant]) -> bool:
    return any(g.role in STAFF for g in grants)


@router.command("merge", private_only=True)
def merge(
    event: Message,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    desk: TicketDesk,
    notifier: Notifier,
    same_problem: SameProblemPolicy,
) -> None:
    """/merge KEEP DUPLICATE: fold the second ticket into the first."""
    if not _staff(grants):
        replies.reply(t("error-no-role"))
        return
    numbers = event.args.split()
    if len(numbers) != 2:
        replies.reply(t("merge-usage"))
        return
    target, source = desk.by_number(numbers[0]), desk.by_number(numbers[1])
    if target is None or source is None:
        missing = numbers[0] if target is None else numbers[1]
        replies.reply(t("ticket-not-found", number=missing))
        return
    try:
        change = desk.merge(target, source, person, same_problem.key_households)
    except Refused as refused:
        replies.reply(t(refused.reason, **refused.params))
        return
    notifier.announce(change, person)
    replies.reply(
        t("merge-done", source=source.number, target=target.number, households=target.households)
    )


@router.command("split", private_only=True)
def split(
    event: Message, session: Session, grants: list[RoleGrant], replies: Replies, desk: TicketDesk
) -> None:
    """/split NUMBER: pick one neighbour's report to take out into a ticket of its own."""
    if not _staff(grants):
        replies.reply(t("error-no-role"))
        return
    ticket = desk.by_number(event.args.strip()) if event.args.strip() else None
    if ticket is None:
        replies.reply(t("split-usage"))
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
        who = session.get(Person, report.person_id) if report.person_id else None
        lines.append(f"{index}. {who.name if who else '-'}: {report.text[:80]}")
        buttons.append(
            [Button(f"{index}. {who.name if who else '-'}", f"sp:{token(ticket)}:{report.id}")]
        )
    replies.reply(t("split-pick", number=ticket.number, lines="\n".join(lines)), buttons)


@router.callback("sp")
def split_pick(
    event: Press,
    session: Session,
    person: Person,
    replies: Replies,
    desk: TicketDesk,
    notifier: Notifier,
    classifier: Classifier,
) -> None:
    """sp:<ticket id>:<version>:<report id>."""
    parts = event.data.split(":")
    ticket = session.get(Ticket, int(parts[1])) if len(parts) == 4 and parts[1].isdigit() else None
    report = session.get(Report, int(parts[3])) if ticket and parts[3].isdigit() else None
    if ticket is None or report is None or str(ticket.version) != parts[2]:
        replies.answer(t("error-stale-button"), alert=True)
        return
    try:
        change = desk.split(ticket, report, person, classifier.classify(report.text))
    except Refused as refused:
        replies.answer(t(refused.reason, **refused.params), alert=True)
        return
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


@router.command("stats", private_only=True)
def stats(
    event: Message,
    grants: list[RoleGrant],
    replies: Replies,
    session: Session,
    clock: Clock,
    tz: ZoneInfo,
) -> None:
    """A month's response, resolution and satisfaction rates per community (/stats 2026-11)."""
    if not _staff(grants):
        replies.reply(t("error-no-role"))
        return
    try:
        month = Month.parse(event.args) if event.args.strip() else Month.of(clock.now(), tz)
    except ValueError:
        replies.reply(t("stats-usage"))
        return
    scope = Scope(seen=visible(grants))
    rows = month_figures(session, month, tz, scope, clock.now(), ("community",)).units["community"]
    if not rows:
        replies.reply(t("stats-none", month=str(month)))
        return
    lines = "\n".join(replies.render(figures_view.rates_line(row, row.name)) for row in rows)
    replies.reply(
        t("stats-list", month=str(month), lines=lines, definitions=figures_view.definitions())
    )


@router.command("hot", private_only=True)
def hot(grants: list[RoleGrant], replies: Replies, session: Session, clock: Clock) -> None:
    """The week's most frequent problems in the places this staff member oversees."""
    if not _staff(grants):
        replies.reply(t("error-no-role"))
        return
    since = clock.now() - timedelta(days=7)
    rows = problems(
        session,
        Scope(seen=visible(grants)),
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
