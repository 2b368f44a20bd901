"""The outbox's pacing and bookkeeping, on a fake clock (nothing here sleeps for real)."""

from __future__ import annotations

import asyncio
from collections import deque

from sqlalchemy import Engine
from sqlmodel import select

from bot.delivery import ChatMoved, RetryLater, Transient, Unreachable
from bot.outbox import Item, Lines, Outbox, Pacer, SendLimits, chat_is_gone
from handlers.events import Answer, Edit, Effect, Pin, Send
from handlers.outgoing import enqueue
from storage.db import session as open_session
from storage.models import ChatBinding
from storage.models_outbox import MigratedChat, OutboxMessage, UnreachableChat


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


def run_lines(
    lines: Lines, clock: FakeTime, until: float, step: float = 0.01
) -> list[tuple[float, Item]]:
    """Take and finish at once whatever may go, stepping the fake clock; when each went."""
    went: list[tuple[float, Item]] = []
    end = clock.now + until
    while clock.now < end:
        for item in lines.take(clock.now, 100):
            went.append((clock.now, item))
            lines.finish(item, clock.now)
        clock.now += step
    return went


def most_in_any(times: list[float], seconds: float) -> int:
    best, window = 0, deque[float]()
    for moment in times:
        window.append(moment)
        while window[0] <= moment - seconds:
            window.popleft()
        best = max(best, len(window))
    return best


def test_overall_rate_stays_under_thirty_a_second_and_close_to_it() -> None:
    clock = FakeTime()
    lines = Lines(Pacer(SendLimits()))
    for n in range(600):
        lines.add(Item(n + 1, 10_000 + n, 1), clock.now)
    went = run_lines(lines, clock, 30)
    times = [t for t, _ in went]
    assert len(went) == 600
    assert most_in_any(times, 1.0) <= 30
    assert 600 / (times[-1] - times[0]) >= 27  # ≥ 90% of Telegram's 30/s


def test_a_group_gets_at_most_twenty_a_minute_and_a_person_a_burst_then_one_a_second() -> None:
    clock = FakeTime()
    lines = Lines(Pacer(SendLimits()))
    for n in range(25):
        lines.add(Item(n + 1, -500, 0), clock.now)
    for n in range(6):
        lines.add(Item(100 + n, 42, 0), clock.now)
    went = run_lines(lines, clock, 70, step=0.05)
    group = [t for t, i in went if i.chat_id == -500]
    person = [t for t, i in went if i.chat_id == 42]
    assert len(group) == 25 and most_in_any(group, 60.0) <= 20
    assert group[20] - group[0] >= 60.0
    assert len(person) == 6 and most_in_any(person, 3.0) <= 3
    assert person[2] - person[0] < 1.0  # a burst of three passes without the 1 s pace


def test_order_within_a_chat_and_replies_before_bulk_across_chats() -> None:
    clock = FakeTime()
    lines = Lines(Pacer(SendLimits(overall=1)))  # one call per second makes the order visible
    for n in range(5):
        lines.add(Item(n + 1, -(n + 1), 1), clock.now)  # a broadcast to five groups
    lines.add(Item(50, 7, 0), clock.now)  # a reply, written after the broadcast
    lines.add(Item(51, 7, 0), clock.now)
    went = [i.id for _, i in run_lines(lines, clock, 10, step=0.1)]
    assert went[:1] == [50]  # the reply jumps the broadcast …
    assert went.index(50) < went.index(51)  # … and a chat's own order holds
    assert sorted(went) == [1, 2, 3, 4, 5, 50, 51]


def test_a_429_pauses_only_the_chat_it_names() -> None:
    clock = FakeTime()
    pacer = Pacer(SendLimits())
    lines = Lines(pacer)
    lines.add(Item(1, -1, 1), clock.now)
    lines.add(Item(2, -2, 1), clock.now)
    lines.add(Item(3, -2, 1), clock.now)
    first = lines.take(clock.now, 10)
    assert {i.id for i in first} == {1, 2}
    blocked = next(i for i in first if i.chat_id == -1)
    pacer.pause(-1, clock.now + 5)
    lines.retry(blocked, clock.now + 5, clock.now)
    lines.finish(next(i for i in first if i.chat_id == -2), clock.now)
    clock.now += 0.5
    assert [i.id for i in lines.take(clock.now, 10)] == [3]  # the other group goes on
    clock.now += 5
    assert [i.id for i in lines.take(clock.now, 10)] == [1]


def test_which_refusals_close_a_chat() -> None:
    assert chat_is_gone("Forbidden: bot was blocked by the user")
    assert chat_is_gone("Bad Request: chat not found")
    assert chat_is_gone("Forbidden: bot was kicked from the group chat")
    assert not chat_is_gone("Bad Request: message to edit not found")
    assert not chat_is_gone("Bad Request: message text is empty")


# --- the sender over a real database, a fake Telegram and a fake clock ------------------------


