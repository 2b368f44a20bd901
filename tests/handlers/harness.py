"""The bot in process: the real dispatcher on the test database, under a manual clock.

`handlers.app.build_dispatcher` with the services `bot.app.build` gives it, fed the project's
own `Message` and `Press` events; what each person and chat would see is read back from the
outbox rows each update committed (edits applied to the messages they change) and from the
answers to button presses. No transport, no HTTP: a dialogue runs in milliseconds and reads
like a phone screen::

    bot.says("r1", "3号楼楼道灯坏了")
    bot.taps("gw1", "受理")
    assert "已受理" in bot.inbox("r1")[-1]

People are named by their key in the organisation file (tests/data/org.yaml), by a Telegram
id, or given as a `Sender` (someone the bot has never met).
"""

from __future__ import annotations

import copy
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Integer, text
from sqlalchemy import event as sa_event
from sqlmodel import SQLModel, col, select

import locales
from bot.app import services
from bot.config import Settings
from domain.clock import ManualClock
from handlers.app import build_dispatcher
from handlers.dispatch import Dispatcher
from handlers.events import Answer, Chat, Edit, Effect, Event, Message, Press, Send, Sender
from handlers.i18n import Texts
from handlers.middlewares import Throttle
from nlp import Classifier
from storage.db import session as open_session
from storage.models import Person
from storage.models_outbox import OutboxMessage

TZ = ZoneInfo("Asia/Shanghai")
_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
BOT_USERNAME = "linli_bot"
GROUP = Chat(-1001, "group", "铜都花园居民群")  # bound to the compound 铜都花园
BUILDING_GROUP = Chat(-1003, "group", "铜都花园3栋群")  # bound to building 3
UNBOUND_GROUP = Chat(-1999, "group", "随便聊聊")


class RecordingTexts(Texts):
    """The real catalogues; remembers which keys were rendered (to tell a refusal from a
    crash without matching on wording)."""

    def __init__(self, texts: Texts):
        super().__init__(texts.catalogues, texts.tz)
        self.rendered: list[str] = []

    def get(self, lang: str, key: str, **params: Any) -> str:
        self.rendered.append(key)
        return super().get(lang, key, **params)


@dataclass
class Shown:
    """A message as its chat shows it now: the latest text and buttons (label, data)."""

    id: int
    chat_id: int
    text: str
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    key: str | None = None  # the outbox key later edits refer to

    def labels(self) -> list[str]:
        return [label for row in self.buttons for label, _ in row]

    def data(self, label: str) -> str | None:
        """The data of the button labelled `label` (or whose label contains it, as the
        stand-in's taps match)."""
        return next((d for row in self.buttons for lb, d in row if label in lb), None)


@dataclass
class Turn:
    """What one update did: the effects returned, the keys rendered, the outbox rows written."""

    event: Event
    effects: list[Effect]
    keys: list[str]
    sent: list[OutboxMessage]
    written: set[str] = field(default_factory=set)  # tables it committed changes to

    @property
    def answer(self) -> Answer | None:
        answers = [e for e in self.effects if isinstance(e, Answer)]
        assert len(answers) <= 1, f"a press answered {len(answers)} times"
        return answers[0] if answers else None

    def said(self) -> str:
        """Everything the update said: the press's answer and the texts sent or edited."""
        texts = [self.answer.text] if self.answer else []
        texts += [str((row.payload or {}).get("text", "")) for row in self.sent]
        texts += [e.text for e in self.effects if isinstance(e, Send | Edit)]
        return "\n".join(texts)

    def chats(self) -> set[int]:
        """Every chat this update wrote to (committed, or returned to be sent)."""
        found = {row.chat_id for row in self.sent}
        found |= {e.chat_id for e in self.effects if not isinstance(e, Answer)}
        return found


@dataclass
class Snapshot:
    """Every row of every table, and what every chat showed, at one moment."""

    rows: dict[str, list[dict[str, Any]]]
    screens: dict[int, list[Shown]]
    read: dict[int, int]
    outbox: int
    now: datetime


