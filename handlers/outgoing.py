"""What the bot will say, kept in the outbox in the same transaction as what caused it.

A handler's or job's Send, Edit and Pin effects become `OutboxMessage` rows when its session
commits (a `before_commit` hook), so a message exists exactly when the change it reports does:
a rolled-back handler says nothing, a committed one cannot lose its messages to a crash.
Answers to button presses stay out of the table: they are only useful within seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from domain.clock import Clock
from handlers.events import Answer, Button, Edit, Effect, Keyboard, Pin, Send
from handlers.replies import Replies
from storage.models_outbox import OutboxMessage, Priority

Queued = Send | Edit | Pin


def _buttons(rows: Keyboard) -> list[list[dict[str, str]]]:
    out: list[list[dict[str, str]]] = []
    for row in rows:
        out.append(
            [
                {
                    k: v
                    for k, v in (
                        ("text", b.text if isinstance(b.text, str) else b.text.key),
                        ("data", b.data),
                        ("url", b.url),
                    )
                    if v is not None
                }
                for b in row
            ]
        )
    return out


def _keyboard(rows: Any) -> Keyboard:
    return tuple(
        tuple(Button(b["text"], b.get("data"), b.get("url")) for b in row) for row in rows or []
    )


def row_for(effect: Queued, now: datetime) -> OutboxMessage:
    """The outbox row that will carry out `effect`."""
    if isinstance(effect, Send):
        payload: dict[str, Any] = {"text": effect.text, "buttons": _buttons(effect.buttons)}
        for name in ("photo", "document", "reply_to", "upload"):
            if getattr(effect, name) is not None:
                payload[name] = getattr(effect, name)
        return OutboxMessage(
            chat_id=effect.chat_id,
            kind="send",
            payload=payload,
            key=effect.key,
            priority=Priority.BULK if effect.bulk else Priority.INTERACTIVE,
            created_at=now,
        )
    if isinstance(effect, Edit):
        return OutboxMessage(
            chat_id=effect.chat_id,
            kind="edit",
            payload={
                "text": effect.text,
                "buttons": _buttons(effect.buttons),
                "message_id": effect.message_id,
            },
            ref=effect.key,
            created_at=now,
        )
    return OutboxMessage(
        chat_id=effect.chat_id,
        kind="pin",
        payload={"message_id": effect.message_id},
        ref=effect.key,
        created_at=now,
    )


def effect_of(row: OutboxMessage, message_id: int | None = None) -> Queued:
    """The effect a row carries; `message_id` resolves an edit's or pin's target."""
    p = row.payload or {}
    if row.kind == "send":
        return Send(
            row.chat_id,
            p.get("text", ""),
            _keyboard(p.get("buttons")),
            photo=p.get("photo"),
            reply_to=p.get("reply_to"),
            document=p.get("document"),
            upload=p.get("upload"),
            key=row.key,
            bulk=row.priority >= Priority.BULK,
        )
    target = message_id if message_id is not None else int(p.get("message_id") or 0)
    if row.kind == "edit":
        return Edit(row.chat_id, target, p.get("text", ""), _keyboard(p.get("buttons")), row.ref)
    return Pin(row.chat_id, target, row.ref)


def enqueue(session: Session, effects: Iterable[Effect], now: datetime) -> int:
    """Add rows for the effects that go through the outbox; how many."""
    added = 0
    for effect in effects:
        if not isinstance(effect, Answer):
            session.add(row_for(effect, now))
            added += 1
    return added


def keep_on_commit(session: Session, replies: Replies, clock: Clock) -> None:
    """Move the replies' Sends, Edits and Pins into the outbox whenever `session` commits.

    Whatever is still in `replies.effects` afterwards (answers, or messages added after the last
    commit) is the caller's to deliver.
    """

    def before_commit(committing: Session) -> None:
        if committing.in_nested_transaction():  # a savepoint: the outer commit will do it
            return
        queued = [e for e in replies.effects if not isinstance(e, Answer)]
        if not queued:
            return
        enqueue(committing, queued, clock.now())
        replies.effects[:] = [e for e in replies.effects if isinstance(e, Answer)]

    event.listen(session, "before_commit", before_commit)
