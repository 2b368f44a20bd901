"""The organisation file (YAML): communities, compounds, buildings, grids, departments, chats,
people and their roles. Importing is idempotent: run it again after editing the file.

Places are named by paths: a community by its code (``TD``), a compound as ``TD/铜都花园``, a
building as ``TD/铜都花园/3栋``; scopes as ``kind:path`` (``grid:TD-01``, ``compound:TD/铜都花园``,
``department:pingan``, ``subdistrict``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlmodel import Session, select

from storage.models import (
    Building,
    ChatBinding,
    Community,
    Compound,
    Department,
    Grid,
    Person,
    Role,
    RoleGrant,
    ScopeKind,
    Spot,
)

SAMPLE = Path(__file__).parent / "sample" / "xinxialu.yaml"


class OrgFileError(ValueError):
    """A bad organisation file; the message says where."""


def building_like(name: str) -> bool:
    """「6栋」, 「6号楼」, 「6幢」: a building's name, not a spot's."""
    digits = name.rstrip("栋号楼幢#")
    return bool(digits) and digits != name and digits.isdigit()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SpotSpec(_Strict):
    """A named spot of a compound (北门, 菜场, 篮球场); ``- 北门`` is short for ``{name: 北门}``."""

    name: str = Field(min_length=1)
    name_en: str = ""
    aliases: list[str] = []  # other words residents use for it (菜市场 for 菜场)


class CompoundSpec(_Strict):
    name: str
    name_en: str = ""
    aliases: list[str] = []  # short names residents use (西花苑 for 西花苑小区)
    buildings: list[str] = Field(min_length=1)
    spots: list[SpotSpec] = []

    @field_validator("spots", mode="before")
    @classmethod
    def _spot_shorthand(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value

    @model_validator(mode="after")
    def _spots_are_distinct(self) -> CompoundSpec:
        seen: set[str] = set()
        for spot in self.spots:
            for word in (spot.name, *spot.aliases):
                word = word.strip()
                if not word:
                    raise ValueError(f"spot {spot.name!r}: an empty name or alias")
                if word in seen:
                    raise ValueError(f"spot name {word!r} is listed twice in {self.name}")
                if word in self.buildings or building_like(word):
                    raise ValueError(
                        f"spot {word!r} reads as a building; list buildings under `buildings`"
                    )
                seen.add(word)
        return self


class GridSpec(_Strict):
    code: str
    name: str
    name_en: str = ""
    compounds: list[str] = []  # compound names in this community: all their buildings
    buildings: list[str] = []  # "compound/building"


class CommunitySpec(_Strict):
    code: str = Field(pattern=r"^[A-Z]{1,8}$")
    name: str
    name_en: str = ""
    compounds: list[CompoundSpec] = Field(min_length=1)
    grids: list[GridSpec] = []


class DepartmentSpec(_Strict):
    code: str
    name: str
    name_en: str = ""


class ChatSpec(_Strict):
    id: int
    title: str = ""
    scope: str


class PersonSpec(_Strict):
    key: str
    name: str
    telegram_id: int | None = None
    language: str | None = Field(default=None, pattern=r"^(zh_Hans|en)$")
    home: str | None = None  # building path
    roles: list[str] = []  # "role@scope"


class SubdistrictSpec(_Strict):
    name: str
    name_en: str = ""


class OrgSpec(_Strict):
    subdistrict: SubdistrictSpec
    departments: list[DepartmentSpec] = []
    communities: list[CommunitySpec] = Field(min_length=1)
    chats: list[ChatSpec] = []
    people: list[PersonSpec] = []


def load(path: Path) -> OrgSpec:
    """Read and validate an org file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise OrgFileError(f"{path}: not valid YAML: {error}") from error
    try:
        return OrgSpec.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise OrgFileError(f"{path}: {where}: {first['msg']}") from error


