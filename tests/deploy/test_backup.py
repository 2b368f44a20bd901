"""The backup runbook, once for real: deploy/backup.sh dumps the test database with pg_dump,
pg_restore puts the dump into a fresh database, and a ticket reads back as it was."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from zoneinfo import ZoneInfo

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, make_url, text
from sqlmodel import select

from domain.clock import ManualClock
from domain.policy import DEFAULT_POLICY
from domain.tickets import TicketDesk
from storage.db import alembic_config, make_engine
from storage.db import session as open_session
from storage.models import Ticket
from tests.deploy.conftest import needs_postgresql
from tests.domain.helpers import open_ticket

BACKUP = Path(__file__).parents[2] / "deploy" / "backup.sh"


def backup(url: str, folder: Path, keep: int) -> Path:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINLI_", "PG"))}
    result = subprocess.run(
        [str(BACKUP), str(folder), str(keep)],
        env={**env, "LINLI_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())


@needs_postgresql
def test_dump_restore_and_read_a_ticket_back(
    database_url: str,
    engine: Engine,
    clock: ManualClock,
    tmp_path: Path,
    scratch_database: Callable[[str], AbstractContextManager[str]],
) -> None:
    with open_session(engine) as session:
        desk = TicketDesk(session, clock, DEFAULT_POLICY, ZoneInfo("Asia/Shanghai"))
        ticket = open_ticket(session, desk)
        session.commit()
        number, reporter = ticket.number, ticket.reporter_id

    backup(database_url, tmp_path, keep=1)
    dump = backup(database_url, tmp_path, keep=1)
    assert sorted(tmp_path.glob("linli-*.dump")) == [dump]  # only the newest is kept

    with scratch_database("restore") as url:
        libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        restore = subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq}", str(dump)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert restore.returncode == 0, restore.stderr
        restored = make_engine(url)
        try:
            with open_session(restored) as session:
                back = session.exec(select(Ticket).where(Ticket.number == number)).one()
                assert (back.text, back.reporter_id, back.state) == ("楼道灯坏了", reporter, "open")
            with restored.connect() as conn:
                versions = set(
                    conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
                )
        finally:
            restored.dispose()
        heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
        assert versions == heads  # the restored database is at head: `linli run` starts on it
