"""Migrations run one process at a time: several processes migrating one empty PostgreSQL
database at the same instant all succeed, and the schema ends at head exactly once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from storage.db import alembic_config, make_engine
from tests.deploy.conftest import needs_postgresql

ROOT = Path(__file__).parents[2]
PROCESSES = 4

# Each process loads everything first, says so, then waits for the word to go: all of them
# reach migrate() within a few milliseconds of each other.
MIGRATOR = """
import sys
from storage.db import make_engine, migrate
engine = make_engine(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
migrate(engine)
print("done", flush=True)
"""


@needs_postgresql
def test_several_processes_migrate_an_empty_database_at_once(
    scratch_database: Callable[[str], AbstractContextManager[str]],
) -> None:
    with scratch_database("migrate") as url:
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", MIGRATOR, url],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(PROCESSES)
        ]
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [process.communicate(timeout=300) for process in processes]
        failures = [
            err for process, (_, err) in zip(processes, results, strict=True) if process.returncode
        ]
        assert failures == [], failures[0][-2000:]
        engine = make_engine(url)
        with engine.connect() as conn:
            versions = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        engine.dispose()
        heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
        assert versions == heads