def import_org(session: Session, spec: OrgSpec, now: datetime) -> dict[str, int]:
    """Create or update everything the file names; returns counts of what it holds."""
    counts = dict.fromkeys(
        ("communities", "compounds", "buildings", "spots", "grids", "people", "chats"), 0
    )
    for dept in spec.departments:
        row = session.exec(select(Department).where(Department.code == dept.code)).first()
        row = row or Department(code=dept.code, name=dept.name)
        row.name, row.name_en = dept.name, dept.name_en
        session.add(row)
    for cspec in spec.communities:
        community = session.exec(select(Community).where(Community.code == cspec.code)).first()
        community = community or Community(code=cspec.code, name=cspec.name)
        community.name, community.name_en = cspec.name, cspec.name_en
        session.add(community)
        session.flush()
        counts["communities"] += 1
        for compound_spec in cspec.compounds:
            compound = _compound(session, community, compound_spec.name) or Compound(
                community_id=community.id or 0, name=compound_spec.name
            )
            compound.name_en = compound_spec.name_en
            compound.aliases = list(compound_spec.aliases)
            session.add(compound)
            session.flush()
            counts["compounds"] += 1
            for spot_spec in compound_spec.spots:
                spot = session.exec(
                    select(Spot).where(Spot.compound_id == compound.id, Spot.name == spot_spec.name)
                ).first() or Spot(compound_id=compound.id or 0, name=spot_spec.name)
                spot.name_en, spot.aliases = spot_spec.name_en, list(spot_spec.aliases)
                session.add(spot)
                counts["spots"] += 1
            for bname in compound_spec.buildings:
                if _building(session, compound, bname) is None:
                    session.add(
                        Building(
                            compound_id=compound.id or 0, name=bname, name_en=_en_building(bname)
                        )
                    )
                counts["buildings"] += 1
        session.flush()
        for gspec in cspec.grids:
            grid = session.exec(select(Grid).where(Grid.code == gspec.code)).first()
            grid = grid or Grid(code=gspec.code, community_id=community.id or 0, name=gspec.name)
            grid.name, grid.name_en, grid.community_id = (
                gspec.name,
                gspec.name_en,
                community.id or 0,
            )
            session.add(grid)
            session.flush()
            counts["grids"] += 1
            for cname in gspec.compounds:
                covered = _compound(session, community, cname)
                if covered is None:
                    raise OrgFileError(f"grid {gspec.code}: no compound {cname!r} in {cspec.code}")
                for building in session.exec(
                    select(Building).where(Building.compound_id == covered.id)
                ):
                    building.grid_id = grid.id
                    session.add(building)
            for bpath in gspec.buildings:
                building = resolve_building(session, f"{cspec.code}/{bpath}")
                building.grid_id = grid.id
                session.add(building)
    session.flush()
    for chat in spec.chats:
        kind, scope_id = resolve_scope(session, chat.scope)
        if scope_id is None:
            raise OrgFileError(f"chat {chat.id}: a chat is bound to a place, not {chat.scope!r}")
        bind_chat(session, chat.id, kind, scope_id, chat.title)
        counts["chats"] += 1
    for pspec in spec.people:
        person = session.exec(select(Person).where(Person.key == pspec.key)).first()
        if person is None and pspec.telegram_id is not None:
            person = session.exec(
                select(Person).where(Person.telegram_id == pspec.telegram_id)
            ).first()
        person = person or Person(key=pspec.key, created_at=now)
        person.key, person.name, person.telegram_id = pspec.key, pspec.name, pspec.telegram_id
        person.language = pspec.language or person.language
        if pspec.home:
            person.building_id = resolve_building(session, pspec.home).id
        session.add(person)
        session.flush()
        for role_text in pspec.roles:
            role, _, scope = role_text.partition("@")
            grant(session, person, role, scope or "subdistrict")
        counts["people"] += 1
    return counts


def _en_building(name: str) -> str:
    """「3栋」 reads as "Bldg 3" in English; other names stay as written."""
    digits = name.rstrip("栋号楼幢")
    return f"Bldg {digits}" if digits.isdigit() else ""


def _compound(session: Session, community: Community, name: str) -> Compound | None:
    return session.exec(
        select(Compound).where(Compound.community_id == community.id, Compound.name == name)
    ).first()


