"""The engine, sessions and schema migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets WAL and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(url: str) -> Config:
    """Alembic's config, built in code so no alembic.ini has to be found on disk."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# Every process that migrates takes this PostgreSQL advisory lock first (a 64-bit key: "linli"
# in ASCII), so two workers starting at once never run the same migration twice.
MIGRATION_LOCK = 0x6C696E6C69


@contextmanager
def migration_config(engine: Engine) -> Iterator[Config]:
    """Alembic's config on one transaction of `engine`, holding the migration lock.

    PostgreSQL: a transaction-scoped advisory lock, so processes migrate one after another and
    the later ones find the schema at head; it is released when the transaction ends, even if
    the process dies. SQLite is one process: the lock is not needed there.
    """
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        lock_migrations(connection)
        cfg.attributes["connection"] = connection
        yield cfg


def lock_migrations(connection: Connection) -> None:
    """Wait for the migration lock, held until `connection`'s transaction ends (PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (one process at a time)."""
    with migration_config(engine) as cfg:
        command.upgrade(cfg, "heads")  # features add migrations on branches of their own


def session(engine: Engine) -> Session:
    """A session that keeps loaded objects usable after commit."""
    return Session(engine, expire_on_commit=False)


def _insert(session: Session, table: Any) -> Any:
    """An INSERT with ON CONFLICT support for the session's dialect (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(table)
    return sqlite_insert(table)


def insert_new(session: Session, table: Any, **values: Any) -> bool:
    """Insert a row unless its key exists already; True when it was new (one statement)."""
    statement = _insert(session, table).values(**values).on_conflict_do_nothing()
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def increment(session: Session, table: Any, key: dict[str, Any], column: str) -> int:
    """Add one to a counter row (creating it at 1) and return the new value, atomically."""
    counter = getattr(table, column)
    statement = (
        _insert(session, table)
        .values(**key, **{column: 1})
        .on_conflict_do_update(index_elements=list(key), set_={column: counter + 1})
        .returning(counter)
    )
    return int(session.execute(statement).scalar_one())
