"""The outbox sender: drains the persistent outbox into Telegram as fast as Telegram allows.

Handlers and jobs write their messages as `outbox` rows in their own transaction
(handlers/outgoing.py); this sender reads them and makes the Bot API calls through a
`RawSender`, within Telegram's limits (bot.standin.limits describes the same ones):

- about 30 messages a second overall, 20 a minute into one group, about one a second into one
  private chat (a burst of three passes). Each is a sliding window, as Telegram counts, widened
  by a small margin for the jitter between our clock and Telegram's arrival times.
- Within one chat, messages go strictly in the order they were written, one call at a time.
  Across chats, replies and pings (`Priority.INTERACTIVE`) go before notices (`Priority.BULK`).
- A 429 pauses only the chat it names, for its `retry_after`; timeouts and 5xx are retried with
  exponential backoff; a chat that refuses for good (blocked, kicked, not found) is recorded in
  `unreachablechat` and gets nothing more; a group that became a supergroup has its binding and
  its queue moved to the new id, and the message is sent again there.

Crash window. A row is marked 'sending' (committed) immediately before its call and 'sent'
(committed, with Telegram's message id) immediately after. At start-up, rows still 'sending' are
the only ones whose fate is unknown: the process died between the two commits, so Telegram may
or may not have the message. They are sent again (a possible duplicate, logged and counted),
because a notice that silently never arrives is worse than one that arrives twice. At most
`SendLimits.max_inflight` rows are 'sending' at any instant, so that bounds the duplicates. A
clean stop waits for the calls in flight, so nothing is 'sending' afterwards and nothing is sent
twice.

Edits and pins of a message the bot has not sent yet name it by its outbox key (`Edit.key`,
`Pin.key`); they are queued behind it in the same chat and resolved to Telegram's message id
when their turn comes. Of several queued edits of the same message only the last is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from bot.delivery import ChatMoved, RawSender, RetryLater, Transient, Unchanged, Unreachable
from handlers.events import Answer, Edit, Effect, Pin, Send
from handlers.outgoing import effect_of, enqueue
from storage.db import session as open_session
from storage.models import ChatBinding
from storage.models_outbox import MigratedChat, OutboxMessage, OutboxState, UnreachableChat

log = logging.getLogger("linli.outbox")

T = TypeVar("T")
Now = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Telegram's descriptions of a chat that will never take a message from the bot again.
_CHAT_GONE = (
    "forbidden",
    "blocked",
    "kicked",
    "chat not found",
    "deactivated",
    "not a member",
    "bot was",
)


@dataclass(frozen=True)
class SendLimits:
    """Telegram's flood limits as the sender keeps them (sliding windows: count per seconds)."""

    overall: int = 30
    overall_seconds: float = 1.0
    group: int = 20
    group_seconds: float = 60.0
    private: int = 3  # a small burst, then about one a second
    private_seconds: float = 3.0
    margin: float = 0.06  # added to every window: our clock is not Telegram's
    burst: int = 3  # overall calls at once: spread evenly, a send's jitter cannot pile up
    max_inflight: int = 16  # calls at once; also the most rows 'sending' at a crash
    max_attempts: int = 12  # of timeouts and 5xx before a message is given up
    backoff: float = 0.5  # first pause after a timeout or 5xx, doubled each time
    backoff_cap: float = 300.0


