"""Dialogue tests in process: the real dispatcher (handlers.app.build_dispatcher) on the test
organisation and database, a manual clock, and what each chat would see read from the outbox."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

import locales
from bot.app import services
from bot.config import Settings
from domain.clock import ManualClock
from domain.flood import FloodPolicy
from handlers.app import build_dispatcher
from handlers.dispatch import Dispatcher
from handlers.events import Answer, Chat, Message, Press, Sender
from handlers.i18n import Texts
from nlp import Classifier
from storage import orgfile
from storage.db import make_engine
from storage.db import session as open_session
from storage.models import Person
from storage.models_outbox import OutboxMessage
from tests.conftest import fresh_database
from tests.handlers.harness import Harness, Snapshot
from tests.handlers.world import World, build

TZ = ZoneInfo("Asia/Shanghai")
TEXTS = Texts.load(locales.DIRECTORY, TZ)
GROUP = Chat(-1001, "supergroup", "铜都花园居民群")  # bound to the compound 铜都花园


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    return Classifier.load(place_names=["铜都花园", "铜都小区", "西花苑小区"])


def dispatcher_for(
    engine: Engine, clock: ManualClock, classifier: Any, flood: FloodPolicy | None = None
) -> Dispatcher:
    """The dispatcher exactly as bot/app.py builds it."""
    deps = services(Settings(), engine, clock, TZ, classifier)
    return build_dispatcher(TEXTS, **{**deps, "flood": flood or FloodPolicy()})


class Bot:
    """People talk to the dispatcher; the test reads what each chat was sent."""

    _ids = itertools.count(1)

    def __init__(self, engine: Engine, clock: ManualClock, dispatcher: Dispatcher):
        self.engine = engine
        self.clock = clock
        self.dispatcher = dispatcher
        self._seen: dict[int, int] = {}

    def tid(self, key: str) -> int:
        with open_session(self.engine) as session:
            person = orgfile.find_person(session, key)
            assert person is not None and person.telegram_id is not None
            return person.telegram_id

    def resident(self, telegram_id: int, name: str, home: str = "TD/铜都花园/3栋") -> int:
        """A registered resident (as /start would leave them)."""
        with open_session(self.engine) as session:
            building = orgfile.resolve_building(session, home)
            session.add(
                Person(
                    telegram_id=telegram_id,
                    name=name,
                    language="zh_Hans",
                    building_id=building.id,
                    created_at=self.clock.now(),
                )
            )
            session.commit()
        return telegram_id

    def message(self, who: int, text: str, chat: Chat | None = None) -> Message:
        chat = chat or Chat(who)
        command, args = None, ""
        if text.startswith("/"):
            head, _, args = text[1:].partition(" ")
            command = head.split("@")[0]
        return Message(
            update_id=next(self._ids),
            chat=chat,
            sender=Sender(who, f"user{who}", language_code="zh-hans"),
            message_id=next(self._ids),
            text=text,
            command=command,
            args=args.strip(),
        )

    def say(self, who: int | str, text: str, chat: Chat | None = None) -> list[str]:
        """`who` writes; returns what the bot sent into that chat because of it."""
        who = self.tid(who) if isinstance(who, str) else who
        event = self.message(who, text, chat)
        self.read(event.chat.id)
        self.dispatcher.handle(event)
        return self.inbox(event.chat.id)

    def press(self, who: int | str, data: str, chat: Chat | None = None) -> str:
        """`who` presses a button with this data; returns the answer's text."""
        who = self.tid(who) if isinstance(who, str) else who
        event = Press(next(self._ids), "q", chat or Chat(who), Sender(who), 1, data)
        effects = self.dispatcher.handle(event)
        answers = [e for e in effects if isinstance(e, Answer)]
        return answers[0].text if answers else ""

    def rows(self, chat_id: int) -> list[OutboxMessage]:
        with open_session(self.engine) as session:
            return list(
                session.exec(
                    select(OutboxMessage)
                    .where(OutboxMessage.chat_id == chat_id)
                    .order_by(col(OutboxMessage.id))
                )
            )

    def read(self, chat_id: int) -> None:
        rows = self.rows(chat_id)
        self._seen[chat_id] = rows[-1].id or 0 if rows else 0

    def inbox(self, who: int | str) -> list[str]:
        """Texts sent into a chat (a person's private chat by key) since it was last read."""
        chat_id = self.tid(who) if isinstance(who, str) else who
        seen = self._seen.get(chat_id, 0)
        rows = [r for r in self.rows(chat_id) if (r.id or 0) > seen]
        if rows:
            self._seen[chat_id] = rows[-1].id or 0
        return [str(r.payload.get("text", "")) for r in rows]

    def buttons(self, chat_id: int) -> list[tuple[str, str]]:
        """(label key or text, data) of the newest message in a chat that has buttons."""
        for row in reversed(self.rows(chat_id)):
            rows = row.payload.get("buttons", [])
            found = [(b["text"], b.get("data", "")) for r in rows for b in r]
            if found:
                return found
        return []

    def later(self, **delta: float) -> None:
        self.clock.advance(timedelta(**delta))


@pytest.fixture
def bot(engine: Engine, clock: ManualClock, classifier: Classifier) -> Iterator[Bot]:
    yield Bot(engine, clock, dispatcher_for(engine, clock, classifier))


# --- the harness of tests/handlers/harness.py, and a neighbourhood to start from ---------------


@pytest.fixture(scope="session")
def texts() -> Texts:
    return TEXTS


@pytest.fixture
def harness(engine: Engine, clock: ManualClock, classifier: Classifier) -> Harness:
    """The bot in process, on a fresh copy of the test organisation."""
    return Harness(engine, clock, TEXTS, classifier)


@dataclass
class Neighbourhood:
    """The bot on tests/handlers/world.py's neighbourhood, and the snapshot to go back to."""

    bot: Harness
    world: World
    template: Snapshot


@pytest.fixture(scope="module")
def neighbourhood(
    _template: str, tmp_path_factory: pytest.TempPathFactory, classifier: Classifier
) -> Iterator[Neighbourhood]:
    """The neighbourhood, built once per module (a test restores `template` to start afresh)."""
    clock = ManualClock()
    folder = tmp_path_factory.mktemp("neighbourhood")
    engine = make_engine(fresh_database(_template, folder, clock))
    bot = Harness(engine, clock, TEXTS, classifier)
    world = build(bot)
    yield Neighbourhood(bot, world, bot.snapshot())
    engine.dispose()
