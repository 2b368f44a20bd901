"""Filing a report: keep it first, classify it, open and route a ticket, tell everyone concerned."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel import Session, col, select

from domain.clock import Clock, aware
from domain.flood import HELD, FloodPolicy, held_since, tickets_opened
from domain.same_problem import SameProblemPolicy, find_open_ticket
from domain.tickets import TicketDesk
from handlers.events import Message, t
from handlers.notify import Notifier
from handlers.replies import Replies
from handlers.views import category, deadline_line
from nlp import Classification, mask_pii, similarity
from storage import org
from storage.locks import hold
from storage.models import (
    Building,
    Department,
    Person,
    Report,
    ScopeKind,
    Ticket,
    TicketFollower,
)

log = logging.getLogger(__name__)

MAX_REPORT_CHARS = 2000


class Classifier(Protocol):
    def classify(self, text: str) -> Classification: ...


def _stored(result: Classification) -> dict[str, Any]:
    """What is kept of a classification with the report (enough to compare reports later)."""
    return {
        "category": result.category,
        "family": result.family,
        "request_type": result.request_type,
        "urgency": result.urgency,
        "emergency": result.emergency,
        "emergencies": list(result.emergencies),
        "score": round(result.score, 3),
        "others": list(result.others),
        "terms": sorted(result.terms),
        "keywords": [[m.term, m.weight] for m in result.keywords[:12]],
    }


def _revived(stored: dict[str, Any]) -> Classification:
    return Classification(
        request_type=stored.get("request_type", ""),
        category=stored.get("category", "none"),
        family=stored.get("family", ""),
        urgency=stored.get("urgency", "routine"),
        emergency=stored.get("emergency"),
        score=float(stored.get("score", 0.0)),
        keywords=(),
        others=tuple(stored.get("others", ())),
        routing=None,
        terms=frozenset(stored.get("terms", ())),
    )


def stored_similarity(a: dict[str, Any], b: dict[str, Any]) -> float:
    """nlp.similarity over classifications as reports keep them."""
    return similarity(_revived(a), _revived(b))


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
        same_problem: SameProblemPolicy,
        flood: FloodPolicy | None = None,
    ):
        self.session = session
        self.desk = desk
        self.notifier = notifier
        self.classifier = classifier
        self.replies = replies
        self.clock = clock
        self.emergency = emergency
        self.same_problem = same_problem
        self.flood = flood or FloodPolicy()

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
        self,
        report: Report,
        reporter: Person,
        building: Building,
        *,
        here: bool = True,
        limit: bool = True,
    ) -> None:
        """Classify and open a ticket; `here`: answer in the chat the report came from;
        `limit`: hold the report when its author has opened too many tickets lately."""
        result = self.classifier.classify(report.text)
        report.classification = _stored(result)
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
        kinds = result.emergencies or ((result.emergency,) if result.emergency else ())
        for kind in kinds:  # police first: violence with an injury gets 110 and 120
            answer(t(f"emergency-{kind}"))
        if result.caution:  # danger possible but not clear: say when to call, and why
            answer(t("emergency-caution"))
        # Whether this problem is open here already, and then opening or joining it, happens
        # one report at a time per compound: ten neighbours at once make one ticket.
        hold(self.session, "filing", building.compound_id)
        shared = find_open_ticket(
            self.session,
            building,
            report.classification,
            self.clock.now(),
            self.same_problem,
            stored_similarity,
        )
        if shared is not None:
            self._attach(shared, report, reporter, answer)
            return
        if limit and not result.emergency and self._flooding(report, reporter, answer, here):
            return
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

    def _flooding(
        self, report: Report, reporter: Person, answer: Callable[..., None], here: bool
    ) -> bool:
        """Past the limit of new tickets: keep the report for staff, say so, and say True."""
        now = self.clock.now()
        since = now - self.flood.window
        opened = tickets_opened(self.session, reporter.id or 0, since)
        if len(opened) < self.flood.tickets:
            return False
        earlier = held_since(self.session, reporter.id or 0, report.chat_id, since)
        report.status = HELD
        self.session.add(report)
        log.info("report %s held: %s opened %d tickets lately", report.id, reporter.id, len(opened))
        in_group = here and self.replies.event is not None and not self.replies.event.chat.private
        if in_group and earlier:
            return True  # the group heard it once already: no echo of every message
        free_at = aware(opened[len(opened) - self.flood.tickets]) + self.flood.window
        answer(
            t(
                "report-held",
                count=len(opened),
                minutes=int(self.flood.window.total_seconds() // 60),
                until=free_at,
            )
        )
        return True

    def _attach(
        self, ticket: Ticket, report: Report, reporter: Person, answer: Callable[..., None]
    ) -> None:
        """The problem is already open: join it, say so, and tell its holder."""
        was = ticket.urgency
        joining = self.session.get(TicketFollower, (ticket.id, reporter.id)) is None
        self.desk.attach(ticket, reporter, report, self.same_problem.key_households)
        if ticket.reporter_id == reporter.id:
            answer(t("report-again", number=ticket.number, state=t(f"state-{ticket.state}")))
        else:
            answer(
                t(
                    "report-attached",
                    number=ticket.number,
                    households=ticket.households,
                    text=mask_pii(ticket.text),
                    state=t(f"state-{ticket.state}"),
                )
            )
        # The holder hears of each new household once, not of every message a follower sends.
        if ticket.assignee_id is not None and joining:
            assignee = self.session.get_one(Person, ticket.assignee_id)
            key = "ping-attached-key" if was != ticket.urgency else "ping-attached"
            self.notifier.ping(assignee, ticket, t(key, households=ticket.households))

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
