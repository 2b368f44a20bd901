"""Deployment tests: scratch PostgreSQL databases beside the test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.conftest import PG_URL

needs_postgresql = pytest.mark.skipif(
    not PG_URL,
    reason="PostgreSQL only (advisory locks, pg_dump): set LINLI_TEST_DATABASE_URL",
)


@contextmanager
def _scratch(suffix: str) -> Iterator[str]:
    """A new, empty database named after the test database plus `suffix`; dropped afterwards."""
    base = make_url(PG_URL)
    name = f"{base.database}_{suffix}"
    server = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture
def scratch_database() -> Callable[[str], AbstractContextManager[str]]:
    """Make scratch databases: `with scratch_database("restore") as url: ...`."""
    return _scratch
