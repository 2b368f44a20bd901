"""Notices 通知: /notice to write one (place → text → preview → send now or later), 收到 to
acknowledge, the sender's live tally, the list of who has not acknowledged and one reminder,
/notices for residents (recent notices, and whether to get them in private too).

Every message here goes through the outbox like any other; the broadcast is `bulk` (it yields
to replies and pings), and the sender's status message carries an outbox key so that the tally
can be edited into it even while it is still queued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from domain.access import Access, Do, Who
from domain.clock import Clock
from domain.lifecycle import Refused
from domain.notices import NOTICE_KINDS, Audience, NoticeBoard, Place, places_of, wants_private
from handlers.asking import Cancel, ask
from handlers.callbacks import MAX_ID, Between, Callback, OneOf, Ref, rows
from handlers.dispatch import Router
from handlers.events import Button, Edit, Effect, Message, Pin, Press, Send, T, t
from handlers.i18n import DEFAULT_LANGUAGE
from handlers.jobs import Jobs
from handlers.outgoing import keep_on_commit
from handlers.replies import Replies, Rows
from handlers.views import name_of
from nlp import mask_pii
from storage.db import session as open_session
from storage.models import (
    Building,
    Community,
    Compound,
    Conversation,
    Grid,
    Person,
    RoleGrant,
    ScopeKind,
)
from storage.models_notices import Notice

router = Router("notices")

ASK_TEXT = "notice-text"
PREVIEW_CHARS = 60
LATER = {"60": timedelta(hours=1), "180": timedelta(hours=3)}
NoticeId = Annotated[int, Ref(Notice)]


@dataclass(frozen=True)
class AddressTo(Callback, prefix="nt:to"):
    """The place a new notice goes to (id 0: the whole sub-district)."""

    kind: Annotated[str, OneOf(tuple(NOTICE_KINDS))]
    place: Annotated[int, Between(0, MAX_ID)]


@dataclass(frozen=True)
class NoticeAction(Callback, prefix="nt"):
    """The sender's buttons: send, pin, cancel (the draft); who has not read it, remind."""

    action: Literal["go", "pin", "x", "who", "rm"]
    notice: NoticeId


@dataclass(frozen=True)
class SendLater(Callback, prefix="nt:at"):
    """Send the draft in an hour, in three, or tomorrow at eight."""

    notice: NoticeId
    when: Literal["60", "180", "t8"]


@dataclass(frozen=True)
class Acknowledge(Callback, prefix="na"):
    """收到: a resident read the notice."""

    notice: NoticeId


@dataclass(frozen=True)
class PrivateDelivery(Callback, prefix="np"):
    """Turn getting notices in private on or off."""


def status_key(notice: Notice) -> str:
    """The outbox key of the sender's status message (the tally is edited into it)."""
    return f"notice:{notice.id}:status"


def group_key(notice: Notice, chat_id: int) -> str:
    return f"notice:{notice.id}:{chat_id}"


# --- how places and notices read ---------------------------------------------------------------


def place_name(session: Session, place: Place, lang: str) -> T | str:
    """A place as people call it, in the reader's language."""
    if place.kind == ScopeKind.SUBDISTRICT or place.id is None:
        return t("notice-place-subdistrict")
    if place.kind == ScopeKind.COMMUNITY:
        return name_of(session.get_one(Community, place.id), lang)
    if place.kind == ScopeKind.GRID:
        grid = session.get_one(Grid, place.id)
        return grid.name_en if lang == "en" and grid.name_en else grid.name
    if place.kind == ScopeKind.COMPOUND:
        return name_of(session.get_one(Compound, place.id), lang)
    building = session.get_one(Building, place.id)
    compound = session.get_one(Compound, building.compound_id)
    return f"{name_of(compound, lang)} {name_of(building, lang)}"


def _place(notice: Notice) -> Place:
    return Place(notice.scope_kind, notice.scope_id)


def _body(session: Session, notice: Notice, lang: str) -> T:
    sender = session.get_one(Person, notice.sender_id)
    return t(
        "notice-body",
        place=place_name(session, _place(notice), lang),
        sender=sender.name,
        text=notice.text,
    )


