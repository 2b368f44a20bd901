"""Places named in messages, found and resolved against the organisation (nlp/places.py)."""

from __future__ import annotations

import pytest

from nlp.intent_eval import SAMPLE_ORG
from nlp.places import PlaceIndex

HOME = "TD/铜都花园"


@pytest.fixture(scope="module")
def places() -> PlaceIndex:
    return PlaceIndex.from_file(SAMPLE_ORG)


@pytest.mark.parametrize(
    ("text", "building"),
    [
        ("6栋后面垃圾", "6栋"),
        ("6号楼电梯", "6栋"),
        ("六栋的灯", "6栋"),
        ("6幢门口", "6栋"),
        ("6#楼", "6栋"),
        ("第6栋", "6栋"),
        ("３号楼", "3栋"),
        ("3號樓", "3栋"),
        ("building 3", "3栋"),
    ],
)
def test_buildings_as_residents_write_them(places: PlaceIndex, text: str, building: str) -> None:
    place = places.resolve(places.find(text), HOME)
    assert (place.kind, place.building) == ("building", building)


@pytest.mark.parametrize("text", ["6楼漏水", "两栋楼之间", "一栋楼都停水了", "这栋楼", "302室"])
def test_floors_rooms_and_quantities_are_no_buildings(places: PlaceIndex, text: str) -> None:
    assert [m for m in places.find(text) if m.kind == "building"] == []


def test_what_is_said_after_the_place_is_kept(places: PlaceIndex) -> None:
    (mention,) = places.find("6栋后面垃圾堆了好几天")
    assert mention.relation == "后面"
    assert places.resolve([mention], HOME).text == "6栋后面"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("小区北门的路灯不亮", "铜都花园 北门"),
        ("菜市场旁边有人摆摊", "铜都花园 菜场"),  # an alias of the spot
        ("篮球场的灯坏了", "铜都花园 篮球场"),
        ("铜都小区垃圾站满了", "铜都小区 垃圾站"),  # a spot of another compound, named with it
        ("西花苑3栋楼道灯坏了", "西花苑小区 3栋"),  # a compound's short name
        ("铜都小区2号楼电梯", "铜都小区 2栋"),
    ],
)
def test_named_places_of_the_organisation(places: PlaceIndex, text: str, label: str) -> None:
    assert places.resolve(places.find(text), HOME).label() == label


def test_a_short_name_shared_with_the_community_means_the_reporters_compound(
    places: PlaceIndex,
) -> None:
    # 铜都 names 铜都社区 and (as a short name) 铜都小区: for a resident of 铜都花园, theirs
    assert places.resolve(places.find("铜都2栋"), HOME).label() == "铜都花园 2栋"
    assert places.resolve(places.find("铜都2栋"), "XHY/西花苑小区").label() == "铜都小区 2栋"


def test_a_spot_the_reporters_compound_lacks_is_not_found_elsewhere(places: PlaceIndex) -> None:
    place = places.resolve(places.find("垃圾站满了"), HOME)  # 铜都小区 has one; 铜都花园 not
    assert place.kind == "home"
    assert "垃圾站: not a spot of TD/铜都花园" in place.reasons


def test_a_building_the_compound_lacks_leaves_the_reporters_building(places: PlaceIndex) -> None:
    place = places.resolve(places.find("10栋门口有个大坑"), HOME)
    assert place.kind == "home"
    assert place.reasons == ("10栋: no such building in TD/铜都花园",)


def test_a_community_named_alone_is_no_place(places: PlaceIndex) -> None:
    assert places.resolve(places.find("铜都社区的路灯"), HOME).kind == "home"


def test_a_compound_named_alone_is_the_compound(places: PlaceIndex) -> None:
    place = places.resolve(places.find("铜都小区停电了"), HOME)
    assert (place.kind, place.compound) == ("compound", "TD/铜都小区")


def test_without_a_home_a_building_alone_is_nowhere(places: PlaceIndex) -> None:
    assert places.resolve(places.find("6栋门口")).kind == "home"


def test_the_index_lists_its_names_for_the_segmenter(places: PlaceIndex) -> None:
    names = places.names()
    assert {"铜都花园", "西花苑", "北门", "菜市场"} <= set(names)


def test_an_unreadable_org_file_is_a_clear_error(tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(ValueError, match="cannot read the places of"):
        PlaceIndex.from_file("/nonexistent/org.yaml")
