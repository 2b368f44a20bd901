"""What happens on a clock, transport-free: the deadline sweep, the daily digest, retrying reports.

The scheduler in bot/ decides when; these decide what, and return the messages to send.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from domain.clock import Clock, aware
from domain.flood import FloodPolicy, held_count
from domain.policy import DeadlinePolicy
from domain.same_problem import SameProblemPolicy
from domain.tickets import TicketDesk, deadline_of, overdue
from handlers.events import Effect, t
from handlers.i18n import Texts
from handlers.notify import Notifier
from handlers.outgoing import keep_on_commit
from handlers.replies import Replies
from handlers.reporting import Classifier, EmergencyRouting, Filing
from handlers.views import line
from storage import org
from storage.db import session as open_session
from storage.locks import hold
from storage.models import Building, JobRun, Person, Report, RoleGrant, ScopeKind

log = logging.getLogger(__name__)


@dataclass
class Jobs:
    """The clock's work. Each method runs in one transaction and is safe to run twice."""

    engine: Engine
    clock: Clock
    policy: DeadlinePolicy
    tz: ZoneInfo
    texts: Texts
    classifier: Classifier
    emergency: EmergencyRouting
    same_problem: SameProblemPolicy
    flood: FloodPolicy = field(default_factory=FloodPolicy)

    def _context(self, session: Session) -> tuple[TicketDesk, Notifier, Replies]:
        replies = Replies(None, self.texts)
        keep_on_commit(session, replies, self.clock)  # messages land in the outbox at commit
        desk = TicketDesk(session, self.clock, self.policy, self.tz)
        return desk, Notifier(session, desk, replies, self.clock), replies

    def sweep(self) -> list[Effect]:
        """Reminders before deadlines, escalation of overdue work, closing unrated tickets."""
        with open_session(self.engine) as session:
            desk, notifier, replies = self._context(session)
            result = desk.sweep()
            for change in [*result.reminders, *result.escalations, *result.closed]:
                notifier.announce(change, None)
            session.commit()
        return replies.effects

    def retry_reports(self, older_than: timedelta = timedelta(minutes=2)) -> list[Effect]:
        """File reports that were kept but not filed (a failure mid-way, a crash)."""
        cutoff = self.clock.now() - older_than
        effects: list[Effect] = []
        with open_session(self.engine) as session:
            stuck = session.exec(
                select(Report).where(Report.status == "received").order_by(col(Report.id))
            ).all()
            ids = [r.id for r in stuck if aware(r.received_at) <= cutoff]
        for report_id in ids:
            with open_session(self.engine) as session:
                report = session.get_one(Report, report_id)
                person = session.get(Person, report.person_id) if report.person_id else None
                building = (
                    session.get(Building, person.building_id)
                    if person and person.building_id
                    else None
                )
                if person is None or building is None:
                    report.status = "pending"
                    session.add(report)
                    session.commit()
                    continue
                desk, notifier, replies = self._context(session)
                filing = Filing(
                    session,
                    desk,
                    notifier,
                    self.classifier,
                    replies,
                    self.clock,
                    self.emergency,
                    self.same_problem,
                    self.flood,
                )
                try:
                    filing.file(report, person, building, here=False)
                    session.commit()
                    effects += replies.effects
                except Exception:
                    log.exception("retrying report %s failed again", report_id)
                    session.rollback()
        return effects

    def digest(self, force: bool = False) -> list[Effect]:
        """Each grid worker's morning list: open, overdue and due today. Once a day."""
        now = self.clock.now()
        day = now.astimezone(self.tz).date().isoformat()
        with open_session(self.engine) as session:
            hold(session, "digest", 0)  # two runs at once: the second finds the first's JobRun
            if not force and session.get(JobRun, ("digest", day)) is not None:
                return []
            desk, _, replies = self._context(session)
            end_of_day = datetime.combine(
                now.astimezone(self.tz).date() + timedelta(days=1), datetime.min.time(), self.tz
            )
            workers = session.exec(
                select(Person)
                .join(RoleGrant, col(RoleGrant.person_id) == col(Person.id))
                .where(RoleGrant.role == "grid_worker", RoleGrant.scope_kind == ScopeKind.GRID)
                .distinct()
                .order_by(col(Person.id))
            ).all()
            for worker in workers:
                grants = org.roles_of(session, worker.id or 0)
                tickets = desk.worklist(worker, grants)
                late = [tk for tk in tickets if overdue(tk, now)]
                due_today = [
                    tk for tk in tickets if tk not in late and deadline_of(tk) < end_of_day
                ]
                lang = replies.language_of(worker)
                lines = "\n".join(
                    self.texts.render(lang, line(tk, self.clock)) for tk in tickets[:10]
                )
                text = self.texts.render(
                    lang,
                    t(
                        "digest" if tickets else "digest-empty",
                        open=len(tickets),
                        overdue=len(late),
                        today=len(due_today),
                        lines=lines,
                    ),
                )
                held = held_count(session, grants)
                if held:
                    text += "\n" + self.texts.render(lang, t("digest-held", count=held))
                replies.to(worker, text)
            session.merge(JobRun(name="digest", key=day, at=now))
            session.commit()
        return replies.effects
