"""Places named in a message, found against the organisation 社区—小区—楼栋 and its spots.

Residents name places the way they speak: a building (6栋, 6号楼, 六栋, 6幢, "6栋后面"), a
compound by its name or a short name (铜都花园, 西花苑), a community (铜都社区), or a spot of a
compound (北门, 菜场旁边, 篮球场, 车棚) that the organisation file lists. ``PlaceIndex.find``
returns the mentions with their offsets; ``PlaceIndex.resolve`` turns the mentions of one
problem into the place its ticket gets: the place named, when the organisation has it
(relative to the reporter's own compound first), else the reporter's building.

The index is plain data (no storage import): build it from the organisation file's mapping
(``PlaceIndex.from_mapping``) or from the database (``domain.places.place_index``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from nlp.datafile import Words, fold, traditional_chars

__all__ = [
    "CompoundPlace",
    "PlaceIndex",
    "PlaceMention",
    "ResolvedPlace",
    "SpotPlace",
    "building_number",
]

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_CN_DIGITS |= {"八": 8, "九": 9}
_DIGITS = "0-9０-９"
_CN = "一二三四五六七八九十〇零"
# 6栋, 6号楼, 六栋, 6幢, 6#楼, 第6栋; not 6楼 (a floor). The pattern starts with the number, so
# that the regex engine skips every place no number starts at; what may not come before it
# (两栋, 这栋, 几栋: quantities) is checked in code.
_BUILDING = re.compile(
    rf"(?P<num>[{_DIGITS}]{{1,3}})\s*(?P<unit>号楼|号栋|栋|幢|座楼|号院|#楼|#)"
    rf"|(?P<cn>[{_CN}]{{1,3}})(?P<cnunit>号楼|栋|幢)"
    rf"|(?:building|bldg\.?|block)\s*(?P<en>[0-9]{{1,3}})",
)
_UNITS = re.compile(r"[栋幢#]|号楼|号院|座楼|building|bldg|block")  # no unit, no building
_NOT_BEFORE = frozenset("这那哪几每整各好两0123456789０１２３４５６７８９")
# what residents put after a place: 6栋后面, 菜场旁边, 北门口
_RELATION = re.compile(
    r"\s*的?\s*(后面|后边|背后|旁边|边上|前面|前边|门口|口子|楼下|对面|附近|那边|这边|里面|周围|"
    r"侧面|拐角|转角|外面|里头|口)"
)
_COMPOUND_SUFFIX = "小区"
_COMMUNITY_SUFFIX = "社区"


def building_number(name: str) -> int | None:
    """The number of an organisation's building name (「6栋」, 「6号楼」 → 6), if it has one."""
    digits = ""
    for ch in name:
        if ch.isdigit():
            digits += ch
        else:
            break
    return int(digits) if digits else None


def _cn_number(text: str) -> int | None:
    """一 … 九十九 as a number (六 → 6, 十一 → 11, 二十 → 20)."""
    if "十" not in text:
        if len(text) != 1:
            return None
        return _CN_DIGITS.get(text)
    tens, _, ones = text.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return None
    value = (_CN_DIGITS.get(tens, -100) if tens else 1) * 10
    value += _CN_DIGITS.get(ones, -100) if ones else 0
    return value if value > 0 else None


@dataclass(frozen=True)
class SpotPlace:
    """A named spot of a compound (北门, 菜场, 篮球场): a place a ticket can be about."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompoundPlace:
    """A compound 小区 as the index sees it."""

    community: str  # community code
    name: str
    aliases: tuple[str, ...] = ()
    buildings: tuple[str, ...] = ()
    spots: tuple[SpotPlace, ...] = ()

    @property
    def key(self) -> str:
        """``TD/铜都花园``: the organisation file's path of the compound."""
        return f"{self.community}/{self.name}"


class PlaceMention(NamedTuple):
    """A place named in a text (offsets in that text)."""

    kind: str  # building | compound | community | spot
    text: str
    start: int
    end: int
    name: str  # building: its number; compound/spot: its name; community: its code
    compounds: tuple[str, ...] = ()  # compound keys it names (a spot: those that have it)
    relation: str = ""  # 后面, 旁边 … when the text says where relative to it
    wider: tuple[str, ...] = ()  # compounds of a community the same words name (铜都 → 铜都社区)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "name": self.name}


