"""Public posting 公示 in chat: staff preview, edit, hold or send each compound group's weekly
post with /publish; the weekly job sends every post not held, once.

    /publish                 the groups of your places, with each post's state
    /publish preview N       the post of group N as it will read
    /publish edit N          replace its text (the bot asks for it)
    /publish hold N          keep it from going out this week; /publish release N undoes it
    /publish send N          send it now
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from domain.access import Do
from domain.clock import Clock
from domain.figures import communities_seen
from domain.publishing import PostLine, Posts, WeekPost, compound_groups, week_post
from handlers import arguments
from handlers.asking import ask
from handlers.dispatch import Router
from handlers.events import Effect, Message, Send, T, t
from handlers.i18n import DEFAULT_LANGUAGE
from handlers.jobs import Jobs
from handlers.outgoing import keep_on_commit
from handlers.replies import Replies
from handlers.views import category
from storage.db import session as open_session
from storage.models import ChatBinding, Compound, Conversation, Person, RoleGrant
from storage.models_figures import PublicPost

router = Router("publishing")
ASK_TEXT = "publish-text"
LINES = 5  # the default; the weekly job is told the configured number


def _line(line: PostLine, done: bool) -> T:
    what: T | str = line.kind or category(line.category)
    if done:
        return t("post-resolved-line", what=what, building=line.building, text=line.text)
    return t("post-open-line", what=what, building=line.building, days=t("n-days", count=line.days))


def post_text(post: WeekPost, replies: Replies, lang: str = DEFAULT_LANGUAGE) -> str:
    """The generated post: resolved this week, then what is open, oldest first."""

    def block(lines: list[T], more: int, none_key: str) -> str:
        if not lines:
            return replies.render(t(none_key), lang)
        text = "\n".join(replies.render(line, lang) for line in lines)
        if more:
            text += "\n" + replies.render(t("post-more", count=more), lang)
        return text

    return replies.render(
        t(
            "post-body",
            compound=post.compound,
            week=post.week,
            resolved=block(
                [_line(line, True) for line in post.resolved],
                post.resolved_total - len(post.resolved),
                "post-none-resolved",
            ),
            open=block(
                [_line(line, False) for line in post.open],
                post.open_total - len(post.open),
                "post-none-open",
            ),
            resolved_count=t("n-problems", count=post.resolved_total),
            open_count=t("n-problems", count=post.open_total),
        ),
        lang,
    )


def _groups(session: Session, grants: list[RoleGrant]) -> list[tuple[ChatBinding, Compound]]:
    return compound_groups(session, [c.id or 0 for c in communities_seen(session, grants)])


def _text_of(
    session: Session,
    replies: Replies,
    post: PublicPost,
    compound: Compound,
    jobs_now: Clock,
    tz: ZoneInfo,
    lines: int = LINES,
) -> str:
    if post.text:
        return post.text
    return post_text(week_post(session, compound, jobs_now.now(), tz, lines), replies)


@router.command("publish", private_only=True, may=Do.FIGURES)
def publish(
    event: Message,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    clock: Clock,
    tz: ZoneInfo,
) -> None:
    groups = _groups(session, grants)
    words = event.args.split()
    posts = Posts(session, clock, tz)
    if not words:
        if not groups:
            replies.reply(t("publish-no-groups"))
            return
        lines = [
            t(
                "publish-group-line",
                index=index,
                title=binding.title or str(binding.chat_id),
                compound=compound.name,
                state=t(f"publish-state-{_state(posts.of(binding.chat_id))}"),
            )
            for index, (binding, compound) in enumerate(groups, start=1)
        ]
        listing = "\n".join(replies.render(line) for line in lines)
        replies.reply(t("publish-list", lines=listing))
        return
    verb = words[0]
    if verb not in ("preview", "edit", "hold", "release", "send") or len(words) != 2:
        replies.reply(t("publish-usage"))
        return
    index = arguments.integer(words[1], 1, len(groups))
    if index is None:
        replies.reply(t("publish-no-such-group", count=len(groups)))
        return
    binding, compound = groups[index - 1]
    post = posts.of(binding.chat_id)
    if verb == "preview":
        text = _text_of(session, replies, post, compound, clock, tz)
        replies.reply(t("publish-preview", state=t(f"publish-state-{_state(post)}"), text=text))
    elif verb == "edit":
        if post.state == "sent":
            replies.reply(t("publish-already-sent"))
            return
        ask(
            session,
            event.sender.id,
            ASK_TEXT,
            {"chat_id": binding.chat_id, "week": post.week},
            clock.now() + timedelta(minutes=30),
        )
        replies.reply(t("publish-ask-text", compound=compound.name))
    elif verb in ("hold", "release"):
        if post.state == "sent":
            replies.reply(t("publish-already-sent"))
            return
        posts.hold(post, verb == "hold")
        replies.reply(t(f"publish-{verb}-done", compound=compound.name))
    else:
        if post.state == "sent":
            replies.reply(t("publish-already-sent"))
            return
        text = _text_of(session, replies, post, compound, clock, tz)
        replies.send(binding.chat_id, DEFAULT_LANGUAGE, text)
        posts.mark_sent(post)
        replies.reply(t("publish-sent", compound=compound.name))


def _state(post: PublicPost) -> str:
    if post.state == "draft" and post.text:
        return "edited"
    return post.state


@router.awaiting(ASK_TEXT)
def publish_text(
    event: Message,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    pending: Conversation,
    replies: Replies,
    clock: Clock,
    tz: ZoneInfo,
) -> None:
    data = pending.data or {}
    text = event.text.strip()
    if not text:
        replies.reply(t("publish-ask-text-again"))
        return
    session.delete(pending)
    groups = {binding.chat_id: compound for binding, compound in _groups(session, grants)}
    chat_id = data.get("chat_id")
    if chat_id not in groups:  # roles may have changed meanwhile
        replies.reply(t("error-no-role"))
        return
    posts = Posts(session, clock, tz)
    post = posts.of(int(chat_id), str(data.get("week")))
    if post.state == "sent":
        replies.reply(t("publish-already-sent"))
        return
    posts.edit(post, text[:3500], person)
    replies.reply(t("publish-edited", compound=groups[int(chat_id)].name))


def send_week(jobs: Jobs, lines: int = LINES) -> list[Effect]:
    """The weekly job: every compound group's post that is not held and not yet sent."""
    with open_session(jobs.engine) as session:
        groups = [(b.chat_id, c.id) for b, c in compound_groups(session, None)]
    for chat_id, compound_id in groups:
        with open_session(jobs.engine) as session:
            replies = Replies(None, jobs.texts)
            keep_on_commit(session, replies, jobs.clock)
            posts = Posts(session, jobs.clock, jobs.tz)
            post = posts.of(chat_id)
            if post.state in ("held", "sent"):
                session.commit()
                continue
            compound = session.get_one(Compound, compound_id)
            text = _text_of(session, replies, post, compound, jobs.clock, jobs.tz, lines)
            replies.effects.append(Send(chat_id, text, bulk=True))
            posts.mark_sent(post)
            session.commit()
    return []