def _building(session: Session, compound: Compound, name: str) -> Building | None:
    return session.exec(
        select(Building).where(Building.compound_id == compound.id, Building.name == name)
    ).first()


def resolve_building(session: Session, path: str) -> Building:
    _, ident = resolve_scope(session, f"building:{path}")
    building = session.get(Building, ident)
    if building is None:
        raise OrgFileError(f"no building {path!r}")
    return building


def resolve_scope(session: Session, text: str) -> tuple[ScopeKind, int | None]:
    """``kind:path`` → (kind, row id). Raises OrgFileError naming what is missing."""
    kind_text, _, path = text.partition(":")
    try:
        kind = ScopeKind(kind_text.strip())
    except ValueError:
        raise OrgFileError(f"unknown scope kind {kind_text!r} in {text!r}") from None
    path = path.strip()
    if kind == ScopeKind.SUBDISTRICT:
        return kind, None
    row: Any
    if kind == ScopeKind.GRID:
        row = session.exec(select(Grid).where(Grid.code == path)).first()
    elif kind == ScopeKind.DEPARTMENT:
        row = session.exec(select(Department).where(Department.code == path)).first()
    else:
        parts = path.split("/")
        row = session.exec(select(Community).where(Community.code == parts[0])).first()
        if kind in (ScopeKind.COMPOUND, ScopeKind.BUILDING) and row is not None and len(parts) > 1:
            row = _compound(session, row, parts[1])
        if kind == ScopeKind.BUILDING and row is not None and len(parts) > 2:
            row = _building(session, row, parts[2])
        expected = {ScopeKind.COMMUNITY: 1, ScopeKind.COMPOUND: 2, ScopeKind.BUILDING: 3}[kind]
        if len(parts) != expected:
            row = None
    if row is None:
        raise OrgFileError(f"no {kind} {path!r}")
    return kind, row.id


def grant(session: Session, person: Person, role: str, scope: str) -> RoleGrant:
    """Give a person a role over a place (idempotent)."""
    try:
        Role(role)
    except ValueError:
        raise OrgFileError(
            f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}"
        ) from None
    kind, scope_id = resolve_scope(session, scope)
    existing = session.exec(
        select(RoleGrant).where(
            RoleGrant.person_id == person.id,
            RoleGrant.role == role,
            RoleGrant.scope_kind == kind,
            RoleGrant.scope_id == scope_id,
        )
    ).first()
    if existing:
        return existing
    row = RoleGrant(person_id=person.id or 0, role=role, scope_kind=kind, scope_id=scope_id)
    session.add(row)
    session.flush()
    return row


def revoke(session: Session, person: Person, role: str, scope: str) -> bool:
    kind, scope_id = resolve_scope(session, scope)
    rows = session.exec(
        select(RoleGrant).where(
            RoleGrant.person_id == person.id,
            RoleGrant.role == role,
            RoleGrant.scope_kind == kind,
            RoleGrant.scope_id == scope_id,
        )
    ).all()
    for row in rows:
        session.delete(row)
    return bool(rows)


def bind_chat(
    session: Session, chat_id: int, kind: ScopeKind, scope_id: int, title: str = ""
) -> ChatBinding:
    if kind not in (ScopeKind.BUILDING, ScopeKind.COMPOUND, ScopeKind.COMMUNITY):
        raise OrgFileError("a group chat is bound to a building, a compound or a community")
    row = session.get(ChatBinding, chat_id) or ChatBinding(
        chat_id=chat_id, scope_kind=kind, scope_id=scope_id
    )
    row.scope_kind, row.scope_id, row.title = kind, scope_id, title or row.title
    session.add(row)
    return row


def find_person(session: Session, ref: str) -> Person | None:
    """A person by org key or Telegram id."""
    person = session.exec(select(Person).where(Person.key == ref)).first()
    if person is None and ref.lstrip("-").isdigit():
        person = session.exec(select(Person).where(Person.telegram_id == int(ref))).first()
    return person
