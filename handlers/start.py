"""/start: a resident says where they live (community → compound → building), picks a language."""

from __future__ import annotations

from sqlmodel import Session

from handlers.dispatch import Router
from handlers.events import Button, Press, t
from handlers.i18n import LANGUAGES
from handlers.replies import Replies
from handlers.reporting import Filing
from handlers.views import name_of
from storage import org
from storage.models import Building, Community, Compound, Person, RoleGrant

router = Router("start")


def _rows(buttons: list[Button], per_row: int = 2) -> list[list[Button]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


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
            [[Button(t("btn-move"), "reg:c"), Button(t("btn-language"), "lang:ask")]],
        )
        return
    ask_community(session, replies, lang, t("start-welcome", name=person.name))


def ask_community(session: Session, replies: Replies, lang: str, intro: object) -> None:
    buttons = [Button(name_of(c, lang), f"reg:c:{c.id}") for c in org.communities(session)]
    if not buttons:
        replies.reply(t("start-no-org"))
        return
    replies.reply(t("start-pick-community", intro=intro), _rows(buttons))


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
    return [Button(t(f"language-{code}"), f"lang:{code}") for code in LANGUAGES]


@router.callback("lang")
def choose_language(event: Press, session: Session, person: Person, replies: Replies) -> None:
    code = event.data.split(":", 1)[1]
    if code == "ask":
        replies.answer()
        replies.reply(t("language-pick"), [_language_buttons()])
        return
    if code not in LANGUAGES:
        replies.answer(t("error-stale-button"), alert=True)
        return
    person.language = code
    session.add(person)
    replies.lang = code
    replies.answer()
    replies.edit(t("language-set"))


@router.callback("reg")
def register(
    event: Press, session: Session, person: Person, replies: Replies, lang: str, filing: Filing
) -> None:
    """reg:c (communities), reg:c:<id> (compounds), reg:p:<id> (buildings), reg:b:<id> (done)."""
    if not event.chat.private:
        replies.answer(t("error-private-only"), alert=True)
        return
    parts = event.data.split(":")
    if len(parts) == 2:
        replies.answer()
        ask_community(session, replies, lang, t("start-move"))
        return
    level, raw = parts[1], parts[2]
    if not raw.isdigit():
        replies.answer(t("error-stale-button"), alert=True)
        return
    ident = int(raw)
    if level == "c" and (community := session.get(Community, ident)):
        buttons = [
            Button(name_of(p, lang), f"reg:p:{p.id}") for p in org.compounds_of(session, ident)
        ]
        buttons.append(Button(t("btn-back"), "reg:c"))
        replies.answer()
        replies.edit(t("start-pick-compound", community=name_of(community, lang)), _rows(buttons))
    elif level == "p" and (compound := session.get(Compound, ident)):
        buttons = [
            Button(name_of(b, lang), f"reg:b:{b.id}") for b in org.buildings_of(session, ident)
        ]
        buttons.append(Button(t("btn-back"), f"reg:c:{compound.community_id}"))
        replies.answer()
        replies.edit(t("start-pick-building", compound=name_of(compound, lang)), _rows(buttons, 3))
    elif level == "b" and (building := session.get(Building, ident)):
        person.building_id = building.id
        session.add(person)
        session.flush()
        _, compound, community = org.place_of_building(session, ident)
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
    else:
        replies.answer(t("error-stale-button"), alert=True)
