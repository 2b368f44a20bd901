"""Where a report is about: the place named in its text, when the organisation has it.

「6栋后面」, 「小区北门」, 「菜场旁边」: ``nlp.places`` finds the words and resolves them against
the organisation (``place_index`` builds its index from the database); ``locate`` turns the
result into rows. A ticket about a building is that building's; a ticket about a spot keeps
the spot (``Ticket.spot_id``) and is routed through a building of its compound (the reporter's,
when they live there), so the compound's grid worker gets it. A place the organisation does not
have leaves the reporter's building, with the text kept as written.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from domain.tickets import Assessment, Change, TicketDesk
from nlp.places import CompoundPlace, PlaceIndex, ResolvedPlace, SpotPlace
from storage.models import Building, Community, Compound, Person, Report, Spot


@dataclass(frozen=True)
class ReportPlace:
    """Where a report's ticket is: what was named, and the building it is routed through."""

    kind: str  # spot | building | compound | home
    building: Building
    compound: Compound
    spot: Spot | None = None
    text: str = ""  # the words that named it

    @property
    def named(self) -> bool:
        return self.kind != "home"


def place_index(session: Session) -> PlaceIndex:
    """The organisation's places as ``nlp.places`` finds them (built once, at start-up)."""
    communities = {c.id: c for c in session.exec(select(Community).order_by(col(Community.id)))}
    buildings: dict[int, list[str]] = {}
    for b in session.exec(select(Building).order_by(col(Building.id))):
        buildings.setdefault(b.compound_id, []).append(b.name)
    spots: dict[int, list[SpotPlace]] = {}
    for s in session.exec(select(Spot).order_by(col(Spot.id))):
        spots.setdefault(s.compound_id, []).append(SpotPlace(s.name, tuple(s.aliases or ())))
    compounds = [
        CompoundPlace(
            community=communities[c.community_id].code,
            name=c.name,
            aliases=tuple(c.aliases or ()),
            buildings=tuple(buildings.get(c.id or 0, ())),
            spots=tuple(spots.get(c.id or 0, ())),
        )
        for c in session.exec(select(Compound).order_by(col(Compound.id)))
    ]
    return PlaceIndex(compounds, {c.code: [c.name] for c in communities.values()})


def compound_key(session: Session, building: Building) -> str:
    """The organisation path of a building's compound (``TD/铜都花园``), as the index names it."""
    compound = session.get_one(Compound, building.compound_id)
    community = session.get_one(Community, compound.community_id)
    return f"{community.code}/{compound.name}"


def locate(session: Session, home: Building, place: ResolvedPlace) -> ReportPlace:
    """The rows of a resolved place; the reporter's building when it names none we have."""
    own = session.get_one(Compound, home.compound_id)
    fallback = ReportPlace("home", home, own)
    if place.kind == "home" or place.compound is None:
        return fallback
    code, _, name = place.compound.partition("/")
    compound = session.exec(
        select(Compound)
        .join(Community, col(Community.id) == col(Compound.community_id))
        .where(Community.code == code, Compound.name == name)
    ).first()
    if compound is None:
        return fallback
    if place.kind == "building" and place.building:
        building = session.exec(
            select(Building).where(
                Building.compound_id == compound.id, Building.name == place.building
            )
        ).first()
        if building is None:
            return fallback
        return ReportPlace("building", building, compound, None, place.text)
    routed = home if home.compound_id == compound.id else _first_building(session, compound)
    if routed is None:
        return fallback
    if place.kind == "spot" and place.spot:
        spot = session.exec(
            select(Spot).where(Spot.compound_id == compound.id, Spot.name == place.spot)
        ).first()
        if spot is None:
            return fallback
        return ReportPlace("spot", routed, compound, spot, place.text)
    return ReportPlace("compound", routed, compound, None, place.text)


def _first_building(session: Session, compound: Compound) -> Building | None:
    return session.exec(
        select(Building).where(Building.compound_id == compound.id).order_by(col(Building.id))
    ).first()


def open_at(
    desk: TicketDesk,
    report: Report,
    reporter: Person,
    place: ReportPlace,
    assessment: Assessment,
) -> Change:
    """Open a ticket for a report at its place: ``TicketDesk.open``, and the spot if any."""
    change = desk.open(report, reporter, place.building, assessment)
    if place.spot is not None:
        change.ticket.spot_id = place.spot.id
        change.event.data = {**change.event.data, "spot": place.spot.name}
        desk.session.add(change.ticket)
    return change
