"""Alembic environment: runs on the connection handed in by storage.db.migrate, or, when alembic
is run by hand with alembic.ini, on LINLI_DATABASE_URL under the same migration lock."""

import os
from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage import (  # noqa: F401  (deliberation, outbox, notices, redaction, figures)
    models_deliberation,
    models_figures,
    models_notices,
    models_outbox,
    models_privacy,
)
from storage.db import lock_migrations, make_engine

config = context.config
target_metadata = SQLModel.metadata
if config.config_file_name:  # alembic.ini: its logging, so a run by hand says what it did
    fileConfig(config.config_file_name)


def _url() -> str:
    """The URL storage.db handed in, else LINLI_DATABASE_URL (as `linli` reads it)."""
    return (
        config.get_main_option("sqlalchemy.url")
        or os.environ.get("LINLI_DATABASE_URL")
        or "sqlite:///linli.db"
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn, conn.begin():
            lock_migrations(conn)
            _run(conn)
    finally:
        engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
