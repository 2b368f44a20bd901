"""Reports held for staff (domain/flood.py): /held lists them, a tap opens one as a ticket."""

from __future__ import annotations

from sqlmodel import Session, select

from domain.clock import aware
from domain.flood import HELD, held_count, held_reports, may_handle
from handlers.dispatch import Router
from handlers.events import Button, Press, t
from handlers.replies import Replies
from handlers.reporting import Filing
from storage.models import Building, Person, Report, RoleGrant

router = Router("held")

STAFF = ("grid_worker", "community_staff", "subdistrict_staff", "admin")
PREVIEW = 80


@router.command("held", private_only=True)
def held(session: Session, grants: list[RoleGrant], replies: Replies) -> None:
    """/held: the newest reports kept from people who reported too much at once."""
    if not any(g.role in STAFF for g in grants):
        replies.reply(t("error-no-role"))
        return
    _show(session, grants, replies, edit=False)


def _show(session: Session, grants: list[RoleGrant], replies: Replies, *, edit: bool) -> None:
    reports = held_reports(session, grants)
    say = replies.edit if edit else replies.reply
    if not reports:
        say(t("held-none"))
        return
    lines, rows = [], []
    for index, report in enumerate(reports, start=1):
        who = session.get(Person, report.person_id) if report.person_id else None
        lines.append(
            replies.render(
                t(
                    "held-line",
                    index=index,
                    name=who.name if who else "-",
                    when=aware(report.received_at),
                    text=report.text[:PREVIEW],
                )
            )
        )
        rows.append([Button(t("btn-held-open", index=index), f"hd:{report.id}")])
    total = held_count(session, grants)
    say(t("held-list", count=total, shown=len(reports), lines="\n".join(lines)), rows)


@router.callback("hd")
def open_held(
    event: Press,
    session: Session,
    grants: list[RoleGrant],
    replies: Replies,
    filing: Filing,
) -> None:
    """hd:<report id>: open the held report as a ticket (its author is told, as always)."""
    raw = event.data.partition(":")[2]
    valid = raw.isascii() and raw.isdigit() and len(raw) <= 9
    # Locked: two staff tapping the same report at once open one ticket, not two.
    locked = select(Report).where(Report.id == int(raw)).with_for_update() if valid else None
    report = session.exec(locked).first() if locked is not None else None
    if report is None or report.status != HELD:
        replies.answer(t("error-stale-button"), alert=True)
        return
    if not may_handle(session, report, grants):
        replies.answer(t("error-not-yours"), alert=True)
        return
    reporter = session.get(Person, report.person_id) if report.person_id else None
    building = (
        session.get(Building, reporter.building_id) if reporter and reporter.building_id else None
    )
    if reporter is None or building is None:
        replies.answer(t("held-no-place"), alert=True)
        return
    filing.file(report, reporter, building, here=False, limit=False)
    replies.answer(t("held-opened"))
    _show(session, grants, replies, edit=True)
