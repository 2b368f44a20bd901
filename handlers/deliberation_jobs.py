"""Deliberation on a clock, transport-free: voting opens when the announcement period ends,
reminders go to those who have not voted, votes close and are counted, meetings are announced
again shortly before they start, and reported topics close after the evaluation period.

Every step is decided from the topics' own times and flags, so running `tick` twice does
nothing twice and a restart loses nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from domain.clock import Clock
from domain.deliberation import Deliberation
from handlers.deliberation import Board
from handlers.events import Effect
from handlers.i18n import Texts
from handlers.outgoing import keep_on_commit
from handlers.replies import Replies
from storage.db import session as open_session
from storage.models_deliberation import Topic

log = logging.getLogger(__name__)


@dataclass
class DeliberationJobs:
    """The clock's work for topics. Each topic's step runs in a transaction of its own."""

    engine: Engine
    clock: Clock
    texts: Texts

    def tick(self) -> list[Effect]:
        """Everything that is due now: open, remind, close votes; remind meetings; close."""
        with open_session(self.engine) as session:
            due = Deliberation(session, self.clock).due()
            work = [(step, topic.id or 0) for step, topics in due.items() for topic in topics]
        effects: list[Effect] = []
        for step, topic_id in work:
            effects += self._one(step, topic_id)
        effects += self.meeting_reminders()
        return effects

    def _one(self, step: str, topic_id: int) -> list[Effect]:
        with open_session(self.engine) as session:
            desk, board, replies = self._context(session)
            topic = session.get_one(Topic, topic_id)
            try:
                if step == "open":
                    desk.open_vote(topic)
                    board.open_vote(topic)
                elif step == "remind":
                    board.remind(topic, desk.remind_close(topic))
                elif step == "close_vote":
                    desk.close_vote(topic, None, ())
                    board.result(topic)
                elif step == "close":
                    desk.close(topic, None, ())
                    board.closed(topic)
                session.commit()
            except Exception:
                log.exception("deliberation step %s of topic %s failed", step, topic_id)
                session.rollback()
                return []
        return replies.effects

    def meeting_reminders(self) -> list[Effect]:
        """Shortly before a meeting: the groups in scope and everyone on the roll."""
        with open_session(self.engine) as session:
            desk, board, replies = self._context(session)
            for meeting in desk.meetings_to_remind():
                topic = session.get_one(Topic, meeting.topic_id)
                meeting.reminded = True
                session.add(meeting)
                board.meeting_reminder(topic, meeting)
            session.commit()
        return replies.effects

    def _context(self, session: Session) -> tuple[Deliberation, Board, Replies]:
        replies = Replies(None, self.texts)
        keep_on_commit(session, replies, self.clock)  # messages land in the outbox at commit
        desk = Deliberation(session, self.clock)
        return desk, Board(desk, replies), replies
