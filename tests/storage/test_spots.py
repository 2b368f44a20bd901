"""Spots of compounds (北门, 菜场 …) and compound short names in the organisation file, their
table and migration 0007."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel, select

from domain.clock import ManualClock
from storage import orgfile
from storage.db import session as open_session
from storage.models import Compound, Spot

_ORG = (
    "subdistrict: {{name: x}}\n"
    "communities:\n  - code: TD\n    name: 铜都社区\n    compounds:\n{compounds}"
)


def _org(tmp_path: Path, compounds: str) -> Path:
    path = tmp_path / "org.yaml"
    path.write_text(_ORG.format(compounds=compounds), encoding="utf-8")
    return path


def test_spots_and_short_names_are_imported(
    tmp_path: Path, engine: Engine, clock: ManualClock
) -> None:
    path = _org(
        tmp_path,
        "      - name: 新星花园小区\n"
        "        aliases: [新星花园]\n"
        "        buildings: [1栋]\n"
        "        spots: [北门, {name: 菜场, name_en: Market, aliases: [菜市场]}]\n",
    )
    with open_session(engine) as session:
        counts = orgfile.import_org(session, orgfile.load(path), clock.now())
        session.commit()
        assert counts["spots"] == 2
        compound = session.exec(select(Compound).where(Compound.name == "新星花园小区")).one()
        assert compound.aliases == ["新星花园"]
        spots = session.exec(select(Spot).where(Spot.compound_id == compound.id)).all()
        assert [(s.name, s.name_en, s.aliases) for s in spots] == [
            ("北门", "", []),
            ("菜场", "Market", ["菜市场"]),
        ]
        orgfile.import_org(session, orgfile.load(path), clock.now())  # again: nothing doubles
        session.commit()
        assert len(session.exec(select(Spot).where(Spot.compound_id == compound.id)).all()) == 2


def test_the_test_organisation_has_spots(engine: Engine) -> None:
    with open_session(engine) as session:
        names = {s.name for s in session.exec(select(Spot))}
    assert {"北门", "南门", "菜场", "篮球场", "车棚", "大门", "垃圾站"} <= names


def test_the_sample_lists_spots() -> None:
    spec = orgfile.load(orgfile.SAMPLE)
    garden = spec.communities[0].compounds[0]
    assert garden.name == "铜都花园"
    assert {s.name for s in garden.spots} >= {"北门", "南门", "菜场", "篮球场", "车棚"}


@pytest.mark.parametrize(
    ("spots", "message"),
    [
        ("[北门, 北门]", r"compounds\.0: .*spot name '北门' is listed twice"),
        ("[北门, {name: 正门, aliases: [北门]}]", "spot name '北门' is listed twice"),
        ("[6栋]", "spot '6栋' reads as a building"),
        ("[{name_en: Gate}]", r"compounds\.0\.spots\.0\.name: Field required"),
        ("[{name: 北门, where: here}]", r"spots\.0\.where: Extra inputs"),
    ],
)
def test_a_bad_spot_says_where(tmp_path: Path, spots: str, message: str) -> None:
    path = _org(tmp_path, f"      - {{name: 花园, buildings: [1栋, 6栋], spots: {spots}}}\n")
    with pytest.raises(orgfile.OrgFileError, match=message):
        orgfile.load(path)


def test_migration_0007_agrees_with_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, SQLModel.metadata)
    mine = [d for d in diffs if "spot" in repr(d) or "aliases" in repr(d)]
    assert mine == []
    columns = {c["name"] for c in inspect(engine).get_columns("ticket")}
    assert "spot_id" in columns
    keys = inspect(engine).get_foreign_keys("ticket")
    assert any(
        k["referred_table"] == "spot" and k["constrained_columns"] == ["spot_id"] for k in keys
    )
