"""Reports from another system (Open311 clients such as the city's 12345 platform) go through
the same intake as a chat report: kept first, classified, opened or joined to the open ticket
about the same problem, the grid worker pinged, the emergency watchers alerted.

The client names the category (its service_code); the classifier still judges the request
type, urgency and emergency. A report that cannot be filed now stays kept, and the retry job
files it later (the client then finds its ticket through the token).
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from dataclasses import dataclass

from sqlmodel import select

from domain.open311 import Open311Error, locate
from handlers.jobs import Jobs
from handlers.reporting import Classifier, Filing
from nlp import Classification
from storage.db import session as open_session
from storage.models import Person, Report, Ticket
from storage.models_figures import Open311Client, Open311Request

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutsideReport:
    """What a client sent: who, where, what, in which category."""

    client_id: int
    service_code: str
    description: str
    address_id: str | None = None
    address_string: str | None = None
    account: str = ""  # account_id, phone, e-mail or device id: the same reporter each time
    name: str = ""


@dataclass(frozen=True)
class Filed:
    """The ticket the report opened or joined (None while it waits to be filed) and its token."""

    number: str | None
    token: str


class _Named:
    """The classifier, with the category the client chose."""

    def __init__(self, classifier: Classifier, category: str, family: str) -> None:
        self.classifier = classifier
        self.category = category
        self.family = family

    def classify(self, text: str) -> Classification:
        judged = self.classifier.classify(text)
        return dataclasses.replace(judged, category=self.category, family=self.family)


def file_outside(jobs: Jobs, report: OutsideReport, families: dict[str, str]) -> Filed:
    """Keep, classify and file one outside report; Open311Error for a bad place or code."""
    if report.service_code not in families:
        raise Open311Error(404, f"service_code {report.service_code!r} was not found")
    text = " ".join(report.description.split())
    if not text:
        raise Open311Error(400, "description is required")
    now = jobs.clock.now()
    token = secrets.token_hex(16)
    with open_session(jobs.engine) as session:
        client = session.get_one(Open311Client, report.client_id)
        building = locate(session, report.address_id, report.address_string)
        key = f"open311:{client.id}:{report.account or 'anonymous'}"[:200]
        person = session.exec(select(Person).where(Person.key == key)).first()
        if person is None:
            person = Person(key=key, name=report.name or client.name, created_at=now)
        person.building_id = building.id
        session.add(person)
        session.flush()
        kept = Report(
            chat_id=0,
            message_id=0,
            telegram_user_id=0,
            person_id=person.id,
            text=text[:4000],
            received_at=now,
        )
        session.add(kept)
        session.flush()
        session.add(
            Open311Request(
                token=token, client_id=client.id or 0, report_id=kept.id or 0, created_at=now
            )
        )
        session.commit()  # kept before anything can go wrong
        desk, notifier, replies = jobs._context(session)
        classifier = _Named(jobs.classifier, report.service_code, families[report.service_code])
        filing = Filing(
            session,
            desk,
            notifier,
            classifier,
            replies,
            jobs.clock,
            jobs.emergency,
            jobs.same_problem,
        )
        try:
            filing.file(kept, person, building, here=False)
            session.commit()
        except Exception:
            log.exception("filing outside report %s failed; kept for retry", kept.id)
            session.rollback()
            return Filed(None, token)
        ticket = session.get(Ticket, kept.ticket_id) if kept.ticket_id else None
        return Filed(ticket.number if ticket else None, token)


def number_for_token(jobs: Jobs, token: str) -> tuple[bool, str | None]:
    """(known token, its ticket number once filed)."""
    with open_session(jobs.engine) as session:
        row = session.get(Open311Request, token)
        if row is None:
            return False, None
        report = session.get_one(Report, row.report_id)
        ticket = session.get(Ticket, report.ticket_id) if report.ticket_id else None
        return True, ticket.number if ticket else None
