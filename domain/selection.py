"""The monthly civilised-compound selection 文明小区每月评选: a score per compound from the month's
figures, a shortlist for staff, an optional residents' vote through deliberation, and the result.

A compound's score (0–100) is the weighted mean of the parts it has figures for (weights from
configuration; a part with no figures this month is left out and the others carry its weight):

- **reports**: fewer reports per household scores higher — 1 − (its reports per household ÷ the
  highest among the compounds compared); a compound with no households known has no part here;
- **resolution** and **satisfaction**: the compound's rates (domain.figures), as fractions;
- **deliberation**: of the residents and households on the rolls of votes held in the month,
  the share that took part;
- **notices**: of the notices sent in the month, the share of residents in scope who pressed 收到.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, exists, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from domain.clock import Clock
from domain.deliberation import Deliberation
from domain.figures import Counts, Month, Rate, Scope, compound_counts
from domain.lifecycle import Refused
from domain.notices import Place, buildings_in, groups_in
from storage import org
from storage.models import (
    Building,
    ChatBinding,
    Community,
    Compound,
    Person,
    Report,
    RoleGrant,
    ScopeKind,
    Ticket,
)
from storage.models_deliberation import Elector, Household, Participation, Topic
from storage.models_figures import CompoundSelection
from storage.models_notices import Notice, NoticeAck

COMPONENTS = ("reports", "resolution", "satisfaction", "deliberation", "notices")


@dataclass(frozen=True)
class Weights:
    """How much each part counts (any non-negative numbers; they are normalised)."""

    reports: float = 0.2
    resolution: float = 0.2
    satisfaction: float = 0.2
    deliberation: float = 0.2
    notices: float = 0.2

    def of(self, part: str) -> float:
        weight: float = getattr(self, part)
        return weight


@dataclass(frozen=True)
class CompoundScore:
    """One compound's month: the figures behind its score, and the score."""

    compound_id: int
    compound: str
    compound_en: str
    community_id: int
    community: str
    households: int
    reports: int
    resolution: Rate
    satisfaction: Rate
    deliberation: Rate
    notices: Rate
    parts: dict[str, float | None]
    score: float | None

    @property
    def reports_per_household(self) -> float | None:
        return self.reports / self.households if self.households else None


def _households(session: Session, compound_ids: Sequence[int]) -> dict[int, int]:
    """Households per compound: the owners' roll where there is one, else registered residents."""
    roll = dict(
        session.execute(
            sa_select(col(Building.compound_id), func.count(col(Household.id)))
            .join(Building, col(Building.id) == col(Household.building_id))
            .where(col(Building.compound_id).in_(compound_ids))
            .group_by(col(Building.compound_id))
        ).all()
    )
    residents = dict(
        session.execute(
            sa_select(col(Building.compound_id), func.count(col(Person.id)))
            .join(Building, col(Building.id) == col(Person.building_id))
            .where(col(Building.compound_id).in_(compound_ids))
            .group_by(col(Building.compound_id))
        ).all()
    )
    return {c: int(roll.get(c) or residents.get(c) or 0) for c in compound_ids}


def _reports(session: Session, scope: Scope, start: datetime, end: datetime) -> dict[int, int]:
    """Reports that opened or joined the month's tickets, per compound (the month's tickets are
    found by ix_ticket_community_opened; their reports by ix_report_ticket_id)."""
    rows = session.execute(
        sa_select(col(Building.compound_id), func.count(col(Report.id)))
        .select_from(Ticket)
        .join(Report, col(Report.ticket_id) == col(Ticket.id))
        .join(Building, col(Building.id) == col(Ticket.building_id))
        .where(col(Ticket.opened_at) >= start, col(Ticket.opened_at) < end, scope.clause())
        .group_by(col(Building.compound_id))
    ).all()
    return {int(c): int(n) for c, n in rows}


