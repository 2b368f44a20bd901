"""Open311 GeoReport v2 in the project's terms: the categories of TAXONOMY.md as services,
tickets as service requests, and the API clients (another system such as the city's 12345 or
一网统管 platform) with their keys.

- service_code: the category code (`service.facility`); service_name: its name; group: its family.
- service_request_id: the ticket number (`TD-261125-007`).
- status: open while the ticket is open or in progress; closed once resolved or closed (a
  dissatisfied resident reopens it, and it is open again).
- status_notes: the newest note in the ticket's history (masked: the API is public).
- expected_datetime: the ticket's resolution deadline while it is being handled.
- address: building, compound, community, sub-district (most specific first);
  address_id: the organisation file's building path (`TD/铜都花园/2栋`).

The web layer (web/open311.py) turns these dictionaries into JSON or XML.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from domain.clock import aware
from domain.figures import utc
from nlp import mask_pii
from storage.models import (
    Building,
    Community,
    Compound,
    Department,
    Grid,
    Ticket,
    TicketEvent,
    TicketState,
)
from storage.models_figures import Open311Client

Label = Callable[..., str]
REQUEST_TYPES = ("consult", "help", "complaint", "report", "suggestion")
DEFAULT_SPAN = timedelta(days=90)  # GET requests: the most recent 90 days unless told
MAX_SPAN = timedelta(days=90)
MAX_REQUESTS = 1000
MAX_DESCRIPTION = 4000
CLOSED = (TicketState.RESOLVED, TicketState.CLOSED)


class Open311Error(Exception):
    """An error the API answers with: an HTTP status and a description."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# --- API clients and their keys ----------------------------------------------------------------


def key_hash(key: str) -> str:
    """Keys are 256 random bits: a plain SHA-256 is enough to keep them unreadable at rest."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def add_client(session: Session, name: str, now: datetime) -> tuple[Open311Client, str]:
    """A new client and its key (shown once; only the hash is stored)."""
    name = name.strip()
    if not name:
        raise ValueError("a client needs a name")
    if session.exec(select(Open311Client).where(Open311Client.name == name)).first():
        raise ValueError(f"a client named {name!r} exists already")
    key = secrets.token_urlsafe(32)
    client = Open311Client(name=name, key_hash=key_hash(key), created_at=now)
    session.add(client)
    session.flush()
    return client, key


def clients(session: Session) -> list[Open311Client]:
    return list(session.exec(select(Open311Client).order_by(col(Open311Client.id))).all())


def revoke_client(session: Session, name: str, now: datetime) -> bool:
    client = session.exec(select(Open311Client).where(Open311Client.name == name)).first()
    if client is None or client.revoked_at is not None:
        return False
    client.revoked_at = now
    session.add(client)
    return True


def client_for(session: Session, key: str | None) -> Open311Client | None:
    """The client a key belongs to, unless it was revoked."""
    if not key:
        return None
    client = session.exec(
        select(Open311Client).where(Open311Client.key_hash == key_hash(key))
    ).first()
    return client if client is not None and client.revoked_at is None else None


# --- services ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """What the service list needs of a classification category."""

    code: str
    family: str
    keywords: tuple[str, ...]


def services(categories: Iterable[Category], label: Label) -> list[dict[str, Any]]:
    """GET services: every category but `none`, in the spec's field order."""
    return [
        {
            "service_code": c.code,
            "service_name": label(f"category-{c.code}"),
            "description": label(f"o311-description-{c.code}"),
            "metadata": True,
            "type": "realtime",
            "keywords": ", ".join(c.keywords),
            "group": label(f"o311-group-{c.family}"),
        }
        for c in categories
        if c.code != "none"
    ]


def definition(code: str, label: Label) -> dict[str, Any]:
    """GET services/{code}: the one attribute every service takes, the request type."""
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": "request_type",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": label("o311-request-type-help"),
                "order": 1,
                "description": label("o311-request-type"),
                "values": [{"key": k, "name": label(f"request-{k}")} for k in REQUEST_TYPES],
            }
        ],
    }


# --- service requests --------------------------------------------------------------------------


