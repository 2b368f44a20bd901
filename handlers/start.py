"""/start: a resident says where they live (community → compound → building), picks a language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from sqlmodel import Session

from domain.lifecycle import Refused
from handlers.callbacks import Callback, OneOf, Ref, rows
from handlers.dispatch import Router
from handlers.events import Button, Press, t
from handlers.i18n import LANGUAGES
from handlers.replies import Replies
from handlers.reporting import Filing
from handlers.views import name_of
from storage import org
from storage.models import Building, Community, Compound, Person, RoleGrant

router = Router("start")


@dataclass(frozen=True)
class PickLanguage(Callback, prefix="lang"):
    """A language (or "ask": show the choices)."""

    code: Annotated[str, OneOf(("ask", *LANGUAGES))]


@dataclass(frozen=True)
class Communities(Callback, prefix="reg:c"):
    """Where do you live: the communities, or one community's compounds."""

    community: Annotated[int | None, Ref(Community)] = None


@dataclass(frozen=True)
class PickCompound(Callback, prefix="reg:p"):
    """A compound: its buildings."""

    compound: Annotated[int, Ref(Compound)]


@dataclass(frozen=True)
class PickBuilding(Callback, prefix="reg:b"):
    """A building: the person lives here now."""

    building: Annotated[int, Ref(Building)]


@router.command("start", private_only=True)
def start(session: Session, person: Person, replies: Replies, lang: str) -> None:
    if person.building_id is not None:
        building, compound, community = org.place_of_building(session, person.building_id)
        replies.reply(
            t(
                "start-known",
                name=person.name,
                place=t(
                    "place-building",
                    community=name_of(community, lang),
                    compound=name_of(compound, lang),
                    building=name_of(building, lang),
                ),
            ),
            [
                [
                    Button(t("btn-move"), Communities().pack()),
                    Button(t("btn-language"), PickLanguage("ask").pack()),
                ]
            ],
        )
        return
    ask_community(session, replies, lang, t("start-welcome", name=person.name))


def ask_community(session: Session, replies: Replies, lang: str, intro: object) -> None:
    buttons = [Button(name_of(c, lang), Communities(c.id).pack()) for c in org.communities(session)]
    if not buttons:
        replies.reply(t("start-no-org"))
        return
    replies.reply(t("start-pick-community", intro=intro), rows(buttons))


@router.command("help")
def help_(grants: list[RoleGrant], replies: Replies) -> None:
    roles = {g.role for g in grants}
    key = "help-resident"
    if roles & {"community_staff", "subdistrict_staff", "admin"}:
        key = "help-staff"
    elif roles & {"grid_worker", "department_staff"}:
        key = "help-worker"
    replies.reply(t(key))


@router.command("language", private_only=True)
def language(replies: Replies) -> None:
    replies.reply(t("language-pick"), [_language_buttons()])


def _language_buttons() -> list[Button]:
    return [Button(t(f"language-{code}"), PickLanguage(code).pack()) for code in LANGUAGES]


@router.callback(PickLanguage)
def choose_language(
    button: PickLanguage, session: Session, person: Person, replies: Replies
) -> None:
    code = button.code
    if code == "ask":
        replies.answer()
        replies.reply(t("language-pick"), [_language_buttons()])
        return
    person.language = code
    session.add(person)
    replies.lang = code
    replies.answer()
    replies.edit(t("language-set"))


def _in_private(event: Press) -> None:
    if not event.chat.private:
        raise Refused("error-private-only")


@router.callback(Communities)
def pick_community(
    event: Press, community: Community | None, session: Session, replies: Replies, lang: str
) -> None:
    """The communities to choose from, or the compounds of the one chosen."""
    _in_private(event)
    replies.answer()
    if community is None or community.id is None:
        ask_community(session, replies, lang, t("start-move"))
        return
    buttons = [
        Button(name_of(p, lang), PickCompound(p.id or 0).pack())
        for p in org.compounds_of(session, community.id)
    ]
    buttons.append(Button(t("btn-back"), Communities().pack()))
    replies.edit(t("start-pick-compound", community=name_of(community, lang)), rows(buttons))


@router.callback(PickCompound)
def pick_compound(
    event: Press, compound: Compound, session: Session, replies: Replies, lang: str
) -> None:
    _in_private(event)
    buttons = [
        Button(name_of(b, lang), PickBuilding(b.id or 0).pack())
        for b in org.buildings_of(session, compound.id or 0)
    ]
    buttons.append(Button(t("btn-back"), Communities(compound.community_id).pack()))
    replies.answer()
    replies.edit(t("start-pick-building", compound=name_of(compound, lang)), rows(buttons, 3))


@router.callback(PickBuilding)
def pick_building(
    event: Press,
    building: Building,
    session: Session,
    person: Person,
    replies: Replies,
    lang: str,
    filing: Filing,
) -> None:
    """Registered: the person lives here now; reports kept meanwhile are filed."""
    _in_private(event)
    person.building_id = building.id
    session.add(person)
    session.flush()
    _, compound, community = org.place_of_building(session, building.id or 0)
    replies.answer()
    replies.edit(
        t(
            "start-registered",
            place=t(
                "place-building",
                community=name_of(community, lang),
                compound=name_of(compound, lang),
                building=name_of(building, lang),
            ),
        )
    )
    if person.language is None:
        replies.reply(t("language-pick"), [_language_buttons()])
    filing.file_pending(person)
