"""Public posting 公示: each week, a short post to each compound's group with what was resolved
that week and what is still open, oldest first — masked, short enough to read on a phone.

The post of a group and a week is a `PublicPost` row: staff preview it, may replace its text or
hold it; the weekly job sends what is not held, once (the row remembers it was sent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from domain.clock import Clock, aware
from domain.figures import ACTIVE, utc
from domain.lists import kind_of, shown
from storage.models import Building, ChatBinding, Compound, Person, Report, ScopeKind, Ticket
from storage.models_figures import PublicPost

SNIPPET = 24  # characters of what was done, per line


def week_key(moment: datetime, tz: ZoneInfo) -> str:
    """The ISO week of a moment, locally: 2026-W48."""
    year, week, _ = moment.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def week_start(key: str, tz: ZoneInfo) -> datetime:
    """Monday 00:00 (local) of an ISO week, in UTC."""
    year, week = key.split("-W")
    monday = date.fromisocalendar(int(year), int(week), 1)
    return utc(datetime.combine(monday, time.min, tz))


@dataclass(frozen=True)
class PostLine:
    number: str
    category: str
    kind: str
    building: str
    text: str  # what was done (resolved), or the report (open); masked
    days: int  # how long it has been open (open lines)


@dataclass(frozen=True)
class WeekPost:
    """What a compound's group reads this week."""

    compound: str
    week: str
    resolved: list[PostLine]
    open: list[PostLine]
    resolved_total: int
    open_total: int


def _kinds(session: Session, ids: list[int]) -> dict[int, str]:
    kinds: dict[int, str] = {}
    for ticket_id, classification in session.exec(
        select(Report.ticket_id, Report.classification)
        .where(col(Report.ticket_id).in_(ids))
        .order_by(col(Report.id))
    ):
        if ticket_id is not None and ticket_id not in kinds:
            kinds[ticket_id] = kind_of(dict(classification or {}))
    return kinds


def week_post(
    session: Session, compound: Compound, now: datetime, tz: ZoneInfo, lines: int
) -> WeekPost:
    """The week's resolved problems of a compound and its open ones by age (at most `lines`
    of each; the totals say how many more there are)."""
    week = week_key(now, tz)
    buildings = select(Building.id).where(Building.compound_id == compound.id)
    resolved = session.exec(
        select(Ticket, Building.name)
        .join(Building, col(Building.id) == col(Ticket.building_id))
        .where(
            col(Ticket.building_id).in_(buildings),
            col(Ticket.resolved_at) >= week_start(week, tz),
            col(Ticket.resolved_at) <= utc(now),
            col(Ticket.outcome).is_(None),
        )
        .order_by(col(Ticket.resolved_at).desc())
    ).all()
    active = session.exec(
        select(Ticket, Building.name)
        .join(Building, col(Building.id) == col(Ticket.building_id))
        .where(col(Ticket.building_id).in_(buildings), col(Ticket.state).in_(ACTIVE))
        .order_by(col(Ticket.opened_at), col(Ticket.id))
    ).all()
    kinds = _kinds(session, [t.id or 0 for t, _ in [*resolved[:lines], *active[:lines]]])

    def line(ticket: Ticket, building: str, text: str) -> PostLine:
        days = max(0, (now - aware(ticket.opened_at)).days)
        return PostLine(
            ticket.number,
            ticket.category,
            kinds.get(ticket.id or 0, ""),
            building,
            shown(text, False, SNIPPET),
            days,
        )

    return WeekPost(
        compound=compound.name,
        week=week,
        resolved=[line(t, b, t.resolution) for t, b in resolved[:lines]],
        open=[line(t, b, t.text) for t, b in active[:lines]],
        resolved_total=len(resolved),
        open_total=len(active),
    )


def compound_groups(
    session: Session, communities: Sequence[int] | None
) -> list[tuple[ChatBinding, Compound]]:
    """Group chats bound to a compound (of these communities; None: all), in a stable order."""
    query = (
        select(ChatBinding, Compound)
        .join(Compound, col(Compound.id) == col(ChatBinding.scope_id))
        .where(ChatBinding.scope_kind == ScopeKind.COMPOUND)
        .order_by(col(Compound.community_id), col(Compound.id), col(ChatBinding.chat_id))
    )
    if communities is not None:
        query = query.where(col(Compound.community_id).in_(communities))
    return [(binding, compound) for binding, compound in session.exec(query).all()]


class Posts:
    """The posts of one transaction: find, edit, hold, release, mark sent."""

    def __init__(self, session: Session, clock: Clock, tz: ZoneInfo):
        self.session = session
        self.clock = clock
        self.tz = tz

    def of(self, chat_id: int, week: str | None = None) -> PublicPost:
        """This week's post for a group (made on first use)."""
        week = week or week_key(self.clock.now(), self.tz)
        post = self.session.exec(
            select(PublicPost)
            .where(PublicPost.chat_id == chat_id, PublicPost.week == week)
            .with_for_update()
        ).first()
        if post is None:
            post = PublicPost(chat_id=chat_id, week=week, updated_at=self.clock.now())
            self.session.add(post)
            self.session.flush()
        return post

    def edit(self, post: PublicPost, text: str, person: Person) -> None:
        post.text, post.edited_by_id, post.updated_at = text.strip(), person.id, self.clock.now()
        self.session.add(post)

    def hold(self, post: PublicPost, held: bool) -> None:
        post.state, post.updated_at = ("held" if held else "draft"), self.clock.now()
        self.session.add(post)

    def mark_sent(self, post: PublicPost) -> None:
        post.state, post.sent_at = "sent", self.clock.now()
        self.session.add(post)


def due(now: datetime, tz: ZoneInfo, weekday: int, at: time) -> bool:
    """Has this week's posting time come (local weekday, 0 Monday, and time)?"""
    local = now.astimezone(tz)
    return (local.weekday(), local.time()) >= (weekday, at)
