"""Deliberation in chat: proposing, the steward's card with its buttons, announcements, comments,
meetings, the vote, carrying out, reporting back and residents' evaluation.

The buttons' data are the families below (handlers.callbacks): a steward's button on the card
(StewardButton and the menus' PickScope, MeetingKind, TaskProgress), opening a card
(ViewTopic), commenting (CommentOn), voting (Vote, with a secret ballot's receipt) and rating
how the outcome was carried out (Evaluate). Who may do what is domain.access's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import partial
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from domain import tally
from domain.access import Access, Do, Rescope, Who
from domain.access import who as access_who
from domain.clock import Clock, aware
from domain.deliberation import (
    ANNOUNCE_DAYS,
    MEETING_KINDS,
    PARTY_KINDS,
    RATINGS,
    VOTE_DAYS,
    Act,
    Deliberation,
    Role,
    State,
)
from domain.lifecycle import Refused
from domain.notices import Place
from handlers import arguments
from handlers.asking import Cancel, ask
from handlers.callbacks import Between, Callback, OneOf, Ref, Token, Version, rows
from handlers.dispatch import Router
from handlers.events import Button, Message, Press, T, t
from handlers.i18n import DEFAULT_LANGUAGE, Texts
from handlers.replies import Replies, refusal
from nlp import mask_pii
from storage import org
from storage.models import (
    Building,
    Community,
    Compound,
    Conversation,
    Person,
    RoleGrant,
    ScopeKind,
    Ticket,
)
from storage.models_deliberation import Meeting, Topic, TopicTask

router = Router("deliberation")

TopicId = Annotated[int, Ref(Topic)]
StewardVerb = Literal[
    "acc", "dec", "mrg", "sm", "su", "sh", "ru", "bu", "se", "ad", "vd", "op", "pt", "qu", "ps",
    "fx", "ufx", "an", "rl", "rm", "mt", "ov", "cv", "tk", "rb", "cl",
]  # fmt: skip


@dataclass(frozen=True)
class StewardButton(Callback, prefix="dl"):
    """A steward's button on the topic card."""

    verb: StewardVerb
    topic: TopicId
    version: Version


@dataclass(frozen=True)
class PickScope(Callback, prefix="dl:sc"):
    """The place a topic is about: a building, a compound or the community."""

    topic: TopicId
    version: Version
    kind: Literal["building", "compound", "community"]
    place: Annotated[int, Between(1, 2**31 - 1)]


@dataclass(frozen=True)
class MeetingKind(Callback, prefix="dl:mk"):
    """Which kind of meeting to schedule."""

    topic: TopicId
    version: Version
    kind: Annotated[str, OneOf(MEETING_KINDS)]


@dataclass(frozen=True)
class TaskProgress(Callback, prefix="dl:pg"):
    """Report progress on one of the topic's tasks."""

    topic: TopicId
    version: Version
    task: Annotated[int, Ref(TopicTask)]


@dataclass(frozen=True)
class ViewTopic(Callback, prefix="dv"):
    """Open a topic's card."""

    topic: TopicId


@dataclass(frozen=True)
class CommentOn(Callback, prefix="dc"):
    """Comment on a topic under discussion."""

    topic: TopicId


@dataclass(frozen=True)
class Vote(Callback, prefix="vt"):
    """A choice on the ballot; `receipt`: a secret ballot's token, to change the vote."""

    topic: TopicId
    version: Version
    choice: Annotated[int, Between(0, 7)]
    receipt: Annotated[str | None, Token(32)] = None


@dataclass(frozen=True)
class Evaluate(Callback, prefix="ev"):
    """Rate how the outcome was carried out."""

    topic: TopicId
    rating: Annotated[str, OneOf(RATINGS)]


ASK_TIMEOUT = timedelta(hours=2)
TEXT_LIMIT = 2000
RULES = [r.value for r in tally.Rule]
SHARES = ("1/2", "2/3", "3/4")  # for the "quorum" rule: of the roll taking part, of votes to pass
Page = Callable[[str], str]  # a text rendered in one language

# --- reading a topic ---------------------------------------------------------------------------