def _status(session: Session, board: NoticeBoard, notice: Notice) -> T:
    acked, total = board.tally(notice)
    return t(
        "notice-status",
        place=place_name(session, _place(notice), DEFAULT_LANGUAGE),
        groups=notice.groups,
        residents=total,
        acked=acked,
    )


def _status_buttons(notice: Notice) -> list[list[Button]]:
    return [
        [
            Button(t("notice-btn-who"), NoticeAction("who", _id(notice)).pack()),
            Button(t("notice-btn-remind"), NoticeAction("rm", _id(notice)).pack()),
        ]
    ]


def _queue(
    replies: Replies,
    chat_id: int,
    lang: str,
    text: T | str,
    buttons: Rows = (),
    *,
    photo: str | None = None,
    document: str | None = None,
    key: str | None = None,
    bulk: bool = False,
) -> None:
    replies.effects.append(
        Send(
            chat_id,
            replies.texts.render(lang, text),
            replies.texts.keyboard(lang, buttons),
            photo=photo,
            document=document,
            key=key,
            bulk=bulk,
        )
    )


def publish(session: Session, board: NoticeBoard, notice: Notice, replies: Replies) -> Audience:
    """Send a notice to its groups and private readers, and the sender their status message."""
    audience = board.audience(notice)
    board.mark_sent(notice, audience)
    ack = _ack_button(notice)
    for group in audience.groups:
        key = group_key(notice, group.chat_id)
        _queue(
            replies,
            group.chat_id,
            DEFAULT_LANGUAGE,
            _body(session, notice, DEFAULT_LANGUAGE),
            ack,
            photo=notice.photo,
            document=notice.document,
            key=key,
            bulk=True,
        )
        if notice.pin:
            replies.effects.append(Pin(group.chat_id, key=key))
    for person in audience.private:
        assert person.telegram_id is not None
        lang = replies.language_of(person)
        _queue(
            replies,
            person.telegram_id,
            lang,
            _body(session, notice, lang),
            ack,
            photo=notice.photo,
            document=notice.document,
            bulk=True,
        )
    sender = session.get_one(Person, notice.sender_id)
    chat = notice.status_chat_id or sender.telegram_id
    if chat is not None:
        _queue(
            replies,
            chat,
            replies.language_of(sender),
            _status(session, board, notice),
            _status_buttons(notice),
            key=status_key(notice),
        )
    return audience


def _refresh_status(session: Session, board: NoticeBoard, notice: Notice, replies: Replies) -> None:
    """Edit the live tally into the sender's status message (queued or already sent)."""
    sender = session.get_one(Person, notice.sender_id)
    chat = notice.status_chat_id or sender.telegram_id
    if chat is None:
        return
    lang = replies.language_of(sender)
    replies.effects.append(
        Edit(
            chat,
            0,
            replies.texts.render(lang, _status(session, board, notice)),
            replies.texts.keyboard(lang, _status_buttons(notice)),
            key=status_key(notice),
        )
    )


# --- writing a notice --------------------------------------------------------------------------


def _id(notice: Notice) -> int:
    assert notice.id is not None
    return notice.id


def _ack_button(notice: Notice) -> list[list[Button]]:
    return [[Button(t("notice-btn-ack"), Acknowledge(_id(notice)).pack())]]


@router.command("notice", private_only=True)
def new_notice(
    session: Session, person: Person, grants: list[RoleGrant], replies: Replies, lang: str
) -> None:
    places = places_of(session, grants)
    if not places:
        replies.reply(t("notice-not-allowed"))
        return
    buttons = [
        Button(place_name(session, p, lang), AddressTo(p.kind, p.id or 0).pack())
        for p in places[:40]
    ]
    replies.reply(
        t("notice-pick-place"), [*rows(buttons), [Button(t("btn-cancel"), Cancel().pack())]]
    )


