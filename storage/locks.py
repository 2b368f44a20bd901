"""Transaction-scoped locks: one writer at a time for work that reads, decides, then writes.

Filing a report (is this problem already open here?), numbering a topic and the daily digest
each read the database, decide and write. With several worker threads (PostgreSQL) two of them
would decide on the same stale reading. `hold` serialises them per subject: on PostgreSQL a
transaction-level advisory lock (``pg_advisory_xact_lock``), released by the commit or
rollback, so a crash cannot leave it held; and READ COMMITTED lets the next holder's queries
see what the previous one committed. SQLite allows one writer at a time already and Linli
runs one worker thread on it, so there it is a no-op.
"""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlmodel import Session

_LOCK = text("SELECT pg_advisory_xact_lock(:space, :key)")


def hold(session: Session, space: str, key: int) -> None:
    """Wait until no other transaction holds (`space`, `key`), then hold it until this
    transaction ends."""
    if session.get_bind().dialect.name != "postgresql":
        return
    # Two int4 keys: the space's name hashed, and the subject's id (wrapped into int4).
    space_key = zlib.crc32(space.encode()) - 2**31
    subject = (key + 2**31) % 2**32 - 2**31
    session.execute(_LOCK, {"space": space_key, "key": subject})