def w3(moment: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 with the local offset: 2026-11-25T09:00:00+08:00."""
    return aware(moment).astimezone(tz).isoformat(timespec="seconds") if moment else None


def parse_w3(text: str, field: str) -> datetime:
    """A w3 datetime from a query (a date alone means its start, in UTC); 400 otherwise."""
    cleaned = text.strip().replace(" ", "+")  # a '+' left unescaped in a query arrives as ' '
    try:
        moment = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{field} is not a w3 datetime: {text!r}") from None
    return utc(moment)


@dataclass(frozen=True)
class Query:
    """GET requests' filters, already checked."""

    ids: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()

    @classmethod
    def parse(cls, params: dict[str, str], now: datetime) -> Query:
        def listed(name: str) -> tuple[str, ...]:
            return tuple(v.strip() for v in params.get(name, "").split(",") if v.strip())

        ids = listed("service_request_id")
        if ids:  # "this overrides all other arguments"
            return cls(ids=tuple(i.upper() for i in ids))
        statuses = listed("status")
        for status in statuses:
            if status not in ("open", "closed"):
                raise Open311Error(400, f"status is open or closed, not {status!r}")
        start = parse_w3(params["start_date"], "start_date") if params.get("start_date") else None
        end = parse_w3(params["end_date"], "end_date") if params.get("end_date") else None
        if start is None and end is None:
            end, start = now, now - DEFAULT_SPAN
        elif start is None:
            assert end is not None
            start = end - DEFAULT_SPAN
        elif end is None:
            end = start + MAX_SPAN
        if end < start:
            raise Open311Error(400, "end_date is before start_date")
        if end - start > MAX_SPAN:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
        return cls((), listed("service_code"), start, end, statuses)


def find(session: Session, query: Query) -> list[Ticket]:
    """The tickets a GET requests query names, newest first, at most 1000."""
    statement = select(Ticket)
    if query.ids:
        statement = statement.where(col(Ticket.number).in_(query.ids))
    else:
        if query.codes:
            statement = statement.where(col(Ticket.category).in_(query.codes))
        if query.start is not None:
            statement = statement.where(col(Ticket.opened_at) >= query.start)
        if query.end is not None:
            statement = statement.where(col(Ticket.opened_at) <= query.end)
        if query.statuses == ("open",):
            statement = statement.where(col(Ticket.state).not_in(CLOSED))
        elif query.statuses == ("closed",):
            statement = statement.where(col(Ticket.state).in_(CLOSED))
    statement = statement.order_by(col(Ticket.opened_at).desc(), col(Ticket.id).desc())
    return list(session.exec(statement.limit(MAX_REQUESTS)).all())


def status_of(ticket: Ticket) -> str:
    return "closed" if ticket.state in CLOSED else "open"


def address_id(session: Session, ticket: Ticket) -> str | None:
    if ticket.building_id is None:
        return None
    building = session.get_one(Building, ticket.building_id)
    compound = session.get_one(Compound, building.compound_id)
    community = session.get_one(Community, compound.community_id)
    return f"{community.code}/{compound.name}/{building.name}"


def address(session: Session, ticket: Ticket, subdistrict: str) -> str:
    """Most specific first: 2栋, 铜都花园, 铜都社区, 新下陆街道."""
    parts: list[str] = []
    if ticket.building_id is not None:
        building = session.get_one(Building, ticket.building_id)
        compound = session.get_one(Compound, building.compound_id)
        parts += [building.name, compound.name]
    parts.append(session.get_one(Community, ticket.community_id).name)
    if subdistrict:
        parts.append(subdistrict)
    return ", ".join(parts)


def agency(session: Session, ticket: Ticket) -> str:
    """Who is handling it: the department, the grid, or the community."""
    if ticket.department_id is not None:
        return session.get_one(Department, ticket.department_id).name
    if ticket.grid_id is not None and ticket.level == "grid":
        return session.get_one(Grid, ticket.grid_id).name
    return session.get_one(Community, ticket.community_id).name


def request(
    session: Session, ticket: Ticket, tz: ZoneInfo, label: Label, subdistrict: str
) -> dict[str, Any]:
    """One service request, in the spec's field order; texts masked (the API is public)."""
    events = session.exec(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(col(TicketEvent.id).desc())
    ).all()
    noted = next((e for e in events if e.note and not e.note.startswith("overdue:")), None)
    updated = events[0].at if events else ticket.opened_at
    closed = ticket.state in CLOSED
    return {
        "service_request_id": ticket.number,
        "status": status_of(ticket),
        "status_notes": mask_pii(noted.note) if noted else label(f"state-{ticket.state}"),
        "service_name": label(f"category-{ticket.category}"),
        "service_code": ticket.category,
        "description": mask_pii(ticket.text)[:MAX_DESCRIPTION],
        "agency_responsible": agency(session, ticket),
        "service_notice": label(f"o311-notice-{ticket.urgency}"),
        "requested_datetime": w3(ticket.opened_at, tz),
        "updated_datetime": w3(updated, tz),
        "expected_datetime": None if closed else w3(ticket.resolve_by, tz),
        "address": address(session, ticket, subdistrict),
        "address_id": address_id(session, ticket),
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


# --- where a report is ------------------------------------------------------------------------

_NUMBER = re.compile(r"(\d+)\s*(?:号楼|栋|幢|号)")


def locate(session: Session, address_id: str | None, address_string: str | None) -> Building:
    """The building an outside report is about: by address_id (TD/铜都花园/2栋), else by
    a compound's name and a building number in the address string ("铜都花园2栋")."""
    if address_id:
        parts = address_id.strip().split("/")
        if len(parts) == 3:
            building = session.exec(
                select(Building)
                .join(Compound, col(Compound.id) == col(Building.compound_id))
                .join(Community, col(Community.id) == col(Compound.community_id))
                .where(
                    Community.code == parts[0], Compound.name == parts[1], Building.name == parts[2]
                )
            ).first()
            if building is not None:
                return building
        raise Open311Error(404, f"address_id {address_id!r} was not found")
    text = "".join((address_string or "").split())
    if not text:
        raise Open311Error(
            400,
            "a location is required: address_string or address_id (lat/long alone cannot "
            "be placed in a building here)",
        )
    compounds = session.exec(select(Compound)).all()
    found = [c for c in compounds if c.name and c.name in text]
    if not found:
        raise Open311Error(404, f"no compound of this jurisdiction in {address_string!r}")
    compound = max(found, key=lambda c: len(c.name))
    number = _NUMBER.search(text.split(compound.name, 1)[1])
    buildings: Sequence[Building] = session.exec(
        select(Building).where(Building.compound_id == compound.id)
    ).all()
    if number is not None:
        for building in buildings:
            digits = "".join(ch for ch in building.name if ch.isdigit())
            if digits == number.group(1):
                return building
    raise Open311Error(404, f"no building of {compound.name} named in {address_string!r}")