def _deliberation(
    session: Session, compound_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, Rate]:
    """Electors (people or households) on the rolls of votes open during the month, and how
    many of them took part, per compound of their home."""
    building = func.coalesce(col(Person.building_id), col(Household.building_id))
    voted = exists().where(col(Participation.elector_id) == col(Elector.id))
    rows = session.execute(
        sa_select(
            col(Building.compound_id),
            func.count(col(Elector.id)),
            func.sum(case((voted, 1), else_=0)),
        )
        .select_from(Elector)
        .join(Topic, col(Topic.id) == col(Elector.topic_id))
        .outerjoin(Person, col(Person.id) == col(Elector.person_id))
        .outerjoin(Household, col(Household.id) == col(Elector.household_id))
        .join(Building, col(Building.id) == building)
        .where(
            col(Building.compound_id).in_(compound_ids),
            col(Elector.removed_at).is_(None),
            col(Topic.vote_opens_at) < end,
            col(Topic.vote_closes_at) >= start,
        )
        .group_by(col(Building.compound_id))
    ).all()
    return {int(c): Rate(int(took or 0), int(n)) for c, n, took in rows}


def _notices(
    session: Session,
    compounds: Sequence[Compound],
    start: datetime,
    end: datetime,
) -> dict[int, Rate]:
    """Of the residents each notice of the month reached in a compound, how many acknowledged."""
    notices = session.exec(
        select(Notice).where(
            Notice.state == "sent", col(Notice.sent_at) >= start, col(Notice.sent_at) < end
        )
    ).all()
    if not notices:
        return {}
    building_of = dict(
        session.exec(
            select(Person.id, Person.building_id).where(col(Person.building_id).is_not(None))
        ).all()
    )
    compound_of = dict(session.exec(select(Building.id, Building.compound_id)).all())
    wanted = {c.id for c in compounds}
    acked: dict[int, set[int]] = {}
    for notice_id, person_id in session.exec(
        select(NoticeAck.notice_id, NoticeAck.person_id).where(
            col(NoticeAck.notice_id).in_([n.id for n in notices])
        )
    ):
        acked.setdefault(notice_id, set()).add(person_id)
    reached: dict[int, int] = {}
    answered: dict[int, int] = {}
    for notice in notices:
        inside = buildings_in(session, Place(notice.scope_kind, notice.scope_id))
        for resident, building_id in building_of.items():
            found = compound_of.get(building_id)
            if building_id not in inside or found is None or found not in wanted:
                continue
            reached[found] = reached.get(found, 0) + 1
            if resident in acked.get(notice.id or 0, set()):
                answered[found] = answered.get(found, 0) + 1
    return {c: Rate(answered.get(c, 0), n) for c, n in reached.items()}


def compound_scores(
    session: Session,
    month: Month,
    tz: ZoneInfo,
    as_of: datetime,
    weights: Weights,
    community_id: int | None = None,
    counts: dict[int, Counts] | None = None,
) -> list[CompoundScore]:
    """Every compound's score for the month (of one community, or all), best first; `counts`:
    the compounds' figures when the caller has them already (Figures.compounds)."""
    query = select(Compound, Community).join(
        Community, col(Community.id) == col(Compound.community_id)
    )
    if community_id is not None:
        query = query.where(Compound.community_id == community_id)
    places = session.exec(query.order_by(col(Compound.id))).all()
    ids = [compound.id or 0 for compound, _ in places]
    start, end = month.start(tz), month.end(tz)
    scope = Scope(community_id=community_id)
    if counts is None:
        counts = compound_counts(session, month, tz, scope, as_of)
    households = _households(session, ids)
    reports = _reports(session, scope, start, end)
    deliberation = _deliberation(session, ids, start, end)
    notices = _notices(session, [c for c, _ in places], start, end)
    per_household = {c: reports.get(c, 0) / households[c] for c in ids if households[c]}
    worst = max(per_household.values(), default=0.0)
    scores = []
    for compound, community in places:
        ident = compound.id or 0
        figures = counts.get(ident)
        resolution = figures.resolution if figures else Rate(0, 0)
        satisfaction = figures.satisfaction if figures else Rate(0, 0)
        parts: dict[str, float | None] = {
            "reports": (
                None
                if ident not in per_household
                else 1.0 - (per_household[ident] / worst if worst else 0.0)
            ),
            "resolution": _fraction(resolution),
            "satisfaction": _fraction(satisfaction),
            "deliberation": _fraction(deliberation.get(ident, Rate(0, 0))),
            "notices": _fraction(notices.get(ident, Rate(0, 0))),
        }
        weighed = [
            (weights.of(p), v) for p, v in parts.items() if v is not None and weights.of(p) > 0
        ]
        total = sum(w for w, _ in weighed)
        scores.append(
            CompoundScore(
                compound_id=ident,
                compound=compound.name,
                compound_en=compound.name_en,
                community_id=community.id or 0,
                community=community.name,
                households=households[ident],
                reports=reports.get(ident, 0),
                resolution=resolution,
                satisfaction=satisfaction,
                deliberation=deliberation.get(ident, Rate(0, 0)),
                notices=notices.get(ident, Rate(0, 0)),
                parts=parts,
                score=round(100 * sum(w * v for w, v in weighed) / total, 1) if total else None,
            )
        )
    scores.sort(key=lambda s: (s.score is None, -(s.score or 0), s.compound_id))
    return scores


