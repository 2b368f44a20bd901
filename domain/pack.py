"""The monthly meeting pack 联席会议材料: for a month and a community (or the whole sub-district),
the three rates and rankings, the overdue and repeatedly reopened tickets, the top specific
problems with examples, deliberation topics and their stage, notices and their acknowledgement,
and the compound scores of the civilised-compound selection — as an XLSX
workbook and a printable HTML page (print CSS; no PDF: see docs/figures.md).

Everything in the pack is masked (phone, ID and plate numbers): it is printed and passed round
the meeting table. The console's button and `linli pack` both call `build` then `workbook` /
`page`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import or_, true
from sqlmodel import Session, col, select

from domain.exports import (
    Column,
    Label,
    Table,
    problems_table,
    rates_table,
    tickets_table,
    to_xlsx,
)
from domain.figures import RATES, Figures, Month, Scope, UnitFigures, month_figures
from domain.lists import (
    Problem,
    TicketFilter,
    TicketRow,
    problems,
    reopened,
    shown,
    ticket_page,
)
from domain.notices import Place, buildings_in
from domain.selection import CompoundScore, Weights, compound_scores, shortlist
from storage.models import Building, Community, Compound, ScopeKind
from storage.models_deliberation import Elector, Participation, Topic
from storage.models_notices import Notice, NoticeAck

TEMPLATES = Path(__file__).parent / "templates"
TOP_PROBLEMS = 10
LISTED = 100  # at most this many overdue or reopened tickets are listed (all are counted)
REOPENED_AT_LEAST = 2  # "repeatedly reopened"
QUIET_STATES = ("declined", "merged")


@dataclass(frozen=True)
class Reopened:
    number: str
    category: str
    state: str
    text: str
    times: int


@dataclass(frozen=True)
class TopicLine:
    """A deliberation topic that was alive during the month, and how far it got."""

    number: str
    title: str
    state: str
    created_at: datetime
    electors: int
    voted: int


@dataclass(frozen=True)
class NoticeLine:
    """A notice sent in the month, and how many of the residents in scope acknowledged it."""

    sent_at: datetime
    place: str  # '' for the whole sub-district
    text: str
    groups: int
    residents: int
    acknowledged: int


@dataclass
class MeetingPack:
    """Everything the meeting looks at, gathered once; `workbook` and `page` only lay it out."""

    month: Month
    community: Community | None
    generated_at: datetime
    tz: ZoneInfo
    figures: Figures
    overdue: list[TicketRow]
    overdue_total: int
    reopened: list[Reopened]
    problems: list[Problem]
    topics: list[TopicLine]
    notices: list[NoticeLine]
    compounds: list[CompoundScore]
    shortlist: list[CompoundScore] = field(default_factory=list)

    @property
    def ranked_unit(self) -> str:
        """The units the meeting ranks: grids in a community, communities in the sub-district."""
        return "grid" if self.community is not None else "community"

    def slug(self) -> str:
        """pack-TD-2026-11 (pack-all-2026-11 for the sub-district): a file name."""
        return f"pack-{self.community.code if self.community else 'all'}-{self.month}"


def build(
    session: Session,
    month: Month,
    tz: ZoneInfo,
    now: datetime,
    community: Community | None,
    weights: Weights,
    shortlist_size: int = 3,
) -> MeetingPack:
    """Gather the pack of a month for one community (None: the whole sub-district)."""
    community_id = community.id if community is not None else None
    scope = Scope(community_id=community_id)
    start, end = month.start(tz), month.end(tz)
    figures = month_figures(session, month, tz, scope, now)
    late = ticket_page(
        session,
        TicketFilter(community=community_id, overdue=True, sort="opened"),
        true(),
        tz,
        now,
        staff=False,
        per_page=LISTED,
    )
    again = [
        Reopened(t.number, t.category, t.state, shown(t.text, False, 60), n)
        for t, n in reopened(session, scope, start, end, REOPENED_AT_LEAST)[:LISTED]
    ]
    top = problems(
        session,
        scope,
        staff=False,
        now=now,
        opened_since=start,
        opened_before=end,
        open_only=False,
        limit=TOP_PROBLEMS,
    )
    scores = compound_scores(session, month, tz, now, weights, community_id, figures.compounds)
    return MeetingPack(
        month=month,
        community=community,
        generated_at=now,
        tz=tz,
        figures=figures,
        overdue=late.rows,
        overdue_total=late.total,
        reopened=again,
        problems=top,
        topics=_topics(session, community_id, start, end),
        notices=_notices(session, community_id, start, end),
        compounds=scores,
        shortlist=shortlist(scores, shortlist_size),
    )


def _topics(
    session: Session, community_id: int | None, start: datetime, end: datetime
) -> list[TopicLine]:
    query = select(Topic).where(
        col(Topic.created_at) < end,
        col(Topic.state).not_in(QUIET_STATES),
        or_(col(Topic.closed_at).is_(None), col(Topic.closed_at) >= start),
    )
    if community_id is not None:
        query = query.where(Topic.community_id == community_id)
    lines = []
    for topic in session.exec(query.order_by(col(Topic.id))).all():
        electors = session.exec(
            select(Elector.id).where(
                Elector.topic_id == topic.id, col(Elector.removed_at).is_(None)
            )
        ).all()
        voted = session.exec(select(Participation.id).where(Participation.topic_id == topic.id))
        lines.append(
            TopicLine(
                topic.number,
                topic.title,
                topic.state,
                topic.created_at,
                len(electors),
                len(voted.all()),
            )
        )
    return lines


def _notices(
    session: Session, community_id: int | None, start: datetime, end: datetime
) -> list[NoticeLine]:
    sent = session.exec(
        select(Notice)
        .where(Notice.state == "sent", col(Notice.sent_at) >= start, col(Notice.sent_at) < end)
        .order_by(col(Notice.sent_at))
    ).all()
    ours = None
    if community_id is not None:
        ours = buildings_in(session, Place(ScopeKind.COMMUNITY, community_id))
    lines = []
    for notice in sent:
        inside = buildings_in(session, Place(notice.scope_kind, notice.scope_id))
        if ours is not None and notice.scope_kind != ScopeKind.SUBDISTRICT and not inside & ours:
            continue
        acked = session.exec(select(NoticeAck.person_id).where(NoticeAck.notice_id == notice.id))
        assert notice.sent_at is not None
        lines.append(
            NoticeLine(
                sent_at=notice.sent_at,
                place=_place_name(session, notice),
                text=shown(notice.text, False, 80),
                groups=notice.groups,
                residents=notice.residents,
                acknowledged=len(acked.all()),
            )
        )
    return lines


def _place_name(session: Session, notice: Notice) -> str:
    if notice.scope_kind == ScopeKind.SUBDISTRICT or notice.scope_id is None:
        return ""
    if notice.scope_kind == ScopeKind.COMMUNITY:
        return session.get_one(Community, notice.scope_id).name
    if notice.scope_kind == ScopeKind.COMPOUND:
        return session.get_one(Compound, notice.scope_id).name
    if notice.scope_kind == ScopeKind.BUILDING:
        building = session.get_one(Building, notice.scope_id)
        return f"{session.get_one(Compound, building.compound_id).name} {building.name}"
    return str(notice.scope_kind)


# --- the workbook ------------------------------------------------------------------------------


def _tables(pack: MeetingPack, english: bool) -> list[Table]:
    compounds = Table(
        "sheet-compounds",
        [
            Column("col-community"),
            Column("col-compound"),
            Column("col-score", "number", width=8),
            Column("col-shortlisted", "bool", width=8),
            Column("col-households", "number", width=8),
            Column("col-reports", "number", width=8),
            Column("col-resolution", "percent", width=9),
            Column("col-satisfaction", "percent", width=9),
            Column("col-deliberation", "percent", width=9),
            Column("col-notices", "percent", width=9),
        ],
        [
            [
                s.community,
                s.compound_en if english and s.compound_en else s.compound,
                s.score,
                s in pack.shortlist,
                s.households,
                s.reports,
                s.resolution,
                s.satisfaction,
                s.deliberation,
                s.notices,
            ]
            for s in pack.compounds
        ],
    )
    reopened_table = Table(
        "sheet-reopened",
        [
            Column("col-number", width=16),
            Column("col-category", "code", "category-", width=16),
            Column("col-state", "code", "state-"),
            Column("col-reopened-times", "number", width=8),
            Column("col-text", width=40),
        ],
        [[r.number, r.category, r.state, r.times, r.text] for r in pack.reopened],
    )
    topics = Table(
        "sheet-topics",
        [
            Column("col-number", width=14),
            Column("col-title", width=30),
            Column("col-stage", "code", "dl-state-"),
            Column("col-created", "datetime", width=17),
            Column("col-electors", "number", width=8),
            Column("col-voted", "number", width=8),
        ],
        [[t.number, t.title, t.state, t.created_at, t.electors, t.voted] for t in pack.topics],
    )
    notices = Table(
        "sheet-notices",
        [
            Column("col-sent", "datetime", width=17),
            Column("col-place", width=18),
            Column("col-text", width=40),
            Column("col-groups", "number", width=8),
            Column("col-residents", "number", width=8),
            Column("col-acknowledged", "number", width=8),
        ],
        [[n.sent_at, n.place, n.text, n.groups, n.residents, n.acknowledged] for n in pack.notices],
    )
    overdue = tickets_table(pack.overdue)
    overdue.title = "sheet-overdue"
    return [
        rates_table(pack.figures, english),
        overdue,
        reopened_table,
        problems_table(pack.problems),
        topics,
        notices,
        compounds,
    ]


def heading(pack: MeetingPack, label: Label) -> str:
    place = pack.community.name if pack.community else label("pack-subdistrict")
    return label("pack-title", month=str(pack.month), place=place)


def workbook(pack: MeetingPack, label: Label, english: bool = False) -> bytes:
    """The pack as an XLSX workbook, one sheet per part."""
    return to_xlsx(_tables(pack, english), label, pack.tz, heading=heading(pack, label))


# --- the printable page ------------------------------------------------------------------------

_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def bars(rows: list[UnitFigures], rate: str, width: int = 520) -> dict[str, Any]:
    """An inline SVG bar chart's geometry: one bar per unit (no script, no CDN)."""
    bar, gap, left = 16, 6, 150
    items = []
    for index, row in enumerate(rows):
        value = row.rate(rate)
        length = 0.0 if value.percent is None else (width - left - 50) * value.percent / 100
        items.append(
            {
                "y": index * (bar + gap),
                "length": round(length, 1),
                "name": row.name,
                "text": value.text(),
            }
        )
    return {
        "width": width,
        "height": max(1, len(rows)) * (bar + gap),
        "bar": bar,
        "left": left,
        "items": items,
    }


def page(pack: MeetingPack, label: Label, lang: str) -> str:
    """The pack as one printable HTML page (A4, print CSS), in the reader's language."""

    def when(moment: datetime | None) -> str:
        return moment.astimezone(pack.tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    units = pack.figures.units.get(pack.ranked_unit, [])
    return _ENV.get_template("pack.html").render(
        pack=pack,
        L=label,
        lang="zh-Hans" if lang == "zh_Hans" else lang,
        title=heading(pack, label),
        when=when,
        rates=RATES,
        units=units,
        charts={rate: bars(units, rate) for rate in RATES},
        unit_kinds=[
            u for u in ("community", "grid", "worker", "department") if u in pack.figures.units
        ],
    )
