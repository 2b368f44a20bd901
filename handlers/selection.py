"""The monthly civilised-compound selection 文明小区每月评选 in chat (community staff):

/selection [YYYY-MM]             each compound's score and the shortlist (last month by default)
/selection vote [YYYY-MM]        a residents' vote on the shortlist, as a deliberation topic
/selection announce N [YYYY-MM]  announce the shortlist's N-th compound to the groups
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session

from domain.access import Do
from domain.clock import Clock
from domain.figures import Month, communities_seen
from domain.lifecycle import Refused
from domain.selection import CompoundScore, Selection, Weights, compound_scores, shortlist
from handlers import arguments
from handlers.dispatch import Router
from handlers.events import Message, T, t
from handlers.i18n import DEFAULT_LANGUAGE
from handlers.replies import Replies
from storage.models import Community, Compound, Person, RoleGrant
from storage.models_figures import CompoundSelection

router = Router("selection")


def _score_line(rank: int, score: CompoundScore, picked: bool) -> T:
    return t(
        "sel-line",
        mark="★" if picked else " ",
        rank=rank,
        compound=score.compound,
        score="-" if score.score is None else f"{score.score:.1f}",
        reports=score.reports,
        households=score.households,
        resolution=score.resolution.text(),
        satisfaction=score.satisfaction.text(),
        deliberation=score.deliberation.text(),
        notices=score.notices.text(),
    )


@router.command("selection", private_only=True, may=Do.FIGURES)
def selection(
    event: Message,
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    clock: Clock,
    tz: ZoneInfo,
    weights: Weights,
    shortlist_size: int,
) -> None:
    words = event.args.split()
    verb = words.pop(0) if words and words[0] in ("vote", "announce") else "show"
    index = words.pop(0) if verb == "announce" and words else None
    try:
        month = Month.parse(words.pop(0)) if words else Month.of(clock.now(), tz).previous()
    except ValueError:
        replies.reply(t("sel-usage"))
        return
    if words or (verb == "announce" and (index is None or arguments.integer(index, 1, 99) is None)):
        replies.reply(t("sel-usage"))
        return
    communities = communities_seen(session, grants)
    if not communities:
        replies.reply(t("error-no-role"))
        return
    desk = Selection(session, clock)
    if verb == "show":
        blocks = []
        for community in communities:
            scores = compound_scores(session, month, tz, clock.now(), weights, community.id)
            picked = shortlist(scores, shortlist_size)
            desk.record(community.id or 0, month, picked)
            lines = "\n".join(
                replies.render(_score_line(rank, s, s in picked))
                for rank, s in enumerate(scores, start=1)
            )
            blocks.append(replies.render(t("sel-community", community=community.name, lines=lines)))
        replies.reply(t("sel-scores", month=str(month), blocks="\n\n".join(blocks)))
        return
    if len(communities) != 1:  # the sub-district: which community?
        replies.reply(t("sel-one-community"))
        return
    community = communities[0]
    scores = compound_scores(session, month, tz, clock.now(), weights, community.id)
    row = desk.record(community.id or 0, month, shortlist(scores, shortlist_size))
    if not row.shortlist:
        replies.reply(t("sel-empty", month=str(month)))
        return
    if verb == "vote":
        _vote(session, person, grants, replies, desk, row, community, month)
        return
    assert index is not None
    pick = arguments.integer(index, 1, len(row.shortlist))
    if pick is None:
        replies.reply(t("sel-no-such", count=len(row.shortlist)))
        return
    if row.announced_at is not None:
        replies.reply(t("sel-already-announced", month=str(month)))
        return
    winner = session.get_one(Compound, row.shortlist[pick - 1])
    groups = desk.announce(row, winner)
    text = t("sel-announcement", month=str(month), community=community.name, compound=winner.name)
    for group in groups:
        replies.send(group.chat_id, DEFAULT_LANGUAGE, text)
    replies.reply(t("sel-announced", compound=winner.name, groups=t("n-groups", count=len(groups))))


def _vote(
    session: Session,
    person: Person,
    grants: list[RoleGrant],
    replies: Replies,
    desk: Selection,
    row: CompoundSelection,
    community: Community,
    month: Month,
) -> None:
    if row.topic_id is not None:
        replies.reply(t("sel-vote-exists", month=str(month)))
        return
    title = replies.render(t("sel-vote-title", month=str(month), community=community.name))
    names = "、".join(session.get_one(Compound, c).name for c in row.shortlist)
    text = replies.render(t("sel-vote-text", month=str(month), compounds=names))
    try:
        topic = desk.start_vote(row, person, grants, title, text)
    except Refused as refused:
        replies.reply(t(refused.reason, **refused.params))
        return
    replies.reply(t("sel-vote-started", number=topic.number))