def _decimal(value: Fraction | Decimal | str, places: str = "0.01") -> str:
    number = Fraction(value) if not isinstance(value, Fraction) else value
    exact = Decimal(number.numerator) / Decimal(number.denominator)
    return str(exact.quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _percent(value: Fraction, base: Fraction) -> str:
    if base <= 0:
        return "—"
    return _decimal(value / base * 100, "0.1") + "%"


class View:
    """How a topic reads on a phone, in a given language."""

    def __init__(self, desk: Deliberation, texts: Texts):
        self.desk = desk
        self.texts = texts
        self.session = desk.session

    def get(self, lang: str, key: str, **params: Any) -> str:
        return self.texts.get(lang, key, **params)

    def page(self, key: str, **params: Any) -> Page:
        """A text for any reader; parameters that are callables get the reader's language."""

        def render(lang: str) -> str:
            values = {k: v(lang) if callable(v) else v for k, v in params.items()}
            return self.texts.get(lang, key, **values)

        return render

    def choice(self, topic: Topic, lang: str, choice: str) -> str:
        return choice if topic.options else self.get(lang, f"dl-choice-{choice}")

    def scope(self, topic: Topic, lang: str) -> str:
        if topic.scope_kind in ("building", "unit", "households"):
            building, compound, _ = org.place_of_building(self.session, topic.scope_id)
            place = f"{_name(compound, lang)} {_name(building, lang)}"
        elif topic.scope_kind == "compound":
            place = _name(self.session.get_one(Compound, topic.scope_id), lang)
        else:
            place = _name(self.session.get_one(Community, topic.scope_id), lang)
        detail = "、".join(topic.scope_detail)
        return self.get(
            lang,
            f"dl-scope-{topic.scope_kind}",
            place=place,
            detail=detail,
            count=len(topic.scope_detail),
        )

    def ballot(self, topic: Topic, lang: str) -> str:
        unit = self.get(lang, "dl-ballot-household" if topic.by_household else "dl-ballot-person")
        kind = self.get(lang, "dl-ballot-secret" if topic.secret else "dl-ballot-open")
        options = " / ".join(self.choice(topic, lang, c) for c in self.desk.choices(topic))
        return self.get(lang, "dl-ballot", unit=unit, kind=kind, options=options)

    def rule(self, topic: Topic, lang: str) -> str:
        return self.get(lang, f"dl-rule-{topic.rule}", quorum=topic.quorum, share=topic.share)

    def parties(self, topic: Topic, lang: str) -> str:
        if not topic.parties:
            return self.get(lang, "dl-parties-none")
        return "；".join(
            f"{self.get(lang, f'dl-party-{kind}')}：{name}"
            for kind, name in topic.parties.items()
            if kind in PARTY_KINDS
        )

    def roll(self, topic: Topic, lang: str) -> str:
        electors = self.desk.roll(topic)
        if not electors:
            return self.get(lang, "dl-roll-none")
        area = sum((e.area or Decimal(0) for e in electors), Decimal(0))
        key = "dl-roll-households" if topic.by_household else "dl-roll-people"
        return self.get(lang, key, count=len(electors), area=_decimal(area))

    def timing(self, topic: Topic, lang: str) -> str:
        if topic.vote_opens_at and topic.vote_closes_at:
            return self.get(
                lang,
                "dl-timing-set",
                opens=aware(topic.vote_opens_at),
                closes=aware(topic.vote_closes_at),
            )
        return self.get(lang, "dl-timing-days", announce=topic.announce_days, vote=topic.vote_days)

    def card(self, topic: Topic, lang: str) -> str:
        """The topic as its steward works it: where it is, how it will be decided."""
        proposer = self.session.get(Person, topic.proposer_id)
        lines = [
            self.get(
                lang,
                "dl-card",
                number=topic.number,
                title=topic.title,
                state=self.get(lang, f"dl-state-{topic.state}"),
                proposer=proposer.name if proposer else "-",
                text=topic.text,
                scope=self.scope(topic, lang),
                rule=self.rule(topic, lang),
                ballot=self.ballot(topic, lang),
                timing=self.timing(topic, lang),
                parties=self.parties(topic, lang),
                roll=self.roll(topic, lang),
            )
        ]
        if topic.source_tickets:
            lines.append(self.get(lang, "dl-card-tickets", tickets=", ".join(topic.source_tickets)))
        if topic.state in (State.VOTING,):
            voted = len({p for p in self.desk._voted_electors(topic)})
            lines.append(
                self.get(lang, "dl-card-turnout", voted=voted, roll=len(self.desk.roll(topic)))
            )
        for meeting in self.desk.meetings(topic):
            lines.append(self.meeting(meeting, lang))
        comments = self.desk.comments(topic)
        if comments:
            lines.append(self.get(lang, "dl-card-comments", count=len(comments)))
        if topic.result:
            lines.append(self.result(topic, lang))
        for task in self.desk.tasks(topic):
            lines.append(self.task(task, lang))
        if topic.outcome:
            lines.append(self.get(lang, "dl-card-outcome", outcome=topic.outcome))
        evaluations = self.desk.evaluations(topic)
        if evaluations:
            lines.append(self.ratings(topic, lang))
        return "\n".join(lines)

    def meeting(self, meeting: Meeting, lang: str) -> str:
        return self.get(
            lang,
            "dl-meeting-line",
            kind=self.get(lang, f"dl-meeting-{meeting.kind}"),
            when=aware(meeting.starts_at),
            place=meeting.place,
        )

    def task(self, task: TopicTask, lang: str) -> str:
        return self.get(
            lang,
            "dl-task-line",
            title=task.title,
            party=task.party,
            due=aware(task.due),
            progress=task.progress,
            bar=_bar(task.progress),
            note=task.note or "-",
        )

    def ratings(self, topic: Topic, lang: str) -> str:
        counts = {r: 0 for r in RATINGS}
        for row in self.desk.evaluations(topic):
            counts[row.rating] += 1
        return self.get(lang, "dl-ratings", **counts)

    def result(self, topic: Topic, lang: str) -> str:
        """Both tallies, heads and area, each against its threshold, and plainly why."""
        result = topic.result
        lines = [self.get(lang, "dl-result-head", number=topic.number, title=topic.title)]
        lines.append(self.get(lang, "dl-result-rule", rule=self.rule(topic, lang)))
        by_area = tally.Rule(result["rule"]).by_area
        for choice, (heads, area) in result["choices"].items():
            key = "dl-result-choice-area" if by_area else "dl-result-choice"
            lines.append(
                self.get(
                    lang,
                    key,
                    choice=self.choice(topic, lang, choice),
                    heads=heads,
                    area=_decimal(area),
                )
            )
        chosen = result.get("choice")
        label = self.choice(topic, lang, chosen) if chosen else self.get(lang, "dl-choice-none")
        for check in result["checks"]:
            value, base = Fraction(check["value"]), Fraction(check["base"])
            area = check["name"].endswith("area")
            lines.append(
                self.get(
                    lang,
                    f"dl-check-{check['name']}",
                    choice=label,
                    value=_decimal(value) if area else int(value),
                    base=_decimal(base) if area else int(base),
                    percent=_percent(value, base),
                    op=self.get(lang, "dl-op-more" if check["strict"] else "dl-op-least"),
                    threshold=check["threshold"],
                    mark="✅" if check["met"] else "❌",
                )
            )
        if result["offline"]:
            lines.append(self.get(lang, "dl-result-offline", count=result["offline"]))
        if result["not_counted"]:
            lines.append(self.get(lang, "dl-result-not-counted", count=result["not_counted"]))
        lines.append(
            self.get(
                lang,
                f"dl-reason-{result['reason']}",
                choice=label,
                count=result["missing_area"],
            )
        )
        return "\n".join(lines)

    def record(self, topic: Topic, lang: str) -> str:
        """The full record: the card, then every step of its history."""
        lines = [self.card(topic, lang), self.get(lang, "dl-history")]
        for event in self.desk.history(topic):
            actor = self.session.get(Person, event.actor_id) if event.actor_id else None
            lines.append(
                self.get(
                    lang,
                    "dl-history-line",
                    when=aware(event.at),
                    who=actor.name if actor else self.get(lang, "dl-system"),
                    what=self.get(lang, f"dl-act-{event.action}"),
                    note=f"：{event.note}" if event.note else "",
                )
            )
        comments = self.desk.comments(topic)
        if comments:
            lines.append(self.get(lang, "dl-comments"))
            for comment in comments:
                author = self.session.get(Person, comment.person_id)
                lines.append(f"• {author.name if author else '-'}：{comment.text}")
        evaluations = [e for e in self.desk.evaluations(topic) if e.comment]
        for row in evaluations:
            author = self.session.get(Person, row.person_id)
            rating = self.get(lang, f"dl-rating-{row.rating}")
            lines.append(f"• {author.name if author else '-'}（{rating}）：{row.comment}")
        return "\n".join(lines)

    def line(self, topic: Topic, lang: str) -> str:
        return self.get(
            lang,
            "dl-line",
            number=topic.number,
            title=topic.title,
            state=self.get(lang, f"dl-state-{topic.state}"),
        )


def _name(place: Building | Compound | Community, lang: str) -> str:
    return place.name_en if lang == "en" and place.name_en else place.name


def _bar(percent: int) -> str:
    filled = max(0, min(10, percent // 10))
    return "▓" * filled + "░" * (10 - filled)


def _id(topic: Topic) -> int:
    assert topic.id is not None
    return topic.id


def view_button(topic: Topic, label: T | str | None = None) -> Button:
    return Button(label or t("dl-btn-view"), ViewTopic(_id(topic)).pack())


def comment_button_for(topic: Topic) -> list[list[Button]]:
    return [[Button(t("dl-btn-comment"), CommentOn(_id(topic)).pack())]]


# --- who hears what ----------------------------------------------------------------------------


class Board:
    """Sends a topic's news to the people and group chats concerned, each in their language."""

    def __init__(self, desk: Deliberation, replies: Replies):
        self.desk = desk
        self.replies = replies
        self.view = View(desk, replies.texts)

    def tell(
        self,
        person: Person,
        page: Page,
        buttons: Iterable[Iterable[Button]] = (),
        *,
        photo: str | None = None,
        raw: bool = False,
    ) -> None:
        """Write to one person; private numbers are masked unless `raw` (for stewards)."""
        text = page(self.replies.language_of(person))
        self.replies.to(person, text if raw else mask_pii(text), buttons, photo=photo)

    def tell_all(
        self,
        people: Iterable[Person],
        page: Page,
        buttons: Callable[[Person], Iterable[Iterable[Button]]] | None = None,
        *,
        skip: Person | None = None,
        photo: str | None = None,
        raw: bool = False,
    ) -> None:
        for person in people:
            if skip is not None and person.id == skip.id:
                continue
            self.tell(person, page, buttons(person) if buttons else (), photo=photo, raw=raw)

    def groups(self, topic: Topic, page: Page, *, photo: str | None = None) -> None:
        """To every group chat in scope (masked by Replies: a group is never private)."""
        for chat in self.desk.chats_in_scope(topic):
            self.replies.send(chat.chat_id, DEFAULT_LANGUAGE, page(DEFAULT_LANGUAGE), photo=photo)

    def stewards(self, topic: Topic) -> list[Person]:
        """Who works the topic: the community's staff, and a building topic's leaders."""
        people = org.holders(
            self.desk.session, "community_staff", ScopeKind.COMMUNITY, topic.community_id
        )
        if topic.scope_kind in ("building", "unit", "households"):
            people += org.holders(
                self.desk.session, "building_leader", ScopeKind.BUILDING, topic.scope_id
            )
        seen: dict[int | None, Person] = {}
        for person in people:
            seen.setdefault(person.id, person)
        return list(seen.values())

    def ballot(self, topic: Topic, header: str = "dl-ballot-open-now") -> Callable[[str], str]:
        view = self.view

        def page(lang: str) -> str:
            return view.get(
                lang,
                header,
                number=topic.number,
                title=topic.title,
                ballot=view.ballot(topic, lang),
                rule=view.rule(topic, lang),
                closes=aware(topic.vote_closes_at) if topic.vote_closes_at else "-",
            )

        return page

    def open_vote(self, topic: Topic) -> None:
        """Voting opens: every eligible person gets a ballot; the groups hear how to vote."""
        self.ping_stewards(topic, "dl-steward-vote-open")
        self.tell_all(
            self.desk.eligible_people(topic),
            self.ballot(topic),
            lambda _p: vote_buttons(self.desk, topic),
        )
        self.groups(
            topic,
            lambda lang: self.view.get(
                lang,
                "dl-group-vote-open",
                number=topic.number,
                title=topic.title,
                closes=aware(topic.vote_closes_at) if topic.vote_closes_at else "-",
            ),
        )

    def ping_stewards(self, topic: Topic, header: str) -> None:
        """The stewards get the card with the buttons for the topic's new step."""
        session = self.desk.session
        for steward in self.stewards(topic):
            self.tell(
                steward,
                self.view.page(
                    "dl-ping-steward",
                    header=lambda lang: self.view.get(lang, header, number=topic.number),
                    card=lambda lang: self.view.card(topic, lang),
                ),
                card_buttons(self.desk, topic, steward, org.roles_of(session, steward.id or 0)),
                raw=True,
            )

    def remind(self, topic: Topic, people: Sequence[Person]) -> None:
        self.tell_all(
            people,
            self.ballot(topic, "dl-ballot-reminder"),
            lambda _p: vote_buttons(self.desk, topic),
        )

    def result(self, topic: Topic) -> None:
        """The result, to the groups, the roll, the proposer and the stewards."""

        def page(lang: str) -> str:
            return self.view.result(topic, lang)

        self.groups(topic, page)
        people = {p.id: p for p in [*self.desk.participants(topic), *self.stewards(topic)]}
        self.tell_all(people.values(), page, lambda _p: [[view_button(topic)]])

    def meeting_reminder(self, topic: Topic, meeting: Meeting) -> None:
        page = self.view.page(
            "dl-meeting-reminder",
            number=topic.number,
            title=topic.title,
            meeting=lambda lang: self.view.meeting(meeting, lang),
        )
        self.groups(topic, page)
        self.tell_all(self.desk.eligible_people(topic), page)

    def closed(self, topic: Topic) -> None:
        page = self.view.page(
            "dl-told-closed",
            number=topic.number,
            title=topic.title,
            ratings=lambda lang: self.view.ratings(topic, lang),
        )
        self.groups(topic, page)
        self.tell_all(self.desk.participants(topic), page)


def vote_buttons(desk: Deliberation, topic: Topic, token_: str | None = None) -> list[list[Button]]:
    """One button per choice; a secret ballot's receipt token rides along to allow a change."""
    buttons = [
        Button(
            choice if topic.options else t(f"dl-choice-{choice}"),
            Vote(_id(topic), topic.version, i, token_).pack(),
        )
        for i, choice in enumerate(desk.choices(topic))
    ]
    return rows(buttons, 3)


def rating_buttons(topic: Topic) -> list[list[Button]]:
    return [[Button(t(f"dl-rating-{r}"), Evaluate(_id(topic), r).pack()) for r in RATINGS]]


# --- the steward's card ------------------------------------------------------------------------


def card_buttons(
    desk: Deliberation, topic: Topic, person: Person, grants: list[RoleGrant]
) -> list[list[Button]]:
    """What this person may do with the topic now."""
    roles = desk.roles(topic, person, grants)
    keyboard: list[list[Button]] = []
    state = topic.state
    if Role.STEWARD in roles:

        def b(key: str, verb: StewardVerb, **params: Any) -> Button:
            return Button(t(key, **params), StewardButton(verb, _id(topic), topic.version).pack())

        if state == State.PROPOSED:
            keyboard += rows(
                [b("dl-btn-accept", "acc"), b("dl-btn-decline", "dec"), b("dl-btn-merge", "mrg")], 3
            )
        elif state == State.ACCEPTED:
            keyboard += rows(
                [
                    b("dl-btn-scope", "sm"),
                    b("dl-btn-rule", "ru", rule=t(f"dl-rule-short-{topic.rule}")),
                    b(
                        "dl-btn-unit",
                        "bu",
                        unit=t("dl-ballot-household" if topic.by_household else "dl-ballot-person"),
                    ),
                    b(
                        "dl-btn-secret",
                        "se",
                        kind=t("dl-ballot-secret" if topic.secret else "dl-ballot-open"),
                    ),
                    b("dl-btn-announce-days", "ad", days=topic.announce_days),
                    b("dl-btn-vote-days", "vd", days=topic.vote_days),
                    b("dl-btn-options", "op"),
                    b("dl-btn-parties", "pt"),
                    *(
                        [
                            b("dl-btn-quorum", "qu", value=topic.quorum),
                            b("dl-btn-share", "ps", value=topic.share),
                        ]
                        if topic.rule == tally.Rule.QUORUM
                        else []
                    ),
                ]
            )
            keyboard += [[b("dl-btn-fix-roll", "fx")], [b("dl-btn-merge", "mrg")]]
        elif state == State.PARTICIPANTS:
            keyboard += rows(
                [
                    b("dl-btn-announce", "an"),
                    b("dl-btn-roll", "rl"),
                    b("dl-btn-edit", "ufx"),
                    b("dl-btn-remove", "rm"),
                ]
            )
        elif state == State.ANNOUNCED:
            keyboard += rows(
                [b("dl-btn-meeting", "mt"), b("dl-btn-roll", "rl"), b("dl-btn-remove", "rm")]
            )
        elif state == State.VOTING:
            keyboard += rows(
                [
                    b("dl-btn-offline", "ov"),
                    b("dl-btn-meeting", "mt"),
                    b("dl-btn-roll", "rl"),
                    b("dl-btn-remove", "rm"),
                    b("dl-btn-close-vote", "cv"),
                ]
            )
        elif state == State.CARRYING_OUT:
            keyboard.append([b("dl-btn-task", "tk")])
            for task in desk.tasks(topic):
                keyboard.append(
                    [
                        Button(
                            t("dl-btn-progress", title=task.title[:20], progress=task.progress),
                            TaskProgress(_id(topic), topic.version, task.id or 0).pack(),
                        )
                    ]
                )
            keyboard.append([b("dl-btn-report", "rb")])
        elif state == State.REPORTED:
            keyboard.append([b("dl-btn-close", "cl")])
    if state in (State.ANNOUNCED, State.VOTING) and roles & {Role.ELECTOR, Role.STEWARD}:
        keyboard += comment_button_for(topic)
    if state == State.VOTING and Role.ELECTOR in roles:
        keyboard += vote_buttons(desk, topic)
    if state == State.REPORTED and roles & {Role.ELECTOR, Role.PROPOSER}:
        keyboard += rating_buttons(topic)
    return keyboard


def show(
    replies: Replies,
    desk: Deliberation,
    topic: Topic,
    person: Person,
    grants: list[RoleGrant],
    *,
    edit: bool,
) -> None:
    view = View(desk, replies.texts)
    body = view.card(topic, replies.lang)
    if not desk.is_steward(topic, grants):  # residents' words, others' numbers: masked
        body = mask_pii(body)
    (replies.edit if edit else replies.reply)(body, card_buttons(desk, topic, person, grants))


def _ask(session: Session, who: int, kind: str, topic: Topic, clock: Clock, **extra: Any) -> None:
    data = {"topic": topic.id, "version": topic.version, **extra}
    ask(session, who, kind, data, clock.now() + ASK_TIMEOUT)


def _cancel_row() -> list[list[Button]]:
    return [[Button(t("btn-cancel"), Cancel().pack())]]


# --- step 1: proposing -------------------------------------------------------------------------


@router.command("propose")
def propose(
    event: Message,
    session: Session,
    person: Person,
    replies: Replies,
    clock: Clock,
    binding: Any,
) -> None:
    text = event.args.strip()
    if not text:
        if event.chat.private:
            _ask_plain(session, event.sender.id, "dl-propose", clock)
            replies.reply(t("dl-ask-propose"), _cancel_row())
        else:
            replies.reply(t("dl-usage-propose"))
        return
    _file_proposal(text, session, person, replies, clock, binding)


def _answered_topic(session: Session, pending: Conversation) -> Topic | None:
    """The topic a typed answer is about; the question is answered either way."""
    session.delete(pending)
    return session.get(Topic, int(pending.data.get("topic", 0)))


def _ask_plain(session: Session, who: int, kind: str, clock: Clock) -> None:
    ask(session, who, kind, {}, clock.now() + ASK_TIMEOUT)


@router.awaiting("dl-propose")
def proposal_text(
    event: Message,
    session: Session,
    person: Person,
    pending: Conversation,
    replies: Replies,
    clock: Clock,
) -> None:
    text = event.text.strip()
    if not text:
        replies.reply(t("dl-ask-need-text"))
        return
    session.delete(pending)
    _file_proposal(text, session, person, replies, clock, None)


def _file_proposal(
    text: str, session: Session, person: Person, replies: Replies, clock: Clock, binding: Any
) -> None:
    if len(text) > TEXT_LIMIT:
        replies.reply(t("dl-too-long", limit=TEXT_LIMIT))
        return
    desk = Deliberation(session, clock)
    community_id = None
    if binding is not None:
        community_id = org.community_of_scope(session, binding.scope_kind, binding.scope_id)
    try:
        topic = desk.propose(person, text, community_id=community_id)
    except Refused as refused:
        replies.reply(refusal(refused))
        return
    replies.reply(t("dl-proposed", number=topic.number, title=topic.title))
    board = Board(desk, replies)
    view = board.view
    for steward in board.stewards(topic):
        board.tell(
            steward,
            lambda lg: view.get(lg, "dl-ping-proposed", card=view.card(topic, lg)),
            card_buttons(desk, topic, steward, org.roles_of(session, steward.id or 0)),
            raw=True,
        )


@router.command("fromtickets", private_only=True)
def from_tickets(
    event: Message,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    who: Who,
    access: Access,
    replies: Replies,
    clock: Clock,
) -> None:
    """/fromtickets TD-261125-001 TD-261125-004 … title (staff, of their own tickets)."""
    numbers, title = arguments.numbers(event.args)
    if not numbers:
        replies.reply(t("dl-usage-fromtickets"))
        return
    for number in numbers:
        ticket = session.exec(select(Ticket).where(Ticket.number == number)).first()
        if ticket is not None and not access.can(who, Do.TRIAGE, ticket):
            raise Refused("dl-refused-role")
    desk = Deliberation(session, clock)
    try:
        topic, followers = desk.from_tickets(person, grants, numbers, title)
    except Refused as refused:
        replies.reply(refusal(refused))
        return
    board = Board(desk, replies)
    board.tell_all(
        followers,
        lambda lang: board.view.get(
            lang, "dl-told-from-tickets", number=topic.number, title=topic.title
        ),
    )
    show(replies, desk, topic, person, grants, edit=False)


# --- viewing ------------------------------------------------------------------------------------


@router.command("topic")
def topic_command(
    event: Message,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    who: Who,
    access: Access,
    replies: Replies,
    clock: Clock,
) -> None:
    """/topic TD-YS001: the full record, in private, with the buttons one may use."""
    if not event.args.strip():
        replies.reply(t("dl-usage-topic"))
        return
    if not event.chat.private:  # the record names people: never into a group
        replies.reply(t("dl-topic-in-private"))
        return
    number = arguments.number(event.args)
    desk = Deliberation(session, clock)
    topic = desk.by_number(number) if number else None
    if topic is None or not access.can(who, Do.SEE, topic):
        replies.reply(t("dl-not-found", number=number or arguments.plain(event.args)[:40]))
        return
    view = View(desk, replies.texts)
    record = view.record(topic, replies.lang)
    steward = desk.is_steward(topic, grants)  # residents' words, others' numbers: masked
    replies.reply(
        record if steward else mask_pii(record), card_buttons(desk, topic, person, grants)
    )


@router.command("topics", private_only=True)
def topics_command(
    session: Session, person: Person, grants: list[RoleGrant], replies: Replies, clock: Clock
) -> None:
    desk = Deliberation(session, clock)
    topics = desk.open_topics(person, grants)
    if not topics:
        replies.reply(t("dl-topics-none"))
        return
    view = View(desk, replies.texts)
    lines = "\n".join(view.line(tp, replies.lang) for tp in topics[:20])
    buttons = [view_button(tp, tp.number) for tp in topics[:20]]
    replies.reply(t("dl-topics", count=len(topics), lines=lines), rows(buttons, 3))


@router.command("dhelp", "yishi")
def deliberation_help(grants: list[RoleGrant], replies: Replies) -> None:
    staff = any(
        g.role in ("community_staff", "subdistrict_staff", "admin", "building_leader")
        for g in grants
    )
    replies.reply(t("dl-help-staff" if staff else "dl-help-resident"))


@router.callback(ViewTopic, may=Do.SEE)
def view_topic(
    event: Press,
    topic: Topic,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    clock: Clock,
) -> None:
    replies.answer()
    show(replies, Deliberation(session, clock), topic, person, grants, edit=event.chat.private)


# --- the steward's buttons -------------------------------------------------------------------

_ASKS = {
    "dec": ("dl-decline", "dl-ask-decline"),
    "mrg": ("dl-merge", "dl-ask-merge"),
    "op": ("dl-options", "dl-ask-options"),
    "pt": ("dl-parties", "dl-ask-parties"),
    "su": ("dl-unit", "dl-ask-unit"),
    "sh": ("dl-households", "dl-ask-households"),
    "an": ("dl-announce", "dl-ask-announce"),
    "ov": ("dl-offline", "dl-ask-offline"),
    "rm": ("dl-remove", "dl-ask-remove"),
    "cv": ("dl-closevote", "dl-ask-close-vote"),
    "tk": ("dl-task", "dl-ask-task"),
    "rb": ("dl-report", "dl-ask-report"),
}


def topic_changed(
    topic: Topic,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    clock: Clock,
) -> None:
    """A steward's button from before the topic's last step: the card as it is now."""
    replies.answer(t("dl-changed"), alert=True)
    show(replies, Deliberation(session, clock), topic, person, grants, edit=True)


def _step(
    step: Callable[[], str | None],
    topic: Topic,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    desk: Deliberation,
) -> None:
    """Carry out a steward's step; answer with its key and refresh the card (also if refused).
    A step that asked a question or opened a menu returns None and has answered already."""
    try:
        done = step()
    except Refused as refused:
        replies.answer(refusal(refused), alert=True)
        show(replies, desk, topic, person, grants, edit=True)
        return
    if done is None:
        return
    replies.answer(t(done))
    show(replies, desk, topic, person, grants, edit=True)


@router.callback(StewardButton, may=Do.STEWARD, stale=topic_changed)
def steward_button(
    button: StewardButton,
    topic: Topic,
    event: Press,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    who: Who,
    access: Access,
    replies: Replies,
    clock: Clock,
) -> None:
    if button.verb == "rl":  # the roll names households and who has voted
        access.check(who, Do.ROLL, topic)
    desk = Deliberation(session, clock)
    step = partial(
        _steward, button.verb, topic, event, session, person, grants, replies, desk, clock
    )
    _step(step, topic, person, grants, replies, desk)


@router.callback(PickScope, may=Do.STEWARD, stale=topic_changed)
def pick_scope(
    button: PickScope,
    topic: Topic,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    who: Who,
    access: Access,
    replies: Replies,
    clock: Clock,
) -> None:
    """The topic is about this building, compound or the whole community."""
    desk = Deliberation(session, clock)

    def step() -> str:
        access.check(who, Do.RESCOPE, Rescope(topic, Place(button.kind, button.place)))
        desk.configure(
            topic, person, grants, scope_kind=button.kind, scope_id=button.place, scope_detail=[]
        )
        return "dl-done-configured"

    _step(step, topic, person, grants, replies, desk)


@router.callback(MeetingKind, may=Do.STEWARD, stale=topic_changed)
def meeting_kind(
    button: MeetingKind,
    topic: Topic,
    event: Press,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    clock: Clock,
) -> None:
    desk = Deliberation(session, clock)

    def step() -> None:
        desk._authorise(topic, person, grants, _ASK_ACT["mt"])
        _ask(session, event.sender.id, "dl-meeting", topic, clock, meeting=button.kind)
        replies.answer()
        replies.edit(t("dl-ask-meeting", kind=t(f"dl-meeting-{button.kind}")), _cancel_row())

    _step(step, topic, person, grants, replies, desk)


@router.callback(TaskProgress, may=Do.STEWARD, stale=topic_changed)
def task_progress(
    topic: Topic,
    task: TopicTask,
    event: Press,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    clock: Clock,
) -> None:
    desk = Deliberation(session, clock)

    def step() -> None:
        if task.topic_id != topic.id:
            raise Refused("error-stale-button")
        desk._authorise(topic, person, grants, _ASK_ACT["pg"])
        _ask(session, event.sender.id, "dl-progress", topic, clock, task=task.id)
        replies.answer()
        replies.reply(t("dl-ask-progress", title=task.title, progress=task.progress), _cancel_row())

    _step(step, topic, person, grants, replies, desk)


def _cycle(values: Sequence[Any], current: Any) -> Any:
    index = list(values).index(current) if current in values else -1
    return values[(index + 1) % len(values)]


def _steward(
    verb: StewardVerb,
    topic: Topic,
    event: Press,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    desk: Deliberation,
    clock: Clock,
) -> str | None:
    """Carry out one steward button; the answer's key, or None when it asked a question."""
    board = Board(desk, replies)
    if verb in _ASKS:
        kind, question = _ASKS[verb]
        desk._authorise(topic, person, grants, _ASK_ACT[verb])
        _ask(session, event.sender.id, kind, topic, clock)
        replies.answer()
        replies.reply(t(question, number=topic.number), _cancel_row())
        return None
    if verb == "acc":
        desk.accept(topic, person, grants)
        _tell_proposer(board, topic, "dl-told-accepted", skip=person)
        return "dl-done-accepted"
    if verb == "sm":
        replies.answer()
        replies.edit(t("dl-pick-scope", number=topic.number), _scope_buttons(session, topic))
        return None
    if verb == "ru":
        desk.configure(topic, person, grants, rule=_cycle(RULES, topic.rule))
        return "dl-done-configured"
    if verb == "bu":
        if tally.Rule(topic.rule).by_area or topic.scope_kind in ("unit", "households"):
            raise Refused("dl-refused-by-household")
        desk.configure(topic, person, grants, by_household=not topic.by_household)
        return "dl-done-configured"
    if verb == "se":
        desk.configure(topic, person, grants, secret=not topic.secret)
        return "dl-done-configured"
    if verb == "ad":
        desk.configure(
            topic, person, grants, announce_days=_cycle(ANNOUNCE_DAYS, topic.announce_days)
        )
        return "dl-done-configured"
    if verb == "vd":
        desk.configure(topic, person, grants, vote_days=_cycle(VOTE_DAYS, topic.vote_days))
        return "dl-done-configured"
    if verb in ("qu", "ps") and topic.rule == tally.Rule.QUORUM:
        field = "quorum" if verb == "qu" else "share"
        value = _cycle(SHARES, getattr(topic, field))
        desk.configure(topic, person, grants, **{field: value})
        return "dl-done-configured"
    if verb == "fx":
        desk.fix_roll(topic, person, grants)
        return "dl-done-roll"
    if verb == "ufx":
        desk.unfix_roll(topic, person, grants)
        return "dl-done-configured"
    if verb == "rl":
        replies.answer()
        view = View(desk, replies.texts)
        labels = [view.desk.label_of(e) for e in desk.roll(topic)]
        voted = desk._voted_electors(topic)
        marks = [
            f"{'☑' if e.id in voted else '☐'} {label}"
            for e, label in zip(desk.roll(topic), labels, strict=True)
        ]
        shown = "\n".join(marks[:80]) + ("\n…" if len(marks) > 80 else "")
        replies.reply(
            t(
                "dl-roll-list",
                number=topic.number,
                summary=view.roll(topic, replies.lang),
                lines=shown,
            )
        )
        return None
    if verb == "mt":
        desk._authorise(topic, person, grants, _ASK_ACT["mt"])
        replies.answer()
        buttons = [
            Button(t(f"dl-meeting-{k}"), MeetingKind(_id(topic), topic.version, k).pack())
            for k in MEETING_KINDS
        ]
        replies.reply(t("dl-pick-meeting", number=topic.number), [buttons, *_cancel_row()])
        return None
    if verb == "cl":
        desk.close(topic, person, grants)
        board.closed(topic)
        return "dl-done-closed"
    raise Refused("error-stale-button")


_ASK_ACT = {
    "dec": Act.DECLINE,
    "mrg": Act.MERGE,
    "op": Act.CONFIGURE,
    "pt": Act.CONFIGURE,
    "su": Act.CONFIGURE,
    "sh": Act.CONFIGURE,
    "an": Act.ANNOUNCE,
    "ov": Act.OFFLINE_VOTE,
    "rm": Act.REMOVE_ELECTOR,
    "cv": Act.CLOSE_VOTE,
    "tk": Act.TASK,
    "rb": Act.REPORT_BACK,
    "mt": Act.MEETING,
    "pg": Act.PROGRESS,
}


def _scope_buttons(session: Session, topic: Topic) -> list[list[Button]]:
    """Scope choices around the topic: its building, compound and community, a unit, homes."""
    topic_id, version = _id(topic), topic.version
    building_id: int | None = None
    if topic.scope_kind in ("building", "unit", "households"):
        building_id = topic.scope_id
    else:
        proposer = session.get(Person, topic.proposer_id)
        building_id = proposer.building_id if proposer else None
    buttons: list[Button] = []
    if building_id is not None:
        building, compound, community = org.place_of_building(session, building_id)
        if community.id == topic.community_id:
            here = PickScope(topic_id, version, "building", building.id or 0)
            buttons.append(Button(f"{compound.name} {building.name}", here.pack()))
            whole = PickScope(topic_id, version, "compound", compound.id or 0)
            buttons.append(Button(compound.name, whole.pack()))
    community = session.get_one(Community, topic.community_id)
    if not buttons:
        for compound in org.compounds_of(session, topic.community_id):
            pick = PickScope(topic_id, version, "compound", compound.id or 0)
            buttons.append(Button(compound.name, pick.pack()))
    everyone = PickScope(topic_id, version, "community", community.id or 0)
    buttons.append(Button(community.name, everyone.pack()))
    keyboard = rows(buttons)
    if building_id is not None:
        keyboard.append(
            [
                Button(t("dl-btn-scope-unit"), StewardButton("su", topic_id, version).pack()),
                Button(t("dl-btn-scope-households"), StewardButton("sh", topic_id, version).pack()),
            ]
        )
    keyboard.append([view_button(topic, t("btn-back"))])
    return keyboard


def _tell_proposer(
    board: Board, topic: Topic, key: str, *, skip: Person | None = None, **params: Any
) -> None:
    proposer = board.desk.session.get(Person, topic.proposer_id)
    if proposer is None or (skip is not None and proposer.id == skip.id):
        return
    board.tell(
        proposer,
        lambda lang: board.view.get(lang, key, number=topic.number, title=topic.title, **params),
    )


# --- answers to the steward's questions --------------------------------------------------------

_DATE = re.compile(r"(?:(\d{4})\s*[-/年.])?\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*[日号]?")
_TIME = re.compile(r"(\d{1,2})\s*[:：点]\s*(\d{2})?\s*分?")


def parse_when(
    text: str, now: datetime, tz: ZoneInfo, *, with_time: bool
) -> tuple[datetime, str] | None:
    """A date (and time) at the start of `text`, local; the rest of the text. The year defaults
    to the coming date."""
    text = text.strip()
    date = _DATE.match(text)
    if date is None:
        return None
    rest = text[date.end() :].strip()
    hour, minute = 18, 0
    if with_time:
        clock_time = _TIME.match(rest)
        if clock_time is None:
            return None
        hour, minute = int(clock_time.group(1)), int(clock_time.group(2) or 0)
        rest = rest[clock_time.end() :].strip()
    local_now = now.astimezone(tz)
    year = int(date.group(1)) if date.group(1) else local_now.year
    try:
        moment = datetime.combine(
            datetime(year, int(date.group(2)), int(date.group(3))).date(), time(hour, minute), tz
        )
    except ValueError:
        return None
    if not date.group(1) and moment < local_now - timedelta(days=1):
        moment = moment.replace(year=year + 1)
    return moment.astimezone(UTC), rest  # stored as UTC (SQLite keeps no zone)


def _choice_of(desk: Deliberation, topic: Topic, texts: Texts, word: str) -> str | None:
    choices = desk.choices(topic)
    index = arguments.integer(word, 1, len(choices))
    if index is not None:
        return choices[index - 1]
    for choice in choices:
        names = {choice.lower()}
        if not topic.options:
            names |= {texts.get(lang, f"dl-choice-{choice}").lower() for lang in ("zh_Hans", "en")}
        if word.lower() in names:
            return choice
    return None


PARTIES = ("residents_committee", "owners_committee", "property_company")


@router.awaiting("dl-decline")
@router.awaiting("dl-merge")
@router.awaiting("dl-options")
@router.awaiting("dl-parties")
@router.awaiting("dl-unit")
@router.awaiting("dl-households")
@router.awaiting("dl-announce")
@router.awaiting("dl-meeting")
@router.awaiting("dl-offline")
@router.awaiting("dl-remove")
@router.awaiting("dl-closevote")
@router.awaiting("dl-task")
@router.awaiting("dl-progress")
@router.awaiting("dl-report")
def steward_answer(
    event: Message,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    pending: Conversation,
    replies: Replies,
    clock: Clock,
    tz: ZoneInfo,
    texts: Texts,
) -> None:
    text = event.text.strip()
    if not text and not (pending.kind == "dl-announce" and event.photo):
        replies.reply(t("dl-ask-need-text"))
        return
    if len(text) > TEXT_LIMIT:
        replies.reply(t("dl-too-long", limit=TEXT_LIMIT))
        return
    desk = Deliberation(session, clock)
    topic = session.get(Topic, int(pending.data.get("topic", 0)))
    if topic is None or topic.version != pending.data.get("version"):
        session.delete(pending)  # the question is void: the topic moved on meanwhile
        replies.reply(t("dl-changed"))
        return
    board = Board(desk, replies)
    try:
        done = _answer(
            pending,
            text,
            event,
            topic,
            session,
            person,
            grants,
            replies,
            desk,
            board,
            clock,
            tz,
            texts,
        )
    except Refused as refused:
        replies.reply(refusal(refused))
        return
    if done is None:
        return  # asked again (bad format): the question stays open
    session.delete(pending)
    replies.reply(t(done, number=topic.number))
    show(replies, desk, topic, person, grants, edit=False)


def _answer(
    pending: Conversation,
    text: str,
    event: Message,
    topic: Topic,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    desk: Deliberation,
    board: Board,
    clock: Clock,
    tz: ZoneInfo,
    texts: Texts,
) -> str | None:
    kind = pending.kind
    view = board.view
    if kind == "dl-decline":
        desk.decline(topic, person, grants, text)
        _tell_proposer(board, topic, "dl-told-declined", reason=text)
        return "dl-done-declined"
    if kind == "dl-merge":
        word, reason = arguments.first(text)
        number = arguments.number(word)
        into = desk.by_number(number) if number else None
        if into is None:
            replies.reply(t("dl-not-found", number=number or word[:40]))
            return None
        if not reason.strip():
            replies.reply(t("dl-ask-merge", number=topic.number))
            return None
        desk.merge(topic, person, grants, into, reason.strip())
        _tell_proposer(board, topic, "dl-told-merged", into=into.number, reason=reason.strip())
        return "dl-done-merged"
    if kind == "dl-options":
        options = [o.strip() for o in re.split(r"[\n;；、|]", text) if o.strip()]
        if len(options) < 2 or len(options) > 8 or len(set(options)) != len(options):
            replies.reply(t("dl-ask-options", number=topic.number))
            return None
        if tally.Rule(topic.rule).by_area:
            raise Refused("dl-refused-options-278")
        desk.configure(topic, person, grants, options=[o[:30] for o in options])
        return "dl-done-configured"
    if kind == "dl-parties":
        parties: dict[str, str] = {}
        for line in text.splitlines():
            found = _party_kind(line, texts)
            pieces = re.split(r"[:：]", line, maxsplit=1)
            name = pieces[1].strip() if len(pieces) == 2 else ""
            if found and name:
                parties[found] = name[:60]
        if not parties:
            replies.reply(t("dl-ask-parties", number=topic.number))
            return None
        desk.configure(topic, person, grants, parties=parties)
        return "dl-done-configured"
    if kind in ("dl-unit", "dl-households"):
        labels = [w for w in re.split(r"[\s,，、;；]+", text) if w]
        if kind == "dl-unit" and not all(arguments.integer(w, 1, 99) for w in labels):
            replies.reply(t("dl-ask-unit", number=topic.number))
            return None
        scope_kind = "unit" if kind == "dl-unit" else "households"
        building_id = (
            topic.scope_id if topic.scope_kind in ("building", "unit", "households") else None
        )
        if building_id is None:
            proposer = session.get(Person, topic.proposer_id)
            building_id = proposer.building_id if proposer else None
        if building_id is None:
            raise Refused("dl-refused-no-building")
        place = Place(ScopeKind.BUILDING, building_id)
        Access(session).check(access_who(session, person), Do.RESCOPE, Rescope(topic, place))
        desk.configure(
            topic, person, grants, scope_kind=scope_kind, scope_id=building_id, scope_detail=labels
        )
        return "dl-done-configured"
    if kind == "dl-announce":
        desk.announce(topic, person, grants, text, event.photo)
        _publish(board, topic)
        return "dl-done-announced"
    if kind == "dl-meeting":
        parsed = parse_when(text, clock.now(), tz, with_time=True)
        if parsed is None or not parsed[1]:
            replies.reply(t("dl-ask-meeting", kind=t(f"dl-meeting-{pending.data.get('meeting')}")))
            return None
        meeting = desk.schedule_meeting(
            topic, person, grants, str(pending.data.get("meeting")), parsed[0], parsed[1]
        )
        page = view.page(
            "dl-meeting-announced",
            number=topic.number,
            title=topic.title,
            meeting=lambda lang: view.meeting(meeting, lang),
        )
        board.groups(topic, page)
        board.tell_all(desk.eligible_people(topic), page, skip=person)
        return "dl-done-meeting"
    if kind == "dl-offline":
        words = text.split()
        if len(words) < 3:
            replies.reply(t("dl-ask-offline", number=topic.number))
            return None
        choice = None
        for split in range(1, len(words) - 1):  # a household may be "3栋 2-301"
            elector = desk.find_elector(topic, " ".join(words[:split]))
            choice = _choice_of(desk, topic, texts, words[split]) if elector else None
            if elector is not None and choice is not None:
                desk.cast_offline(
                    topic, person, grants, elector, choice, " ".join(words[split + 1 :])
                )
                return "dl-done-offline"
        replies.reply(t("dl-offline-unknown", text=text))
        return None
    if kind == "dl-remove":
        ref, _, note = text.rpartition(" ")
        elector = desk.find_elector(topic, ref) if ref else None
        if elector is None or not note:
            replies.reply(t("dl-offline-unknown", text=text))
            return None
        desk.remove_elector(topic, person, grants, elector, note)
        return "dl-done-removed"
    if kind == "dl-closevote":
        desk.close_vote(topic, person, grants, text)
        board.result(topic)
        return "dl-done-vote-closed"
    if kind == "dl-task":
        pieces = [p.strip() for p in re.split(r"[|｜\n]", text) if p.strip()]
        due = parse_when(pieces[2], clock.now(), tz, with_time=False) if len(pieces) == 3 else None
        if due is None:
            replies.reply(t("dl-ask-task", number=topic.number))
            return None
        task = desk.add_task(topic, person, grants, pieces[0][:80], pieces[1][:60], due[0])
        page = view.page(
            "dl-told-task",
            number=topic.number,
            title=topic.title,
            task=lambda lang: view.task(task, lang),
        )
        board.tell_all(desk.participants(topic), page, skip=person)
        return "dl-done-task"
    if kind == "dl-progress":
        match = re.match(r"^(\d{1,3})\s*[%％]?\s*(.*)$", text, re.S)
        target = session.get(TopicTask, int(pending.data.get("task", 0)))
        if match is None or target is None:
            replies.reply(
                t(
                    "dl-ask-progress",
                    title=target.title if target else "",
                    progress=target.progress if target else 0,
                )
            )
            return None
        desk.progress(topic, person, grants, target, int(match.group(1)), match.group(2))
        page = view.page(
            "dl-told-progress",
            number=topic.number,
            title=topic.title,
            task=lambda lang: view.task(target, lang),
        )
        board.tell_all(desk.participants(topic), page, skip=person)
        return "dl-done-progress"
    if kind == "dl-report":
        desk.report_back(topic, person, grants, text)
        page = view.page(
            "dl-told-reported",
            number=topic.number,
            title=topic.title,
            outcome=text,
            tasks=lambda lang: "\n".join(view.task(tk, lang) for tk in desk.tasks(topic)),
        )
        board.groups(topic, page)
        board.tell_all(desk.participants(topic), page, lambda _p: rating_buttons(topic), skip=None)
        return "dl-done-reported"
    return None


def _party_kind(line: str, texts: Texts) -> str | None:
    """Which named party a line of "party: name" is about, by the words the catalogues list."""
    head = re.split(r"[:：]", line, maxsplit=1)[0].lower()
    for kind in PARTIES:
        words = ",".join(texts.get(lang, f"dl-party-words-{kind}") for lang in ("zh_Hans", "en"))
        if any(w.strip() and w.strip().lower() in head for w in words.split(",")):
            return kind
    return None


def _publish(board: Board, topic: Topic) -> None:
    """Step 3: the announcement to every group in scope and every eligible resident."""
    view = board.view

    def page(lang: str) -> str:
        return view.get(
            lang,
            "dl-announcement",
            number=topic.number,
            title=topic.title,
            text=topic.announcement,
            scope=view.scope(topic, lang),
            ballot=view.ballot(topic, lang),
            rule=view.rule(topic, lang),
            parties=view.parties(topic, lang),
            opens=aware(topic.vote_opens_at) if topic.vote_opens_at else "-",
            closes=aware(topic.vote_closes_at) if topic.vote_closes_at else "-",
        )

    board.groups(topic, page, photo=topic.attachment)
    people = {p.id: p for p in board.desk.eligible_people(topic)}
    proposer = board.desk.session.get(Person, topic.proposer_id)
    if proposer is not None:
        people.setdefault(proposer.id, proposer)
    board.tell_all(
        people.values(),
        page,
        lambda _p: comment_button_for(topic),
        photo=topic.attachment,
    )


# --- comments ----------------------------------------------------------------------------------


@router.callback(CommentOn)
def comment_button(
    event: Press,
    topic: Topic,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    clock: Clock,
) -> None:
    desk = Deliberation(session, clock)
    roles = desk.roles(topic, person, grants)
    if topic.state not in (State.ANNOUNCED, State.VOTING):
        raise Refused("dl-refused-comments-closed", number=topic.number)
    if not roles & {Role.ELECTOR, Role.STEWARD}:
        raise Refused("dl-refused-not-eligible", number=topic.number)
    _ask(session, event.sender.id, "dl-comment", topic, clock)
    replies.answer()
    replies.to(person, t("dl-ask-comment", number=topic.number, title=topic.title), _cancel_row())


@router.command("comment")
def comment_command(
    event: Message,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    clock: Clock,
) -> None:
    """/comment TD-YS001 text."""
    word, text = arguments.first(event.args)
    number = arguments.number(word)
    desk = Deliberation(session, clock)
    topic = desk.by_number(number) if number else None
    if topic is None or not text.strip():
        replies.reply(t("dl-usage-comment"))
        return
    _comment(desk, topic, person, grants, text, replies)


@router.awaiting("dl-comment")
def comment_text(
    event: Message,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    pending: Conversation,
    replies: Replies,
    clock: Clock,
) -> None:
    text = event.text.strip()
    if not text:
        replies.reply(t("dl-ask-need-text"))
        return
    desk = Deliberation(session, clock)
    topic = _answered_topic(session, pending)
    if topic is None:
        replies.reply(t("error-stale-button"))
        return
    _comment(desk, topic, person, grants, text, replies)


def _comment(
    desk: Deliberation,
    topic: Topic,
    person: Person,
    grants: list[RoleGrant],
    text: str,
    replies: Replies,
) -> None:
    if len(text) > TEXT_LIMIT:
        replies.reply(t("dl-too-long", limit=TEXT_LIMIT))
        return
    try:
        desk.comment(topic, person, grants, text)
    except Refused as refused:
        key = (
            "dl-refused-comments-closed"
            if refused.reason == "dl-refused-state"
            else "dl-refused-not-eligible"
        )
        replies.reply(t(key, number=topic.number))
        return
    replies.reply(t("dl-comment-thanks", number=topic.number))
    board = Board(desk, replies)
    board.tell_all(
        board.stewards(topic),
        lambda lang: board.view.get(
            lang, "dl-ping-comment", number=topic.number, name=person.name, text=text.strip()
        ),
        skip=person,
        raw=True,
    )


# --- the vote -----------------------------------------------------------------------------------


@router.command("vote", private_only=True)
def vote_command(
    event: Message, session: Session, person: Person, replies: Replies, clock: Clock
) -> None:
    """/vote TD-YS001: the ballot again."""
    desk = Deliberation(session, clock)
    number = arguments.number(event.args)
    topic = desk.by_number(number) if number else None
    if topic is None:
        replies.reply(t("dl-usage-vote"))
        return
    if topic.state != State.VOTING:
        replies.reply(t("dl-refused-vote-closed", number=topic.number))
        return
    if not desk.electors_of(topic, person):
        replies.reply(t("dl-refused-not-eligible", number=topic.number))
        return
    board = Board(desk, replies)
    replies.reply(board.ballot(topic)(replies.lang), vote_buttons(desk, topic))


def vote_stale(topic: Topic, replies: Replies) -> None:
    """A ballot from before the topic's last step: closed, or changed since."""
    if topic.state != State.VOTING:
        replies.answer(t("dl-refused-vote-closed", number=topic.number), alert=True)
        replies.edit(t("dl-ballot-closed", number=topic.number, title=topic.title))
        return
    replies.answer(t("dl-refused-stale"), alert=True)


@router.callback(Vote, stale=vote_stale)
def vote_button(
    button: Vote, topic: Topic, session: Session, person: Person, replies: Replies, clock: Clock
) -> None:
    if topic.state != State.VOTING:
        vote_stale(topic, replies)
        return
    desk = Deliberation(session, clock)
    choices = desk.choices(topic)
    if button.choice >= len(choices):
        raise Refused("dl-refused-stale")
    cast = desk.cast(topic, person, choices[button.choice], button.receipt)
    view = View(desk, replies.texts)
    label = view.choice(topic, replies.lang, cast.choice)
    replies.answer(t(f"dl-vote-{cast.status}", choice=label))
    key = "dl-voted-secret" if topic.secret else "dl-voted"
    body = t(
        key,
        number=topic.number,
        title=topic.title,
        choice=label,
        count=cast.electors,
        closes=aware(topic.vote_closes_at) if topic.vote_closes_at else "-",
    )
    replies.edit(body, vote_buttons(desk, topic, cast.token))


# --- evaluation ---------------------------------------------------------------------------------


@router.callback(Evaluate)
def evaluate_button(
    event: Press,
    button: Evaluate,
    topic: Topic,
    session: Session,
    person: Person,
    replies: Replies,
    clock: Clock,
) -> None:
    desk = Deliberation(session, clock)
    try:
        desk.evaluate(topic, person, button.rating)
    except Refused as refused:
        closed = refused.reason == "dl-refused-state"
        raise Refused(
            "dl-refused-evaluation-closed" if closed else refused.reason, number=topic.number
        ) from None
    _ask(session, event.sender.id, "dl-evaluation", topic, clock)
    replies.answer(t("dl-evaluation-thanks"))
    replies.edit(
        t("dl-evaluation-recorded", number=topic.number, rating=t(f"dl-rating-{button.rating}")),
        [*rating_buttons(topic), *_cancel_row()],
    )


@router.awaiting("dl-evaluation")
def evaluation_comment(
    event: Message,
    session: Session,
    person: Person,
    pending: Conversation,
    replies: Replies,
    clock: Clock,
) -> None:
    text = event.text.strip()
    if not text:
        replies.reply(t("dl-ask-need-text"))
        return
    desk = Deliberation(session, clock)
    topic = _answered_topic(session, pending)
    if topic is None:
        replies.reply(t("error-stale-button"))
        return
    row = next((e for e in desk.evaluations(topic) if e.person_id == person.id), None)
    if row is None or topic.state != State.REPORTED:
        replies.reply(t("dl-refused-evaluation-closed", number=topic.number))
        return
    desk.evaluate(topic, person, row.rating, text[:TEXT_LIMIT])
    replies.reply(t("dl-evaluation-comment-thanks", number=topic.number))