class Harness:
    """The dispatcher with the test organisation; people talk, the test reads their screens."""

    def __init__(
        self, engine: Engine, clock: ManualClock, texts: Texts, classifier: Classifier
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.texts = RecordingTexts(texts)
        # the defaults a deployment starts with
        deps = services(Settings(), engine, clock, TZ, classifier)
        self.dispatcher: Dispatcher = build_dispatcher(self.texts, **deps)
        for middleware in self.dispatcher.middlewares:  # tests talk at machine speed
            if isinstance(middleware, Throttle):
                middleware.limit = 10**9
        self._senders: dict[str | int, Sender] = {}
        self.committed: list[str] = []  # tables written by committed transactions, in order
        self._pending: dict[int, list[str]] = {}
        sa_event.listen(engine, "before_cursor_execute", self._note_statement)
        sa_event.listen(engine, "commit", self._note_commit)
        sa_event.listen(engine, "rollback", self._note_rollback)
        self.turns: list[Turn] = []
        self.screens: defaultdict[int, list[Shown]] = defaultdict(list)
        self._by_key: dict[str, Shown] = {}
        self._read: dict[int, int] = {}
        self._updates = itertools.count(1)
        self._messages = itertools.count(1_000_000)
        self._queries = itertools.count(1)
        self._outbox = self._last_outbox_id()

    # --- people -------------------------------------------------------------------------------

    def sender(self, who: str | int | Sender) -> Sender:
        if isinstance(who, Sender):
            return who
        if who in self._senders:
            return self._senders[who]
        with open_session(self.engine) as session:
            query = select(Person).where(
                Person.telegram_id == who if isinstance(who, int) else Person.key == who
            )
            person = session.exec(query).first()
        if person is None or person.telegram_id is None:
            raise KeyError(f"nobody called {who!r} in the test organisation")
        self._senders[who] = Sender(person.telegram_id, person.name, language_code="zh-hans")
        return self._senders[who]

    def person(self, who: str | int | Sender) -> Person:
        """The person's row as it is now."""
        telegram_id = self.sender(who).id
        with open_session(self.engine) as session:
            return session.exec(select(Person).where(Person.telegram_id == telegram_id)).one()

    # --- acting ---------------------------------------------------------------------------------

    def says(
        self,
        who: str | int | Sender,
        text: str = "",
        *,
        chat: Chat | None = None,
        photo: str | None = None,
        document: str | None = None,
        addressed: bool = False,
    ) -> list[str]:
        """`who` writes (a /command is read as Telegram marks it); the new texts in that chat."""
        sender = self.sender(who)
        where = chat or Chat(sender.id)
        self.read(where.id)
        command, args = None, ""
        if text.startswith("/"):
            head, _, rest = text[1:].partition(" ")
            name, _, target = head.partition("@")
            if not target or target.lower() == BOT_USERNAME:
                command, args = name.lower(), rest.strip()
        if f"@{BOT_USERNAME}" in text:
            addressed = True
        message = Message(
            next(self._updates),
            where,
            sender,
            next(self._messages),
            text,
            photo,
            None,
            addressed,
            command,
            args,
            document=document,
        )
        self.handle(message)
        return self.seen(where.id)

    def taps(self, who: str | int | Sender, label: str, *, chat: Chat | int | None = None) -> str:
        """`who` taps the newest button labelled `label` in the chat; the answer's text."""
        sender = self.sender(who)
        chat_id = _chat_id(chat) if chat is not None else sender.id
        for shown in reversed(self.screens[chat_id]):
            data = shown.data(label)
            if data is not None:
                return self.presses(sender, data, chat=chat or chat_id, message=shown.id)
        raise AssertionError(f"no button {label!r} in chat {chat_id}: {self.buttons(chat_id)}")

    def presses(
        self,
        who: str | int | Sender,
        data: str,
        *,
        chat: Chat | int | None = None,
        message: int | None = None,
    ) -> str:
        """`who` sends a press with this data (as a modified client can); the answer's text."""
        sender = self.sender(who)
        where = _chat(chat) if chat is not None else Chat(sender.id)
        if message is None:
            newest = self.screens[where.id]
            message = newest[-1].id if newest else 1
        press = Press(next(self._updates), str(next(self._queries)), where, sender, message, data)
        turn = self.handle(press)
        answer = turn.answer
        assert answer is not None, f"press {data!r} was not answered"
        return answer.text

    def handle(self, event: Event) -> Turn:
        """One update through the real dispatcher; what it did."""
        start, writes = len(self.texts.rendered), len(self.committed)
        effects = self.dispatcher.handle(event, bot_username=BOT_USERNAME)
        written = set(self.committed[writes:])
        turn = Turn(event, effects, self.texts.rendered[start:], self._new_outbox_rows(), written)
        for effect in effects:  # what was not committed (the error middleware's reply)
            if isinstance(effect, Send):
                self.screens[effect.chat_id].append(
                    Shown(-len(self.turns) - 1, effect.chat_id, effect.text)
                )
        self.turns.append(turn)
        return turn

    @property
    def last(self) -> Turn:
        return self.turns[-1]

    # --- reading ------------------------------------------------------------------------------

    def read(self, chat: Chat | int) -> None:
        """Mark everything in the chat as seen."""
        self._read[_chat_id(chat)] = len(self.screens[_chat_id(chat)])

    def seen(self, chat: Chat | int) -> list[str]:
        """Texts of the messages that arrived in the chat since it was last read."""
        chat_id = _chat_id(chat)
        shown = self.screens[chat_id]
        start = self._read.get(chat_id, 0)
        self._read[chat_id] = len(shown)
        return [m.text for m in shown[start:]]

    def inbox(self, who: str | int | Sender) -> list[str]:
        """New messages in the person's private chat with the bot."""
        return self.seen(self.sender(who).id)

    def buttons(self, where: Chat | str | int) -> list[str]:
        """The labels of the newest message with buttons in a chat (or a person's private chat)."""
        chat_id = self.sender(where).id if isinstance(where, str) else _chat_id(where)
        for shown in reversed(self.screens[chat_id]):
            if shown.buttons:
                return shown.labels()
        return []

    def all_button_data(self) -> set[str]:
        """Every button data string the bot has shown anyone."""
        return {d for shown in self._every_shown() for row in shown.buttons for _, d in row}

    def _every_shown(self) -> Iterable[Shown]:
        for messages in self.screens.values():
            yield from messages

    # --- what was written -----------------------------------------------------------------------

    def _note_statement(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        found = _WRITE.match(statement)
        if found:
            self._pending.setdefault(id(conn), []).append(found.group(1).lower())

    def _note_commit(self, conn: Any) -> None:
        self.committed += self._pending.pop(id(conn), [])

    def _note_rollback(self, conn: Any) -> None:
        self._pending.pop(id(conn), None)

    # --- going back -----------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Remember the whole database and every screen (a template to return to)."""
        with self.engine.connect() as conn:
            rows = {
                table.name: [dict(row._mapping) for row in conn.execute(table.select())]
                for table in SQLModel.metadata.sorted_tables
            }
        return Snapshot(
            rows,
            copy.deepcopy(dict(self.screens)),
            dict(self._read),
            self._outbox,
            self.clock.now(),
        )

    def restore(self, snapshot: Snapshot) -> None:
        """Put the database, the screens and the clock back as they were at `snapshot`.

        Update ids keep counting, so nothing is mistaken for a delivery seen before."""
        tables = SQLModel.metadata.sorted_tables
        with self.engine.begin() as conn:
            for table in reversed(tables):  # DELETE: far quicker than TRUNCATE for a few rows
                conn.execute(table.delete())
            for table in tables:
                if snapshot.rows[table.name]:
                    conn.execute(table.insert(), snapshot.rows[table.name])
            if conn.dialect.name == "postgresql":  # sequences go on from the restored ids
                counters = [
                    f"setval(pg_get_serial_sequence('{t.name}', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{t.name}"), 0) + 1, false)'
                    for t in tables
                    if isinstance(getattr(t.c.get("id"), "type", None), Integer)
                ]
                conn.execute(text("SELECT " + ", ".join(counters)))
        self.screens = defaultdict(list, copy.deepcopy(snapshot.screens))
        self._by_key = {m.key: m for m in self._every_shown() if m.key}
        self._read = dict(snapshot.read)
        self._outbox = snapshot.outbox
        self.clock.set(snapshot.now)

    # --- the outbox ---------------------------------------------------------------------------

    def _last_outbox_id(self) -> int:
        with open_session(self.engine) as session:
            rows = session.exec(select(OutboxMessage.id).order_by(col(OutboxMessage.id).desc()))
            return rows.first() or 0

    def _new_outbox_rows(self) -> list[OutboxMessage]:
        with open_session(self.engine) as session:
            rows = list(
                session.exec(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.id) > self._outbox)
                    .order_by(col(OutboxMessage.id))
                ).all()
            )
        for row in rows:
            self._outbox = max(self._outbox, row.id or 0)
            self._show(row)
        return rows

    def _show(self, row: OutboxMessage) -> None:
        payload = row.payload or {}
        buttons = [
            [(b["text"], b["data"]) for b in line if "data" in b]
            for line in payload.get("buttons") or []
        ]
        if row.kind == "send":
            shown = Shown(row.id or 0, row.chat_id, payload.get("text", ""), buttons, row.key)
            self.screens[row.chat_id].append(shown)
            if row.key:
                self._by_key[row.key] = shown
        elif row.kind == "edit":
            target = self._by_key.get(row.ref or "") if row.ref else None
            if target is None:
                target = next(
                    (m for m in self.screens[row.chat_id] if m.id == payload.get("message_id")),
                    None,
                )
            if target is not None:
                target.text, target.buttons = payload.get("text", ""), buttons


def _chat_id(chat: Chat | int) -> int:
    return chat if isinstance(chat, int) else chat.id


def _chat(chat: Chat | int) -> Chat:
    if isinstance(chat, Chat):
        return chat
    return Chat(chat) if chat > 0 else Chat(chat, "group")


def load_texts() -> Texts:
    return Texts.load(locales.DIRECTORY, TZ)
