"""Migration 0003 creates exactly the outbox and notices tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

from storage import models_notices, models_outbox

MINE = {
    t.__tablename__  # type: ignore[attr-defined]
    for t in (
        models_outbox.OutboxMessage,
        models_outbox.UnreachableChat,
        models_outbox.MigratedChat,
        models_notices.Notice,
        models_notices.NoticeAck,
        models_notices.NoticePreference,
    )
}


def _table(diff: object) -> str | None:
    """The table an autogenerate diff entry is about."""
    entry = diff[0] if isinstance(diff, list) else diff
    assert isinstance(entry, tuple)
    for part in entry[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None:
            return str(table.name)
        if isinstance(part, str) and part in MINE:
            return part
        if name in MINE:
            return str(name)
    return None


def test_models_and_migration_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, SQLModel.metadata)
    mine = [d for d in diffs if _table(d) in MINE]
    assert mine == []
    assert set(SQLModel.metadata.tables) >= MINE