def is_group(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; people positive ones."""
    return chat_id < 0


class Window:
    """At most `count` events in any `seconds` (Telegram's sliding window)."""

    __slots__ = ("count", "seconds", "times")

    def __init__(self, count: int, seconds: float):
        self.count = count
        self.seconds = seconds
        self.times: deque[float] = deque()

    def ready_at(self, now: float) -> float:
        """The earliest moment one more event fits (`now` if it fits now)."""
        times = self.times
        while times and times[0] <= now - self.seconds:
            times.popleft()
        if len(times) < self.count:
            return now
        return times[len(times) - self.count] + self.seconds

    def add(self, now: float) -> None:
        self.times.append(now)


class Pacer:
    """When the next call may go: the overall window, each chat's window, and 429 pauses."""

    def __init__(self, limits: SendLimits):
        self.limits = limits
        span = limits.overall_seconds + limits.margin
        self.overall = Window(limits.overall, span)
        # The same rate in small bursts: Telegram counts arrivals, and a full window's burst
        # arriving a little late would overlap the next one.
        self.smooth = Window(limits.burst, span * limits.burst / limits.overall)
        self.chats: dict[int, Window] = {}
        self.paused: dict[int, float] = {}

    def _window(self, chat_id: int) -> Window:
        window = self.chats.get(chat_id)
        if window is None:
            lim = self.limits
            window = (
                Window(lim.group, lim.group_seconds + lim.margin)
                if is_group(chat_id)
                else Window(lim.private, lim.private_seconds + lim.margin)
            )
            self.chats[chat_id] = window
        return window

    def overall_ready_at(self, now: float) -> float:
        return max(self.overall.ready_at(now), self.smooth.ready_at(now))

    def chat_ready_at(self, chat_id: int, now: float) -> float:
        paused = self.paused.get(chat_id, 0.0)
        if paused and paused <= now:
            del self.paused[chat_id]
            paused = 0.0
        return max(self._window(chat_id).ready_at(now), paused)

    def record(self, chat_id: int, now: float) -> None:
        """A call into `chat_id` starts now."""
        self.overall.add(now)
        self.smooth.add(now)
        self._window(chat_id).add(now)

    def restamp(self, chat_ids: Sequence[int], at: float) -> None:
        """The last calls counted (for these chats) really start at `at`, not when they were
        taken: the 'sending' commit came in between, and Telegram counts arrivals."""
        for window in (self.overall, self.smooth):
            for _ in chat_ids:
                if window.times:
                    window.times.pop()
            window.times.extend(at for _ in chat_ids)
        for chat_id in chat_ids:
            times = self._window(chat_id).times
            if times:
                times[-1] = at

    def pause(self, chat_id: int, until: float) -> None:
        """Telegram said 429 for this chat: nothing goes there before `until`."""
        self.paused[chat_id] = max(self.paused.get(chat_id, 0.0), until)

    def tidy(self, now: float) -> None:
        """Forget chats whose windows are empty (a broadcast touches thousands once)."""
        for chat_id in [c for c, w in self.chats.items() if w.ready_at(now) == now and not w.times]:
            del self.chats[chat_id]


@dataclass
class Item:
    """A queued outbox row as the scheduler sees it."""

    id: int
    chat_id: int
    priority: int
    due: float = 0.0  # not before this moment (wall-clock seconds)


@dataclass
class Lines:
    """Per-chat first-in-first-out lines, and which chat's head goes next.

    Pure scheduling over a `Pacer`; the time is passed in, so tests drive it with a fake clock.
    A chat is in at most one heap at a time: `ready` (its head may go now; ordered by
    priority, then age) or `waiting` (ordered by when it may go). Stale heap entries are
    skipped by their token.
    """

    pacer: Pacer
    lines: dict[int, deque[Item]] = field(default_factory=dict)
    busy: set[int] = field(default_factory=set)
    known: set[int] = field(default_factory=set)
    _ready: list[tuple[int, int, int, int]] = field(default_factory=list)
    _waiting: list[tuple[float, int, int]] = field(default_factory=list)
    _token: dict[int, int] = field(default_factory=dict)
    _tokens: itertools.count[int] = field(default_factory=itertools.count)

    def __len__(self) -> int:
        return len(self.known)

    def add(self, item: Item, now: float) -> None:
        if item.id in self.known:
            return
        self.known.add(item.id)
        line = self.lines.setdefault(item.chat_id, deque())
        if line and line[-1].id > item.id:  # committed late by a concurrent transaction
            position = next(i for i, x in enumerate(line) if x.id > item.id)
            if position == 0 and item.chat_id in self.busy:
                position = 1  # the head is in flight; never jump ahead of it
            line.insert(position, item)
        else:
            line.append(item)
        if item.chat_id not in self.busy:
            self._schedule(item.chat_id, now)

    def _schedule(self, chat_id: int, now: float) -> None:
        line = self.lines.get(chat_id)
        if not line:
            self.lines.pop(chat_id, None)
            self._token.pop(chat_id, None)
            return
        head = line[0]
        token = next(self._tokens)
        self._token[chat_id] = token
        when = max(head.due, self.pacer.chat_ready_at(chat_id, now))
        if when <= now:
            heapq.heappush(self._ready, (head.priority, head.id, token, chat_id))
        else:
            heapq.heappush(self._waiting, (when, token, chat_id))

    def take(self, now: float, room: int) -> list[Item]:
        """The heads that may go now (at most `room`), each counted against the limits."""
        while self._waiting and self._waiting[0][0] <= now:
            _, token, chat_id = heapq.heappop(self._waiting)
            if self._token.get(chat_id) == token:
                self._schedule(chat_id, now)
        taken: list[Item] = []
        while self._ready and len(taken) < room:
            if self.pacer.overall_ready_at(now) > now:
                break
            _, _, token, chat_id = heapq.heappop(self._ready)
            if self._token.get(chat_id) != token:
                continue
            head = self.lines[chat_id][0]
            if max(head.due, self.pacer.chat_ready_at(chat_id, now)) > now:
                self._schedule(chat_id, now)
                continue
            del self._token[chat_id]
            self.busy.add(chat_id)
            self.pacer.record(chat_id, now)
            taken.append(head)
        return taken

    def finish(self, item: Item, now: float) -> None:
        """The head's call is over for good (sent or failed): the chat's next may go."""
        self.busy.discard(item.chat_id)
        line = self.lines.get(item.chat_id)
        if line and line[0].id == item.id:
            line.popleft()
        self.known.discard(item.id)
        self._schedule(item.chat_id, now)

    def retry(self, item: Item, due: float, now: float) -> None:
        """The head stays at the front of its line until `due`."""
        self.busy.discard(item.chat_id)
        item.due = due
        self._schedule(item.chat_id, now)

    def drop_chat(self, chat_id: int) -> list[Item]:
        """Remove a chat's whole line (it became unreachable)."""
        line = self.lines.pop(chat_id, deque())
        self._token.pop(chat_id, None)
        self.busy.discard(chat_id)
        for item in line:
            self.known.discard(item.id)
        return list(line)

    def move_chat(self, old: int, new: int, now: float) -> None:
        """A group became a supergroup: its line continues under the new id."""
        moved = self.lines.pop(old, deque())
        self._token.pop(old, None)
        self.busy.discard(old)
        for item in moved:
            item.chat_id = new
        merged = sorted([*self.lines.get(new, deque()), *moved], key=lambda i: i.id)
        if merged:
            self.lines[new] = deque(merged)
        if new not in self.busy:
            self._schedule(new, now)

    def next_moment(self, now: float) -> float | None:
        """When something may become ready (None: nothing queued)."""
        moments: list[float] = []
        if self._ready:
            moments.append(max(now, self.pacer.overall_ready_at(now)))
        if self._waiting:
            moments.append(self._waiting[0][0])
        return min(moments) if moments else None

    def due_within(self, now: float, horizon: float) -> bool:
        """Is a call in flight, or one due before `now + horizon`?"""
        if self.busy:
            return True
        limit = now + horizon
        for chat_id, line in self.lines.items():
            if line and max(line[0].due, self.pacer.chat_ready_at(chat_id, now)) <= limit:
                return True
        return False


# --- what happened to a call -------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """How one call ended, as the outbox records it."""

    state: OutboxState
    message_id: int | None = None
    error: str = ""
    retry_in: float = 0.0
    moved_to: int | None = None
    chat_gone: bool = False


def chat_is_gone(description: str) -> bool:
    """Does Telegram's refusal mean the whole chat is out of reach (not just this message)?"""
    text = description.lower()
    return any(word in text for word in _CHAT_GONE)


class Outbox:
    """The `Delivery` of bot.runtime.Core: answers at once, everything else through the table."""

    def __init__(
        self,
        engine: Engine,
        sender: RawSender,
        limits: SendLimits | None = None,
        *,
        clock: Now = time.time,
        sleep: Sleep = asyncio.sleep,
        rescan_seconds: float = 2.0,
    ):
        self.engine = engine
        self.sender = sender
        self.limits = limits or SendLimits()
        self.clock = clock
        self.sleep = sleep
        self.rescan_seconds = rescan_seconds
        self.pacer = Pacer(self.limits)
        self.lines = Lines(self.pacer)
        self.resent_after_crash = 0  # rows found 'sending' at start-up and sent again
        self.counts: dict[str, int] = {"sent": 0, "failed": 0, "retried": 0, "429": 0}
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linli-outbox")
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._calls: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._seen_max = 0
        self._last_rescan = 0.0
        self._finished: set[int] = set()
        self._stopping = False

    # --- the Delivery protocol ----------------------------------------------------------------

    async def deliver(self, effects: Sequence[Effect]) -> None:
        """Answer presses now; queue anything else the handler did not already queue."""
        rest = [e for e in effects if not isinstance(e, Answer)]
        for effect in effects:
            if isinstance(effect, Answer):
                await self._answer(effect)
        if rest:
            await self._run(self._enqueue, rest)
        self.wake()

    def wake(self) -> None:
        """Something was committed to the outbox: look for it now."""
        self._wake.set()

    async def _answer(self, effect: Answer) -> None:
        for attempt in range(3):
            try:
                await self.sender.answer(effect)
                return
            except Unchanged:
                return
            except RetryLater as error:
                await self.sleep(min(error.seconds, 2.0))
            except (Transient, ChatMoved) as error:
                log.warning("answering a press failed (%s), attempt %s", error, attempt + 1)
                await self.sleep(0.2 * 2**attempt)
            except Unreachable as error:  # the query is too old; nobody is waiting any more
                log.info("press not answered: %s", error)
                return

    # --- running ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Resume the queue: rows left 'sending' by a crash go again (see the module's doc)."""
        self.resent_after_crash = await self._run(self._recover)
        if self.resent_after_crash:
            log.warning(
                "%s message(s) were in flight when the bot stopped; sending them again "
                "(each may arrive twice)",
                self.resent_after_crash,
            )
        await self._refresh(full=True)
        self._loop_task = asyncio.create_task(self._loop(), name="linli-outbox")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking new calls; wait (up to `grace` s) for those in flight to be recorded."""
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        if self._calls:
            await asyncio.wait(list(self._calls), timeout=grace)
        self._db.shutdown(wait=True)

    async def drain(self, horizon: float = 5.0) -> None:
        """Wait until nothing committed is due within `horizon` seconds (tests' "settled")."""
        await self._refresh(full=True)
        while not self._stopping and self.lines.due_within(self.clock(), horizon):
            self._progress.clear()
            self._wake.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), 0.05)

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            now = self.clock()
            if now - self._last_rescan >= self.rescan_seconds:
                await self._refresh(full=True)
            room = self.limits.max_inflight - len(self._calls)
            batch = self.lines.take(self.clock(), room) if room > 0 else []
            if batch:
                await self._dispatch(batch)
                continue
            # With every call slot taken, only a finishing call (it sets the wake) frees one.
            moment = self.lines.next_moment(self.clock()) if room > 0 else None
            until = self._last_rescan + self.rescan_seconds
            if moment is not None:
                until = min(until, moment)
            await self._idle(until)
            if self._wake.is_set():
                await self._refresh(full=False)

    async def _idle(self, until: float) -> None:
        delay = until - self.clock()
        if delay <= 0 or self._wake.is_set():
            await asyncio.sleep(0)  # let the calls in flight run
            return
        waker = asyncio.ensure_future(self._wake.wait())
        sleeper = asyncio.ensure_future(self.sleep(delay))
        try:
            await asyncio.wait({waker, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waker, sleeper):
                task.cancel()
            await asyncio.gather(waker, sleeper, return_exceptions=True)

    async def _refresh(self, *, full: bool) -> None:
        if full:
            self._last_rescan = self.clock()
            self._finished.clear()
        rows, gone = await self._run(self._load, 0 if full else self._seen_max)
        now = self.clock()
        for row_id, chat_id, priority, not_before in rows:
            self._seen_max = max(self._seen_max, row_id)
            if row_id in self._finished:
                continue
            self.lines.add(Item(row_id, chat_id, priority, not_before), now)
        if gone:
            self._progress.set()

    async def _dispatch(self, batch: list[Item]) -> None:
        claimed = await self._run(self._claim, [item.id for item in batch])
        now = self.clock()
        self.pacer.restamp([item.chat_id for item in batch], now)
        for item in batch:
            effect = claimed.get(item.id)
            if isinstance(effect, Outcome):  # settled without a call (superseded, target failed)
                if effect.state == OutboxState.QUEUED:
                    self.lines.retry(item, now + effect.retry_in, now)
                else:
                    self._done(item, now)
                continue
            if effect is None:  # no longer queued (another process, or a vanished row)
                self._done(item, now)
                continue
            task = asyncio.create_task(self._call(item, effect))
            self._calls.add(task)
            task.add_done_callback(self._calls.discard)

    def _done(self, item: Item, now: float) -> None:
        self._finished.add(item.id)
        self.lines.finish(item, now)
        self._progress.set()
        self._wake.set()

    async def _call(self, item: Item, effect: Send | Edit | Pin) -> None:
        outcome = await self._attempt(effect)
        verdict, wait = await self._run(self._record, item.id, item.chat_id, outcome, self.clock())
        now = self.clock()
        if verdict == "sent":
            self.counts["sent"] += 1
            self._done(item, now)
            return
        if verdict == "moved" and outcome.moved_to is not None:
            self.lines.move_chat(item.chat_id, outcome.moved_to, now)
            self.lines.retry(item, now, now)
        elif verdict == "gone":
            self.counts["failed"] += 1
            for dropped in self.lines.drop_chat(item.chat_id):
                self._finished.add(dropped.id)
        elif verdict == "failed":
            self.counts["failed"] += 1
            self._done(item, now)
            return
        else:
            self.counts["retried"] += 1
            self.lines.retry(item, now + wait, now)
        self._progress.set()
        self._wake.set()

    async def _attempt(self, effect: Send | Edit | Pin) -> Outcome:
        try:
            if isinstance(effect, Send):
                message_id = await self.sender.send(effect)
                return Outcome(OutboxState.SENT, message_id=message_id)
            if isinstance(effect, Edit):
                await self.sender.edit(effect)
            else:
                pin = getattr(self.sender, "pin", None)
                if pin is None:
                    return Outcome(OutboxState.FAILED, error="this transport cannot pin")
                await pin(effect)
            return Outcome(OutboxState.SENT)
        except Unchanged:
            return Outcome(OutboxState.SENT)
        except RetryLater as error:
            self.counts["429"] += 1
            self.pacer.pause(effect.chat_id, self.clock() + error.seconds)
            return Outcome(OutboxState.QUEUED, error=str(error), retry_in=error.seconds)
        except ChatMoved as moved:
            return Outcome(OutboxState.QUEUED, error=str(moved), moved_to=moved.new_chat_id)
        except Unreachable as error:
            gone = chat_is_gone(str(error))
            return Outcome(OutboxState.FAILED, error=str(error)[:500], chat_gone=gone)
        except Transient as error:
            return Outcome(OutboxState.QUEUED, error=str(error)[:500], retry_in=-1.0)
        except Exception as error:  # a transport bug must not kill the sender: retry later
            log.exception("sending outbox row failed unexpectedly")
            return Outcome(OutboxState.QUEUED, error=repr(error)[:500], retry_in=-1.0)

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, lambda: func(*args))

    # --- the database side (on the outbox's own thread) ---------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _enqueue(self, effects: Iterable[Effect]) -> None:
        with open_session(self.engine) as session:
            enqueue(session, effects, self._now())
            session.commit()

    def _recover(self) -> int:
        with open_session(self.engine) as session:
            result = session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.state) == OutboxState.SENDING)
                .values(state=OutboxState.QUEUED, error="in flight at a crash: sent again")
            )
            session.commit()
            return int(getattr(result, "rowcount", 0) or 0)

    def _load(self, after: int) -> tuple[list[tuple[int, int, int, float]], bool]:
        """Queued rows (id > after), and whether any was failed for an unreachable chat."""
        with open_session(self.engine) as session:
            rows = session.exec(
                select(
                    OutboxMessage.id,
                    OutboxMessage.chat_id,
                    OutboxMessage.priority,
                    OutboxMessage.not_before,
                )
                .where(OutboxMessage.state == OutboxState.QUEUED, col(OutboxMessage.id) > after)
                .order_by(col(OutboxMessage.id))
            ).all()
            if not rows:
                return [], False
            chats = {chat_id for _, chat_id, _, _ in rows}
            gone = set(
                session.exec(
                    select(UnreachableChat.chat_id).where(col(UnreachableChat.chat_id).in_(chats))
                ).all()
            )
            if gone:
                session.execute(
                    update(OutboxMessage)
                    .where(
                        col(OutboxMessage.state) == OutboxState.QUEUED,
                        col(OutboxMessage.chat_id).in_(gone),
                    )
                    .values(state=OutboxState.FAILED, error="chat unreachable")
                )
                session.commit()
            return [
                (int(i or 0), c, p, _timestamp(nb)) for i, c, p, nb in rows if c not in gone
            ], bool(gone)

    def _claim(self, ids: list[int]) -> dict[int, Send | Edit | Pin | Outcome | None]:
        """Mark rows 'sending' (committed before any call starts); the effect each carries."""
        out: dict[int, Send | Edit | Pin | Outcome | None] = {}
        with open_session(self.engine) as session:
            for row_id in ids:
                row = session.get(OutboxMessage, row_id)
                if row is None or row.state != OutboxState.QUEUED:
                    out[row_id] = None
                    continue
                out[row_id] = self._prepare(session, row)
            session.commit()
        return out

    def _prepare(self, session: Session, row: OutboxMessage) -> Send | Edit | Pin | Outcome:
        message_id: int | None = None
        if row.ref is not None:
            if row.kind == "edit":
                later = session.exec(
                    select(OutboxMessage.id).where(
                        OutboxMessage.ref == row.ref,
                        OutboxMessage.kind == "edit",
                        OutboxMessage.state == OutboxState.QUEUED,
                        col(OutboxMessage.id) > (row.id or 0),
                    )
                ).first()
                if later is not None:  # a newer edit of the same message will say it all
                    row.state, row.error, row.sent_at = OutboxState.SENT, "superseded", self._now()
                    session.add(row)
                    return Outcome(OutboxState.SENT)
            target = session.exec(select(OutboxMessage).where(OutboxMessage.key == row.ref)).first()
            if target is None or target.state == OutboxState.FAILED:
                row.state, row.error = OutboxState.FAILED, "the message it acts on was not sent"
                session.add(row)
                return Outcome(OutboxState.FAILED)
            if target.state != OutboxState.SENT or target.message_id is None:
                return Outcome(OutboxState.QUEUED, retry_in=0.5)  # not sent yet: wait for it
            message_id = int(target.message_id)
        row.state = OutboxState.SENDING
        row.attempts += 1
        session.add(row)
        return effect_of(row, message_id)

    def _record(self, row_id: int, chat_id: int, outcome: Outcome, at: float) -> tuple[str, float]:
        """Write how a call ended: sent | failed | gone | moved | retry, and the wait before
        a retry."""
        moment = datetime.fromtimestamp(at, UTC)
        verdict, wait = "retry", outcome.retry_in
        with open_session(self.engine) as session:
            row = session.get_one(OutboxMessage, row_id)
            row.error = outcome.error
            if outcome.state == OutboxState.SENT:
                verdict = "sent"
                row.state, row.sent_at, row.message_id = (
                    OutboxState.SENT,
                    moment,
                    outcome.message_id,
                )
            elif outcome.moved_to is not None:
                verdict = "moved"
                self._migrate(session, chat_id, outcome.moved_to, moment)
                row.chat_id, row.state = outcome.moved_to, OutboxState.QUEUED
                if row.payload and "reply_to" in row.payload:  # that message is in the old chat
                    row.payload = {k: v for k, v in row.payload.items() if k != "reply_to"}
            elif outcome.chat_gone:
                verdict = "gone"
                row.state = OutboxState.FAILED
                session.merge(UnreachableChat(chat_id=chat_id, reason=outcome.error, at=moment))
                session.execute(
                    update(OutboxMessage)
                    .where(
                        col(OutboxMessage.chat_id) == chat_id,
                        col(OutboxMessage.state) == OutboxState.QUEUED,
                    )
                    .values(state=OutboxState.FAILED, error="chat unreachable")
                )
                log.info("chat %s is unreachable: %s", chat_id, outcome.error)
            elif outcome.state == OutboxState.FAILED:
                verdict = "failed"
                row.state = OutboxState.FAILED
                log.info("outbox row %s failed: %s", row_id, outcome.error)
            elif wait < 0 and row.attempts >= self.limits.max_attempts:
                verdict = "failed"
                row.state = OutboxState.FAILED
                row.error = f"gave up after {row.attempts} attempts: {outcome.error}"
                log.warning("outbox row %s: %s", row_id, row.error)
            else:
                if wait < 0:  # a timeout or 5xx: exponential backoff
                    lim = self.limits
                    wait = min(lim.backoff * 2 ** max(row.attempts - 1, 0), lim.backoff_cap)
                row.state = OutboxState.QUEUED
                row.not_before = datetime.fromtimestamp(at + wait, UTC)
            session.add(row)
            session.commit()
        return verdict, wait

    def _migrate(self, session: Session, old: int, new: int, moment: datetime) -> None:
        """A group became a supergroup: move its binding and its queue to the new id."""
        binding = session.get(ChatBinding, old)
        if binding is not None and session.get(ChatBinding, new) is None:
            session.add(
                ChatBinding(
                    chat_id=new,
                    title=binding.title,
                    scope_kind=binding.scope_kind,
                    scope_id=binding.scope_id,
                )
            )
            session.delete(binding)
        session.merge(MigratedChat(old_chat_id=old, new_chat_id=new, at=moment))
        session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.chat_id) == old,
                col(OutboxMessage.state) == OutboxState.QUEUED,
            )
            .values(chat_id=new)
        )
        log.info("group %s became supergroup %s: binding and queue moved", old, new)


def _timestamp(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
