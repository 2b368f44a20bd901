"""Collects what a handler wants said, rendered in each reader's language."""

from __future__ import annotations

from collections.abc import Iterable

from domain.lifecycle import Refused
from handlers.events import Answer, Button, Edit, Effect, Event, Message, Press, Send, T, t
from handlers.i18n import DEFAULT_LANGUAGE, Texts, pick_language
from nlp import mask_pii
from storage.models import Person

Rows = Iterable[Iterable[Button]]


def refusal(refused: Refused) -> T:
    """A refusal as the person reads it: a `state` parameter becomes the state's name (given
    as its key, dl-state-… or notice-state-…, or as a ticket state's code)."""
    params = dict(refused.params)
    state = params.get("state")
    if isinstance(state, str):
        params["state"] = t(state if "-state-" in state else f"state-{state}")
    return t(refused.reason, **params)


def for_chat(chat_id: int, text: str) -> str:
    """The safety net: a group chat (negative id) is never private, so nothing written there
    carries a private number, whatever the handler put into the text."""
    return mask_pii(text) if chat_id < 0 else text


class Replies:
    """The effects of handling one event, in order."""

    def __init__(self, event: Event | None, texts: Texts, lang: str = DEFAULT_LANGUAGE):
        self.event = event
        self.texts = texts
        self.lang = lang
        self.effects: list[Effect] = []

    def language_of(self, person: Person) -> str:
        return pick_language(person.language, person.telegram_language)

    def render(self, text: T | str, lang: str | None = None) -> str:
        return self.texts.render(lang or self.lang, text)

    def reply(self, text: T | str, buttons: Rows = (), *, photo: str | None = None) -> None:
        """Answer in the chat the event came from."""
        assert self.event is not None
        quote = (
            self.event.message_id
            if isinstance(self.event, Message) and not self.event.chat.private
            else None
        )
        self.send(self.event.chat.id, self.lang, text, buttons, photo=photo, reply_to=quote)

    def to(
        self, person: Person, text: T | str, buttons: Rows = (), *, photo: str | None = None
    ) -> None:
        """Write to a person in private, in their language (nothing if they never talked to us)."""
        if person.telegram_id is None:
            return
        self.send(person.telegram_id, self.language_of(person), text, buttons, photo=photo)

    def send(
        self,
        chat_id: int,
        lang: str,
        text: T | str,
        buttons: Rows = (),
        *,
        photo: str | None = None,
        reply_to: int | None = None,
    ) -> None:
        self.effects.append(
            Send(
                chat_id,
                for_chat(chat_id, self.texts.render(lang, text)),
                self.texts.keyboard(lang, buttons),
                photo=photo,
                reply_to=reply_to,
            )
        )

    def edit(self, text: T | str, buttons: Rows = ()) -> None:
        """Replace the message whose button was pressed."""
        assert isinstance(self.event, Press)
        self.effects.append(
            Edit(
                self.event.chat.id,
                self.event.message_id,
                for_chat(self.event.chat.id, self.render(text)),
                self.texts.keyboard(self.lang, buttons),
            )
        )

    def answer(self, text: T | str = "", *, alert: bool = False) -> None:
        """Answer the pressed button (every press gets exactly one answer)."""
        assert isinstance(self.event, Press)
        if any(isinstance(e, Answer) for e in self.effects):
            return
        self.effects.insert(0, Answer(self.event.id, self.render(text) if text else "", alert))
