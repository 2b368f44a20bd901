"""Where a report's ticket is: the place named in its text, as the organisation has it."""

from __future__ import annotations

from sqlmodel import Session, select

from domain.places import compound_key, locate, open_at, place_index
from domain.tickets import TicketDesk
from nlp.places import ResolvedPlace
from storage import orgfile
from storage.models import Report, Spot, Ticket, TicketEvent
from tests.domain.helpers import Judged, person

HOME = "TD/铜都花园/3栋"


def test_the_index_is_built_from_the_database(session: Session) -> None:
    places = place_index(session)
    place = places.resolve(places.find("菜市场旁边有人摆摊"), "TD/铜都花园")
    assert (place.kind, place.spot) == ("spot", "菜场")
    other = places.resolve(places.find("铜都小区2栋电梯坏了"), "TD/铜都花园")
    assert (other.compound, other.building) == ("TD/铜都小区", "2栋")


def test_a_named_building_is_the_tickets_building(session: Session) -> None:
    home = orgfile.resolve_building(session, HOME)
    place = locate(session, home, ResolvedPlace("building", "TD/铜都花园", "1栋", text="1栋后面"))
    assert place.kind == "building"
    assert place.building.id == orgfile.resolve_building(session, "TD/铜都花园/1栋").id


def test_a_spot_of_the_reporters_compound_goes_through_their_building(session: Session) -> None:
    home = orgfile.resolve_building(session, HOME)
    place = locate(session, home, ResolvedPlace("spot", "TD/铜都花园", spot="北门", text="北门"))
    assert place.kind == "spot" and place.spot is not None and place.spot.name == "北门"
    assert place.building.id == home.id


def test_a_spot_of_another_compound_goes_through_that_compound(session: Session) -> None:
    home = orgfile.resolve_building(session, HOME)
    place = locate(session, home, ResolvedPlace("spot", "TD/铜都小区", spot="垃圾站"))
    assert place.compound.name == "铜都小区"
    assert place.building.compound_id == place.compound.id  # its grid worker gets it


def test_what_the_organisation_lacks_is_the_reporters_building(session: Session) -> None:
    home = orgfile.resolve_building(session, HOME)
    for missing in (
        ResolvedPlace("building", "TD/铜都花园", "9栋"),
        ResolvedPlace("spot", "TD/铜都花园", spot="游泳池"),
        ResolvedPlace("compound", "ZZ/不存在"),
        ResolvedPlace("home"),
    ):
        place = locate(session, home, missing)
        assert (place.kind, place.building.id) == ("home", home.id), missing


def test_a_ticket_about_a_spot_keeps_it(session: Session, desk: TicketDesk) -> None:
    reporter = person(session, "r1")
    home = orgfile.resolve_building(session, HOME)
    report = Report(
        chat_id=1,
        message_id=1,
        telegram_user_id=101,
        person_id=reporter.id,
        text="小区北门的路灯不亮",
        received_at=desk.clock.now(),
    )
    session.add(report)
    session.flush()
    place = locate(session, home, ResolvedPlace("spot", "TD/铜都花园", spot="北门"))
    change = open_at(desk, report, reporter, place, Judged())
    session.commit()
    ticket = session.get_one(Ticket, change.ticket.id)
    spot = session.exec(select(Spot).where(Spot.name == "北门")).one()
    assert ticket.spot_id == spot.id
    assert ticket.building_id == home.id and ticket.grid_id == home.grid_id
    opened = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).one()
    assert opened.data == {"compound": "铜都花园", "spot": "北门"}


def test_the_compound_key_is_the_org_files_path(session: Session) -> None:
    assert compound_key(session, orgfile.resolve_building(session, HOME)) == "TD/铜都花园"