@router.callback(AddressTo)
def address_to(
    event: Press,
    button: AddressTo,
    session: Session,
    who: Who,
    access: Access,
    replies: Replies,
    clock: Clock,
    lang: str,
) -> None:
    """The place is chosen: ask for the text."""
    subdistrict = button.kind == ScopeKind.SUBDISTRICT
    place = Place(button.kind, None if subdistrict else button.place)
    access.check(who, Do.SEND, place)
    expires = clock.now() + timedelta(hours=1)
    ask(session, event.sender.id, ASK_TEXT, {"kind": place.kind, "id": place.id}, expires)
    replies.answer()
    replies.edit(t("notice-ask-text", place=place_name(session, place, lang)))


@router.callback(NoticeAction, may=Do.MANAGE)
def notice_button(
    button: NoticeAction,
    notice: Notice,
    session: Session,
    replies: Replies,
    clock: Clock,
    lang: str,
) -> None:
    board = NoticeBoard(session, clock)
    action = button.action
    if action in ("go", "pin", "x"):
        _still_draft(notice)
    if action == "pin":
        notice.pin = not notice.pin
        session.add(notice)
        replies.answer()
        replies.edit(*_preview(session, board, notice, lang))
    elif action == "x":
        notice.state = "cancelled"
        session.add(notice)
        replies.answer(t("cancelled"))
        replies.edit(t("cancelled"))
    elif action == "go":
        audience = publish(session, board, notice, replies)
        replies.answer(t("notice-sent-toast"))
        replies.edit(t("notice-sent", groups=len(audience.groups), people=len(audience.private)))
    elif action == "who":
        missing = board.unacknowledged(notice)
        replies.answer()
        if not missing:
            replies.reply(t("notice-all-acked"))
            return
        names = "\n".join(f"• {p.name or p.telegram_id}" for p in missing[:100])
        replies.reply(t("notice-missing", count=len(missing), names=names))
    elif action == "rm":
        _remind(session, board, notice, replies, clock)


def _still_draft(notice: Notice) -> None:
    if notice.state != "draft":
        raise Refused("notice-already", state=f"notice-state-{notice.state}")


def _remind(
    session: Session, board: NoticeBoard, notice: Notice, replies: Replies, clock: Clock
) -> None:
    """One reminder, in private, to the residents who have not acknowledged."""
    if notice.reminded_at is not None:
        raise Refused("notice-reminded-before")
    missing = [p for p in board.unacknowledged(notice) if p.telegram_id]
    notice.reminded_at = clock.now()
    session.add(notice)
    for resident in missing:
        rlang = replies.language_of(resident)
        body = _body(session, notice, rlang)
        replies.to(resident, t("notice-reminder", body=body), _ack_button(notice))
    replies.answer(t("notice-reminded", count=len(missing)), alert=True)


@router.callback(SendLater, may=Do.MANAGE)
def send_later(
    button: SendLater,
    notice: Notice,
    session: Session,
    replies: Replies,
    clock: Clock,
    tz: ZoneInfo,
) -> None:
    _still_draft(notice)
    now = clock.now()
    if button.when in LATER:
        at = now + LATER[button.when]
    else:  # tomorrow morning, local time
        local = now.astimezone(tz) + timedelta(days=1)
        at = datetime(local.year, local.month, local.day, 8, 0, tzinfo=tz)
    NoticeBoard(session, clock).schedule(notice, at)
    replies.answer()
    replies.edit(t("notice-scheduled", when=at))


def _preview(session: Session, board: NoticeBoard, notice: Notice, lang: str) -> tuple[T, Rows]:
    audience = board.audience(notice)
    text = t(
        "notice-preview",
        body=_body(session, notice, lang),
        groups=len(audience.groups),
        people=len(audience.private),
        residents=len(audience.residents),
        pin=t("notice-pin-on" if notice.pin else "notice-pin-off"),
        attachment=t("notice-has-photo")
        if notice.photo
        else (t("notice-has-file") if notice.document else ""),
        # A notice is published as written (a contact number is often its point); the sender
        # is warned when it looks as if someone's private number is in it.
        numbers=t("notice-has-numbers") if mask_pii(notice.text) != notice.text else "",
    )
    n = _id(notice)
    buttons: Rows = [
        [Button(t("notice-btn-send"), NoticeAction("go", n).pack())],
        [
            Button(t("notice-btn-1h"), SendLater(n, "60").pack()),
            Button(t("notice-btn-3h"), SendLater(n, "180").pack()),
            Button(t("notice-btn-tomorrow"), SendLater(n, "t8").pack()),
        ],
        [
            Button(t("notice-btn-pin"), NoticeAction("pin", n).pack()),
            Button(t("btn-cancel"), NoticeAction("x", n).pack()),
        ],
    ]
    return text, buttons