@dataclass(frozen=True)
class ResolvedPlace:
    """Where a problem is: what the text named, as the organisation knows it.

    ``kind`` is ``spot``, ``building`` or ``compound`` when the text named a place the
    organisation has, else ``home`` (the reporter's building; the text is kept as written).
    """

    kind: str
    compound: str | None = None  # key, TD/铜都花园
    building: str | None = None  # the organisation's building name, 6栋
    spot: str | None = None
    text: str = ""  # the words that named it
    reasons: tuple[str, ...] = ()

    @property
    def named(self) -> bool:
        return self.kind != "home"

    def facts(self) -> dict[str, Any]:
        """What a report keeps of its place (``Report.classification["place"]``)."""
        return {
            "kind": self.kind,
            "compound": self.compound,
            "building": self.building,
            "spot": self.spot,
            "text": self.text,
        }

    def label(self) -> str:
        """A short human label: 铜都花园 北门, 铜都花园 6栋, 铜都花园."""
        compound = self.compound.split("/", 1)[1] if self.compound else ""
        parts = [compound, self.spot or self.building or ""]
        return " ".join(p for p in parts if p)


HOME = ResolvedPlace("home")


@dataclass
class _Name:
    compounds: list[str] = field(default_factory=list)
    communities: list[str] = field(default_factory=list)
    spots: list[tuple[str, str]] = field(default_factory=list)  # (compound key, spot name)


