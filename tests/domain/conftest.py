"""Fixtures of the domain tests: a session on the test organisation and a ticket desk."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from domain.clock import ManualClock
from domain.policy import DEFAULT_POLICY
from domain.tickets import TicketDesk
from storage.db import session as open_session


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with open_session(engine) as session:
        yield session


@pytest.fixture
def desk(session: Session, clock: ManualClock) -> TicketDesk:
    return TicketDesk(session, clock, DEFAULT_POLICY, ZoneInfo("Asia/Shanghai"))
