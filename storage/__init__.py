"""Storage: sqlmodel tables, the engine, repositories and Alembic migrations."""
