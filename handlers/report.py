"""Residents' reports: any text in private; in a bound group, a message addressed to the bot,
/report or #报事 — so it works with Telegram's group privacy mode left on."""

from __future__ import annotations

import logging
import re

from sqlmodel import Session

from handlers.dispatch import Router
from handlers.events import Message, t
from handlers.replies import Replies
from handlers.reporting import MAX_REPORT_CHARS, Filing
from handlers.start import ask_community
from storage.models import Building, ChatBinding, Person, ScopeKind

log = logging.getLogger(__name__)
router = Router("report")

HASHTAGS = ("#报事", "#report")
_MENTION = re.compile(r"@\w+bot\b", re.IGNORECASE)


def _tagged(text: str) -> str | None:
    """The text after a leading report hashtag, or None when there is none."""
    stripped = text.lstrip()
    for tag in HASHTAGS:
        if stripped.lower().startswith(tag.lower()):
            return stripped[len(tag) :].strip()
    return None


@router.command("report")
def report_command(
    event: Message,
    session: Session,
    person: Person,
    binding: ChatBinding | None,
    replies: Replies,
    filing: Filing,
    lang: str,
) -> None:
    _take(event.args, event, session, person, binding, replies, filing, lang)


@router.message()
def report_message(
    event: Message,
    session: Session,
    person: Person,
    binding: ChatBinding | None,
    replies: Replies,
    filing: Filing,
    lang: str,
) -> bool | None:
    text = event.text
    if not event.chat.private:
        tagged = _tagged(text)
        if tagged is None and not event.addressed:
            return False  # ordinary group chatter: not for us
        text = tagged if tagged is not None else _MENTION.sub("", text).strip()
    _take(text, event, session, person, binding, replies, filing, lang)
    return None


def _take(
    text: str,
    event: Message,
    session: Session,
    person: Person,
    binding: ChatBinding | None,
    replies: Replies,
    filing: Filing,
    lang: str,
) -> None:
    text = text.strip()
    if not event.chat.private and binding is None:
        replies.reply(t("report-group-unbound"))
        return
    if (event.media or event.photo) and not text:
        replies.reply(t("report-media-without-text"))
        return
    if not text:
        replies.reply(t("report-empty"))
        return
    if len(text) > MAX_REPORT_CHARS:
        filing.keep(event, person, text, status="too_long")
        replies.reply(t("report-too-long", limit=MAX_REPORT_CHARS, length=len(text)))
        return
    building = _where(session, person, binding)
    if building is None:
        filing.keep(event, person, text, status="pending")
        if event.chat.private:
            ask_community(session, replies, lang, t("report-pending-register"))
        else:
            replies.reply(t("report-pending-group"))
        return
    report = filing.keep(event, person, text)
    try:
        filing.file(report, person, building)
    except Exception:
        # The report is committed; the retry job files it later. Tell the resident so.
        log.exception("filing report %s failed; kept for retry", report.id)
        session.rollback()
        replies.effects.clear()
        replies.reply(t("report-kept-retry"))


def _where(session: Session, person: Person, binding: ChatBinding | None) -> Building | None:
    """The resident's building; in a group bound to one building, that building."""
    if person.building_id is not None:
        return session.get(Building, person.building_id)
    if binding is not None and binding.scope_kind == ScopeKind.BUILDING:
        return session.get(Building, binding.scope_id)
    return None
