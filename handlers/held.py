"""Reports held for staff (domain/flood.py): /held lists them, a tap opens one as a ticket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from sqlmodel import Session, select

from domain.access import Do
from domain.clock import aware
from domain.flood import HELD, held_count, held_reports
from domain.lifecycle import Refused
from handlers.callbacks import Callback, Ref
from handlers.dispatch import Router
from handlers.events import Button, t
from handlers.replies import Replies
from handlers.reporting import Filing
from storage.models import Building, Person, Report, RoleGrant

router = Router("held")

PREVIEW = 80


@dataclass(frozen=True)
class OpenHeld(Callback, prefix="hd"):
    """Open a held report as a ticket."""

    report: Annotated[int, Ref(Report)]


@router.command("held", private_only=True, may=Do.HELD)
def held(session: Session, grants: list[RoleGrant], replies: Replies) -> None:
    """/held: the newest reports kept from people who reported too much at once."""
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
        rows.append([Button(t("btn-held-open", index=index), OpenHeld(report.id or 0).pack())])
    total = held_count(session, grants)
    say(t("held-list", count=total, shown=len(reports), lines="\n".join(lines)), rows)


@router.callback(OpenHeld, may=Do.HELD)
def open_held(
    report: Report,
    session: Session,
    grants: list[RoleGrant],
    replies: Replies,
    filing: Filing,
) -> None:
    """Open the held report as a ticket (its author is told, as always)."""
    # Locked and read afresh: two staff tapping the same report at once open one ticket.
    session.exec(
        select(Report)
        .where(Report.id == report.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if report.status != HELD:
        raise Refused("error-stale-button")
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
