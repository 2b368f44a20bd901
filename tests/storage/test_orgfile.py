"""The organisation file and the admin commands that manage people, roles and chats."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func
from sqlmodel import select

from bot.cli import main
from domain.clock import ManualClock
from storage import org, orgfile
from storage.db import session as open_session
from storage.models import Building, ChatBinding, Community, Grid, Person, RoleGrant


def test_the_sample_holds_the_twelve_communities_of_the_plan(
    engine: Engine, clock: ManualClock
) -> None:
    spec = orgfile.load(orgfile.SAMPLE)
    with open_session(engine) as session:
        orgfile.import_org(session, spec, clock.now())
        session.commit()
        names = {c.name for c in session.exec(select(Community))}
        for place in (
            "铜都",
            "西花苑",
            "孔雀苑",
            "铜花",
            "新星",
            "陆家铺",
            "神牛",
            "胜利",
            "康宁",
            "大塘",
            "团结",
            "友谊",
        ):
            assert f"{place}社区" in names
        unrouted = session.exec(
            select(func.count()).select_from(Building).where(Building.grid_id.is_(None))  # type: ignore[union-attr]
        ).one()
        assert unrouted == 0  # every building of the sample lies in a grid


def test_importing_twice_changes_nothing(engine: Engine, clock: ManualClock) -> None:
    spec = orgfile.load(orgfile.SAMPLE)

    def count() -> tuple[int, int, int]:
        with open_session(engine) as session:
            return (
                session.exec(select(func.count()).select_from(Person)).one(),
                session.exec(select(func.count()).select_from(RoleGrant)).one(),
                session.exec(select(func.count()).select_from(Grid)).one(),
            )

    for _ in range(2):
        with open_session(engine) as session:
            orgfile.import_org(session, spec, clock.now())
            session.commit()
        after = count()
    with open_session(engine) as session:
        orgfile.import_org(session, spec, clock.now())
        session.commit()
    assert count() == after


_ORG = (
    "subdistrict: {{name: x}}\n{extra}"
    "communities:\n  - {{code: {code}, name: 铜都, compounds: [{{name: a, buildings: [1栋]}}]}}\n"
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("subdistrict: {name: x}\ncommunities: []\n", "communities"),
        (
            _ORG.format(code="td", extra=""),
            "communities.0.code",
        ),
        ("subdistrict: {name: x}\ncommunities: [\n", "not valid YAML"),
        (
            _ORG.format(code="TD", extra="surprise: 1\n"),
            "surprise",
        ),
    ],
)
def test_a_bad_file_says_where(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(orgfile.OrgFileError, match=message):
        orgfile.load(path)


def test_a_reference_to_a_missing_place_is_named(
    engine: Engine, clock: ManualClock, tmp_path: Path
) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(
        "subdistrict: {name: x}\n"
        "communities:\n  - {code: TD, name: 铜都, compounds: [{name: 花园, buildings: [1栋]}]}\n"
        "people:\n  - {key: a, name: 甲, home: TD/花园/9栋}\n",
        encoding="utf-8",
    )
    with open_session(engine) as session, pytest.raises(orgfile.OrgFileError, match="TD/花园/9栋"):
        orgfile.import_org(session, orgfile.load(path), clock.now())


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LINLI_DATABASE_URL", database_url)
    return CliRunner()


def test_grant_and_revoke_a_role(cli: CliRunner, engine: Engine) -> None:
    result = cli.invoke(main, ["role", "grant", "r1", "grid_worker", "grid:TD-02"])
    assert result.exit_code == 0, result.output
    with open_session(engine) as session:
        r1 = orgfile.find_person(session, "101")
        assert r1 is not None
        assert [(g.role, g.scope_kind) for g in org.roles_of(session, r1.id or 0)] == [
            ("grid_worker", "grid")
        ]
    assert cli.invoke(main, ["role", "revoke", "r1", "grid_worker", "grid:TD-02"]).exit_code == 0
    again = cli.invoke(main, ["role", "revoke", "r1", "grid_worker", "grid:TD-02"])
    assert again.exit_code != 0 and "does not hold" in again.output


def test_cli_errors_are_plain_sentences(cli: CliRunner) -> None:
    unknown_role = cli.invoke(main, ["role", "grant", "r1", "mayor", "community:TD"])
    assert unknown_role.exit_code != 0 and "unknown role 'mayor'" in unknown_role.output
    nobody = cli.invoke(main, ["role", "grant", "nobody", "resident", "community:TD"])
    assert "no person" in nobody.output
    nowhere = cli.invoke(main, ["chat", "bind", "-5", "compound:TD/不存在"])
    assert "no compound 'TD/不存在'" in nowhere.output
    assert "Traceback" not in unknown_role.output + nobody.output + nowhere.output


def test_bind_a_group_and_list_what_is_configured(cli: CliRunner, engine: Engine) -> None:
    result = cli.invoke(
        main, ["chat", "bind", "-4242", "building:TD/铜都小区/2栋", "--title", "2栋群"]
    )
    assert result.exit_code == 0, result.output
    with open_session(engine) as session:
        binding = session.get(ChatBinding, -4242)
        assert binding is not None and binding.scope_kind == "building"
    shown = cli.invoke(main, ["org", "show"])
    assert "铜都社区" in shown.output and "-4242  2栋群  building" in shown.output
    assert "gw1  王网格  grid_worker@grid" in shown.output


def test_import_command(cli: CliRunner) -> None:
    result = cli.invoke(main, ["org", "import", str(orgfile.SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "12 communities" in result.output
