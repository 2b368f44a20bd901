"""Filing a report: keep it first, classify it, open and route a ticket, tell everyone concerned."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session, col, select

from domain.clock import Clock
from domain.tickets import Assessment, TicketDesk
from handlers.events import Message, t
from handlers.notify import Notifier
from handlers.replies import Replies
from handlers.views import category, deadline_line
from storage import org
from storage.models import Building, Department, Person, Report, ScopeKind, Ticket

log = logging.getLogger(__name__)

MAX_REPORT_CHARS = 2000


class Classification(Assessment, Protocol):
    """The parts of nlp.Classification filing uses."""

    @property
    def score(self) -> float: ...


class Classifier(Protocol):
    def classify(self, text: str) -> Classification: ...


@dataclass
class EmergencyRouting:
    """Who besides the assignee hears of an emergency (「平安建设办」 by default)."""

    department_code: str = "pingan"


class Filing:
    """Reports in, tickets out. One per event."""

    def __init__(
        self,
        session: Session,
        desk: TicketDesk,
        notifier: Notifier,
        classifier: Classifier,
        replies: Replies,
        clock: Clock,
        emergency: EmergencyRouting,
    ):
        self.session = session
        self.desk = desk
        self.notifier = notifier
        self.classifier = classifier
        self.replies = replies
        self.clock = clock
        self.emergency = emergency

    def keep(self, event: Message, person: Person, text: str, status: str = "received") -> Report:
        """Store what the resident sent and commit it, before anything can go wrong."""
        report = Report(
            chat_id=event.chat.id,
            message_id=event.message_id,
            telegram_user_id=event.sender.id,
            person_id=person.id,
            text=text,
            photo_file_id=event.photo,
            received_at=self.clock.now(),
            status=status,
        )
        self.session.add(report)
        self.session.commit()
        return report

    def file(
        self, report: Report, reporter: Person, building: Building, *, here: bool = True
    ) -> None:
        """Classify and open a ticket; `here`: answer in the chat the report came from."""
        result = self.classifier.classify(report.text)
        report.classification = {
            "category": result.category,
            "request_type": result.request_type,
            "urgency": result.urgency,
            "emergency": result.emergency,
            "score": round(result.score, 3),
        }
        answer = (
            self.replies.reply
            if here
            else (lambda text, buttons=(): self.replies.to(reporter, text, buttons))
        )
        if result.category == "none":
            report.status = "none"
            self.session.add(report)
            answer(t("report-none"))
            return
        if result.emergency:
            answer(t(f"emergency-{result.emergency}"))
        change = self.desk.open(report, reporter, building, result)
        ticket = change.ticket
        self.session.add(report)
        answer(
            t(
                "report-opened",
                number=ticket.number,
                category=category(ticket.category),
                request_type=t(f"request-{ticket.request_type}"),
                urgency=t(f"urgency-{ticket.urgency}"),
                deadline=deadline_line(ticket, self.clock),
            )
        )
        if ticket.assignee_id is not None:
            assignee = self.session.get_one(Person, ticket.assignee_id)
            self.notifier.ping(
                assignee, ticket, t("ping-new", urgency=t(f"urgency-{ticket.urgency}"))
            )
        if result.emergency:
            self._alert_emergency(ticket)

    def _alert_emergency(self, ticket: Ticket) -> None:
        """The sub-district centre and the safety office see every emergency at once."""
        department = self.session.exec(
            select(Department).where(Department.code == self.emergency.department_code)
        ).first()
        watchers = org.holders(self.session, "subdistrict_staff", ScopeKind.SUBDISTRICT, None)
        if department is not None:
            watchers += org.holders(
                self.session, "department_staff", ScopeKind.DEPARTMENT, department.id
            )
        seen = {ticket.assignee_id}
        for person in watchers:
            if person.id in seen:
                continue
            seen.add(person.id)
            self.notifier.ping(
                person, ticket, t("ping-emergency", kind=t(f"emergency-kind-{ticket.emergency}"))
            )

    def file_pending(self, person: Person) -> None:
        """Reports kept while the resident had not yet said where they live."""
        if person.building_id is None:
            return
        building = self.session.get_one(Building, person.building_id)
        pending = self.session.exec(
            select(Report)
            .where(Report.person_id == person.id, Report.status == "pending")
            .order_by(col(Report.id))
        ).all()
        for report in pending:
            self.file(report, person, building, here=False)
