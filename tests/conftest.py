"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when LINLI_TEST_DATABASE_URL is
set) holding the test organisation, a controllable clock, and no network beyond loopback."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from domain.clock import ManualClock
from storage import (  # noqa: F401  (every table registered: the PostgreSQL reset drops them all)
    models_deliberation,
    models_figures,
    models_notices,
    models_outbox,
    models_privacy,
    orgfile,
)
from storage.db import make_engine, migrate
from storage.db import session as open_session

TEST_ORG = Path(__file__).parent / "data" / "org.yaml"
PG_URL = os.environ.get("LINLI_TEST_DATABASE_URL", "")


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return f"database: PostgreSQL ({PG_URL})"
    return (
        "database: SQLite only — PostgreSQL NOT tested "
        "(set LINLI_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test)"
    )


# --- no network beyond loopback ----------------------------------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(address: Any) -> None:
    if isinstance(address, tuple) and address:
        host = address[0]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise OSError(f"test tried to reach {address!r}: only loopback is allowed")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check(address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


# --- the database ------------------------------------------------------------------------------


def _load_org(engine: Engine, clock: ManualClock) -> None:
    with open_session(engine) as session:
        orgfile.import_org(session, orgfile.load(TEST_ORG), clock.now())
        session.commit()


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite: a migrated file with the test org, copied per test. PostgreSQL: migrated once."""
    if PG_URL:
        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            SQLModel.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        migrate(engine)
        engine.dispose()
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    _load_org(engine, ManualClock())
    engine.dispose()
    return str(path)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def fresh_database(template: str, folder: Path, clock: ManualClock) -> str:
    """A database holding only the test organisation: PostgreSQL emptied and loaded again, or
    a copy of the SQLite template in `folder`."""
    if PG_URL:
        engine = make_engine(PG_URL)
        tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        _load_org(engine, clock)
        engine.dispose()
        return PG_URL
    path = folder / "linli.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def database_url(_template: str, tmp_path: Path, clock: ManualClock) -> Iterator[str]:
    yield fresh_database(_template, tmp_path, clock)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