@router.awaiting(ASK_TEXT)
def notice_text(
    event: Message,
    session: Session,
    person: Person,
    who: Who,
    access: Access,
    pending: Conversation,
    replies: Replies,
    clock: Clock,
    lang: str,
) -> None:
    data = pending.data or {}
    place = Place(str(data.get("kind")), data.get("id"))
    document = event.document
    if not event.text.strip() and event.photo is None and document is None:
        replies.reply(t("notice-ask-text", place=place_name(session, place, lang)))
        return
    session.delete(pending)
    if not access.can(who, Do.SEND, place):  # roles may have changed meanwhile
        replies.reply(t("notice-not-your-place"))
        return
    board = NoticeBoard(session, clock)
    notice = board.draft(
        person,
        place,
        event.text.strip(),
        photo=event.photo,
        document=document,
        status_chat_id=event.chat.id,
    )
    replies.reply(*_preview(session, board, notice, lang))


# --- residents ---------------------------------------------------------------------------------


@router.callback(Acknowledge, may=Do.ACKNOWLEDGE)
def acknowledge(
    notice: Notice, session: Session, person: Person, replies: Replies, clock: Clock
) -> None:
    if notice.state != "sent":
        raise Refused("error-stale-button")
    board = NoticeBoard(session, clock)
    if not board.acknowledge(notice, person):
        replies.answer(t("notice-acked-before"))
        return
    replies.answer(t("notice-acked"))
    _refresh_status(session, board, notice, replies)


@router.command("notices", private_only=True)
def my_notices(session: Session, person: Person, replies: Replies, clock: Clock, lang: str) -> None:
    board = NoticeBoard(session, clock)
    notices = board.recent_for(person)
    private = person.id is not None and wants_private(session, person.id)
    label = t("notice-btn-private-off" if private else "notice-btn-private-on")
    toggle = [[Button(label, PrivateDelivery().pack())]]
    if not notices:
        replies.reply(t("notice-none"), toggle)
        return
    lines = []
    for notice in notices:
        text = notice.text if len(notice.text) <= PREVIEW_CHARS else notice.text[:PREVIEW_CHARS]
        lines.append(
            replies.render(
                t(
                    "notice-line",
                    when=notice.sent_at or notice.created_at,
                    place=place_name(session, _place(notice), lang),
                    text=text,
                )
            )
        )
    replies.reply(t("notice-list", lines="\n".join(lines)), toggle)


@router.callback(PrivateDelivery)
def private_delivery(session: Session, person: Person, replies: Replies, clock: Clock) -> None:
    if person.id is None or person.building_id is None:
        replies.answer(t("notice-need-home"), alert=True)
        return
    board = NoticeBoard(session, clock)
    private = not wants_private(session, person.id)
    board.set_private(person, private)
    replies.answer(t("notice-private-on" if private else "notice-private-off"), alert=True)


# --- the clock ---------------------------------------------------------------------------------


def send_due(jobs: Jobs) -> list[Effect]:
    """Publish scheduled notices whose time has come, each in its own transaction."""
    with open_session(jobs.engine) as session:
        ids = [n.id for n in NoticeBoard(session, jobs.clock).due()]
    for notice_id in ids:
        with open_session(jobs.engine) as session:
            replies = Replies(None, jobs.texts)
            keep_on_commit(session, replies, jobs.clock)
            board = NoticeBoard(session, jobs.clock)
            notice = session.exec(
                select(Notice).where(Notice.id == notice_id).with_for_update()
            ).one()
            if notice.state != "scheduled":  # another run took it
                continue
            publish(session, board, notice, replies)
            session.commit()
    return []