def _fraction(rate: Rate) -> float | None:
    return rate.numerator / rate.denominator if rate.denominator else None


def shortlist(scores: Sequence[CompoundScore], size: int) -> list[CompoundScore]:
    """The best `size` scored compounds of each community (scores are best first)."""
    picked: list[CompoundScore] = []
    per_community: dict[int, int] = {}
    for score in scores:
        if score.score is None or per_community.get(score.community_id, 0) >= size:
            continue
        per_community[score.community_id] = per_community.get(score.community_id, 0) + 1
        picked.append(score)
    return picked


class Selection:
    """One community's selection for a month: the shortlist kept, a vote, the announcement."""

    def __init__(self, session: Session, clock: Clock):
        self.session = session
        self.clock = clock

    def record(
        self, community_id: int, month: Month, picked: Sequence[CompoundScore]
    ) -> CompoundSelection:
        """Keep the shortlist (again, if the figures moved) unless a vote already runs on it."""
        row = self.session.exec(
            select(CompoundSelection).where(
                CompoundSelection.community_id == community_id,
                CompoundSelection.month == str(month),
            )
        ).first()
        row = row or CompoundSelection(community_id=community_id, month=str(month))
        if row.topic_id is None and row.announced_at is None:
            row.shortlist = [s.compound_id for s in picked]
        self.session.add(row)
        self.session.flush()
        return row

    def start_vote(
        self,
        row: CompoundSelection,
        person: Person,
        grants: Sequence[RoleGrant],
        title: str,
        text: str,
    ) -> Topic:
        """A deliberation topic whose choices are the shortlisted compounds; staff then fix the
        roll and announce it as any other topic."""
        if person.building_id is not None:  # propose() files it under the proposer's home
            _, _, home = org.place_of_building(self.session, person.building_id)
            if home.id != row.community_id:
                raise Refused("sel-refused-community")
        desk = Deliberation(self.session, self.clock)
        topic = desk.propose(person, text, community_id=row.community_id)
        topic.title = title[:60]
        topic.scope_kind, topic.scope_id = "community", row.community_id
        desk.accept(topic, person, grants)
        names = [self.session.get_one(Compound, c).name for c in row.shortlist]
        desk.configure(topic, person, grants, options=names)
        row.topic_id = topic.id
        self.session.add(row)
        return topic

    def announce(self, row: CompoundSelection, winner: Compound) -> list[ChatBinding]:
        """Record the winner; the groups of the community to tell."""
        row.winner_id = winner.id
        row.announced_at = self.clock.now()
        self.session.add(row)
        return groups_in(self.session, Place(ScopeKind.COMMUNITY, row.community_id))