class FakeTelegram:
    """Records calls; `script` decides per chat what the next call raises."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int, str]] = []
        self.script: dict[int, list[Exception]] = {}
        self.next_id = 100

    def _maybe_fail(self, chat_id: int) -> None:
        queue = self.script.get(chat_id)
        if queue:
            raise queue.pop(0)

    async def send(self, effect: Send) -> int:
        self._maybe_fail(effect.chat_id)
        self.next_id += 1
        self.calls.append(("send", effect.chat_id, self.next_id, effect.text))
        return self.next_id

    async def edit(self, effect: Edit) -> None:
        self._maybe_fail(effect.chat_id)
        self.calls.append(("edit", effect.chat_id, effect.message_id, effect.text))

    async def pin(self, effect: Pin) -> None:
        self.calls.append(("pin", effect.chat_id, effect.message_id, ""))

    async def answer(self, effect: Answer) -> None:
        self.calls.append(("answer", 0, 0, effect.text))


def put(engine: Engine, *effects: Effect) -> None:
    with open_session(engine) as session:
        enqueue(session, effects, __import__("datetime").datetime.now(__import__("datetime").UTC))
        session.commit()


async def run_outbox(engine: Engine, telegram: FakeTelegram, clock: FakeTime) -> Outbox:
    outbox = Outbox(engine, telegram, SendLimits(), clock=clock, sleep=clock.sleep)
    await outbox.start()
    await asyncio.wait_for(outbox.drain(horizon=3600), 20)
    await outbox.stop()
    return outbox


async def test_an_edit_of_a_queued_send_waits_for_it_and_only_the_last_edit_goes(
    engine: Engine,
) -> None:
    telegram, clock = FakeTelegram(), FakeTime()
    put(
        engine,
        Send(301, "tally 0/2", key="notice:1:status"),
        Edit(301, 0, "tally 1/2", key="notice:1:status"),
        Edit(301, 0, "tally 2/2", key="notice:1:status"),
        Send(-1001, "notice", key="notice:1:-1001", bulk=True),
        Pin(-1001, key="notice:1:-1001"),
    )
    await run_outbox(engine, telegram, clock)
    sent_id = next(c[2] for c in telegram.calls if c[0] == "send" and c[1] == 301)
    mine = [c for c in telegram.calls if c[1] == 301]
    assert mine == [("send", 301, sent_id, "tally 0/2"), ("edit", 301, sent_id, "tally 2/2")]
    group_id = next(c[2] for c in telegram.calls if c[0] == "send" and c[1] == -1001)
    assert ("pin", -1001, group_id, "") in telegram.calls
    with open_session(engine) as session:
        states = {r.state for r in session.exec(select(OutboxMessage))}
    assert states == {"sent"}


async def test_failures_retry_pause_move_and_close_chats(engine: Engine) -> None:
    telegram, clock = FakeTelegram(), FakeTime()
    telegram.script = {
        -1001: [RetryLater(7)],
        -1003: [Transient("502 Bad Gateway"), Transient("timeout")],
        101: [Unreachable("Forbidden: bot was blocked by the user")],
        -1005: [ChatMoved(-100500)],
    }
    with open_session(engine) as session:
        session.add(ChatBinding(chat_id=-1005, title="old", scope_kind="compound", scope_id=1))
        session.commit()
    put(
        engine,
        *[Send(chat, f"to {chat}", bulk=True) for chat in (-1001, -1003, 101, -1005, 102)],
        Send(101, "second to the blocked one"),
    )
    start = clock.now
    outbox = await run_outbox(engine, telegram, clock)
    sends = [(c[1], c[3]) for c in telegram.calls if c[0] == "send"]
    assert sorted(sends) == sorted(
        [(-1001, "to -1001"), (-1003, "to -1003"), (-100500, "to -1005"), (102, "to 102")]
    )
    assert clock.now - start >= 7  # the 429's pause was kept …
    assert outbox.counts["429"] == 1
    with open_session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
        by_text = {r.payload["text"]: r for r in rows}
        assert by_text["to -1003"].attempts == 3 and by_text["to -1003"].state == "sent"
        assert by_text["to 101"].state == "failed"
        assert by_text["second to the blocked one"].state == "failed"
        assert session.get(UnreachableChat, 101) is not None
        assert session.get(ChatBinding, -100500) is not None
        assert session.get(ChatBinding, -1005) is None
        migrated = session.get(MigratedChat, -1005)
        assert migrated is not None and migrated.new_chat_id == -100500


async def test_rows_left_sending_by_a_crash_are_sent_again_and_counted(engine: Engine) -> None:
    telegram, clock = FakeTelegram(), FakeTime()
    put(engine, Send(101, "in flight at the crash"), Send(102, "still queued"))
    with open_session(engine) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == 101)).one()
        row.state = "sending"
        session.add(row)
        session.commit()
    outbox = await run_outbox(engine, telegram, clock)
    assert outbox.resent_after_crash == 1
    assert sorted(c[1] for c in telegram.calls) == [101, 102]