class PlaceIndex:
    """The organisation's places, compiled for finding them in messages."""

    def __init__(
        self,
        compounds: Sequence[CompoundPlace],
        communities: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """``communities``: code → names (full name first) of each community."""
        self.compounds = {c.key: c for c in compounds}
        self._numbers: dict[str, dict[int, str]] = {}
        for c in compounds:
            numbers: dict[int, str] = {}
            for b in c.buildings:
                n = building_number(b)
                if n is not None:
                    numbers.setdefault(n, b)
            self._numbers[c.key] = numbers
        self._of_community: dict[str, list[str]] = {}
        for c in compounds:
            self._of_community.setdefault(c.community, []).append(c.key)
        names: dict[str, _Name] = {}

        def add(surface: str, update: Any) -> None:
            form = surface.strip().lower()
            if len(form) >= 2:
                update(names.setdefault(form, _Name()))

        for code, community_names in (communities or {}).items():
            for full in community_names:
                add(full, lambda n, code=code: n.communities.append(code))
                short = full.removesuffix(_COMMUNITY_SUFFIX)
                if short != full and len(short) >= 2:
                    add(short, lambda n, code=code: n.communities.append(code))
        for c in compounds:
            surfaces = {c.name, *c.aliases}
            short = c.name.removesuffix(_COMPOUND_SUFFIX)
            if short != c.name and len(short) >= 2:
                surfaces.add(short)
            for surface in surfaces:
                add(surface, lambda n, key=c.key: n.compounds.append(key))
            for spot in c.spots:
                for surface in (spot.name, *spot.aliases):
                    add(surface, lambda n, key=c.key, s=spot.name: n.spots.append((key, s)))
        self._names = names
        self._name_re = Words(names) if names else None
        self.traditional = traditional_chars([*names, "栋号楼幢后面旁边门口对面"])

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PlaceIndex:
        """From an organisation file's content (as YAML reads it; see storage/orgfile.py)."""
        compounds: list[CompoundPlace] = []
        communities: dict[str, list[str]] = {}
        for community in data.get("communities") or ():
            code = str(community["code"])
            communities[code] = [str(community["name"])]
            for compound in community.get("compounds") or ():
                spots = []
                for spot in compound.get("spots") or ():
                    if isinstance(spot, str):
                        spots.append(SpotPlace(spot))
                    else:
                        aliases = tuple(str(a) for a in spot.get("aliases") or ())
                        spots.append(SpotPlace(str(spot["name"]), aliases))
                compounds.append(
                    CompoundPlace(
                        community=code,
                        name=str(compound["name"]),
                        aliases=tuple(str(a) for a in compound.get("aliases") or ()),
                        buildings=tuple(str(b) for b in compound.get("buildings") or ()),
                        spots=tuple(spots),
                    )
                )
        return cls(compounds, communities)

    @classmethod
    def from_file(cls, path: str | Path) -> PlaceIndex:
        """From an organisation file (YAML); ``ValueError`` naming the file when unreadable."""
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
            return cls.from_mapping(data)
        except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"cannot read the places of {path}: {exc}") from None

    # -- finding -------------------------------------------------------------------------

    def find(
        self, text: str, start: int = 0, end: int | None = None, *, folded: str | None = None
    ) -> tuple[PlaceMention, ...]:
        """Every place named in ``text[start:end]``, in order.

        ``folded``: the text as ``nlp.datafile.fold`` made it, when the caller has it.
        """
        stop = len(text) if end is None else end
        found: list[PlaceMention] = []
        taken: list[tuple[int, int]] = []
        lower = fold(text, self.traditional) if folded is None else folded
        if self._name_re is not None:
            for m in self._name_re.finditer(lower, start, stop):
                entry = self._names[m.group()]
                relation = self._relation(text, m.end(), stop)
                wider = tuple(
                    key for code in entry.communities for key in self._of_community.get(code, ())
                )
                if entry.compounds or entry.communities:
                    direct = tuple(entry.compounds)
                    found.append(
                        PlaceMention(
                            "compound" if direct else "community",
                            text[m.start() : m.end()],
                            m.start(),
                            m.end(),
                            self.compounds[direct[0]].name if direct else entry.communities[0],
                            direct,
                            relation,
                            wider,
                        )
                    )
                else:
                    found.append(
                        PlaceMention(
                            "spot",
                            text[m.start() : m.end()],
                            m.start(),
                            m.end(),
                            entry.spots[0][1],
                            tuple(key for key, _ in entry.spots),
                            relation,
                        )
                    )
                taken.append((m.start(), m.end()))
        units = _UNITS.search(lower, start, stop) is not None
        for m in _BUILDING.finditer(lower, start, stop) if units else ():
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue  # a digit inside a place name
            if m.start() > 0 and lower[m.start() - 1] in _NOT_BEFORE:
                continue
            number = _number(m)
            if number is None or (m.group("cn") == "一" and lower[m.end() : m.end() + 1] == "楼"):
                continue  # 一栋楼: "a whole building", not building 1
            found.append(
                PlaceMention(
                    "building",
                    text[m.start() : m.end()],
                    m.start(),
                    m.end(),
                    str(number),
                    (),
                    self._relation(text, m.end(), stop),
                )
            )
        if not found:
            return ()
        found.sort(key=lambda p: p.start)
        return tuple(found)

    @staticmethod
    def _relation(text: str, at: int, stop: int) -> str:
        m = _RELATION.match(text, at, stop)
        return m.group(1) if m else ""

    # -- resolving -----------------------------------------------------------------------

    def resolve(
        self,
        mentions: Iterable[PlaceMention],
        home_compound: str | None = None,
    ) -> ResolvedPlace:
        """The place a problem is about, from the mentions in its text.

        The compound is the one named (a short name or a community name counts when it
        points at one compound, or at the reporter's own); else the reporter's. In it, a
        listed spot, else a building it has. A place the organisation does not have leaves
        the reporter's building (kind ``home``), with the reason.
        """
        mentions = list(mentions)
        if not mentions:
            return HOME
        reasons: list[str] = []
        compound: str | None = None
        named_compound: PlaceMention | None = None
        for m in mentions:
            if m.kind not in ("compound", "community"):
                continue
            pick = self._pick(m.compounds, m.wider, home_compound)
            if pick is None:
                reasons.append(f"{m.text}: more than one compound, none of them the reporter's")
                continue
            compound = pick
            named_compound = m if m.kind == "compound" else None  # a community is no place
            break
        if compound is None:
            compound = home_compound
        if compound is None or compound not in self.compounds:
            reasons.append("no compound to look the place up in")
            return ResolvedPlace("home", reasons=tuple(reasons))
        texts = [named_compound.text] if named_compound is not None else []
        for m in mentions:
            if m.kind == "spot":
                if compound in m.compounds:
                    spot_text = m.text + (m.relation if m.relation else "")
                    return ResolvedPlace(
                        "spot",
                        compound,
                        None,
                        m.name,
                        " ".join([*texts, spot_text]),
                        (*reasons, f"{m.text}: a spot of {compound}"),
                    )
                reasons.append(f"{m.text}: not a spot of {compound}")
        for m in mentions:
            if m.kind == "building":
                name = self._numbers[compound].get(int(m.name))
                if name is not None:
                    return ResolvedPlace(
                        "building",
                        compound,
                        name,
                        None,
                        " ".join([*texts, m.text + m.relation]),
                        (*reasons, f"{m.text}: building {name} of {compound}"),
                    )
                reasons.append(f"{m.text}: no such building in {compound}")
        if named_compound is not None:
            return ResolvedPlace(
                "compound",
                compound,
                None,
                None,
                named_compound.text,
                (*reasons, f"{named_compound.text}: the compound {compound}"),
            )
        return ResolvedPlace("home", reasons=tuple(reasons))

    @staticmethod
    def _pick(direct: Sequence[str], wider: Sequence[str], home: str | None) -> str | None:
        """The compound words name: the reporter's own if it may be, else the only one."""
        if home is not None and (home in direct or home in wider):
            return home
        if len(direct) == 1:
            return direct[0]
        return wider[0] if not direct and len(wider) == 1 else None

    def names(self) -> list[str]:
        """Every place name the index knows (for the segmenter's dictionary)."""
        return sorted(self._names)


def _number(m: re.Match[str]) -> int | None:
    if m.group("num"):
        return int(m.group("num"))
    if m.group("cn"):
        return _cn_number(m.group("cn"))
    if m.group("en"):
        return int(m.group("en"))
    return None
