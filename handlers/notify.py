"""Who hears of a ticket's step, and what they read. The person who acted sees their own card."""

from __future__ import annotations

from sqlmodel import Session

from domain.clock import Clock
from domain.lifecycle import Action
from domain.tickets import Change, TicketDesk
from handlers.events import T, t
from handlers.replies import Replies
from handlers.views import actions, card, category, rating_buttons
from nlp import mask_pii
from storage.models import Person, Ticket

# What followers (the reporter and neighbours who reported the same) are told of each step.
_FOLLOWER_TEXT = {
    Action.ACCEPT: "notify-accepted",
    Action.NOTE: "notify-progress",
    Action.ESCALATE: "notify-escalated",
    Action.TRANSFER: "notify-transferred",
    Action.REASSIGN: "notify-reassigned",
    Action.RESOLVE: "notify-resolved",
    Action.REOPEN: "notify-reopened",
    Action.WITHDRAW: "notify-withdrawn",
    Action.RECLASSIFY: "notify-reclassified",
    Action.AUTO_CLOSE: "notify-auto-closed",
    Action.RATE: "notify-rated",
    Action.MERGE: "notify-merged",
}
# Steps after which the (new) assignee gets the ticket card with its buttons.
_PING_ASSIGNEE = {
    Action.ESCALATE: "ping-escalated",
    Action.TRANSFER: "ping-transferred",
    Action.REASSIGN: "ping-reassigned",
    Action.REOPEN: "ping-reopened",
    Action.SUPERVISE: "ping-supervised",
    Action.REMIND: "ping-reminder",
    Action.RATE: "ping-rated",
    Action.WITHDRAW: "ping-withdrawn",
    Action.RECLASSIFY: "ping-reclassified",
}


class Notifier:
    """Turns ticket changes into messages for everyone concerned."""

    def __init__(self, session: Session, desk: TicketDesk, replies: Replies, clock: Clock):
        self.session = session
        self.desk = desk
        self.replies = replies
        self.clock = clock

    def ping(self, person: Person, ticket: Ticket, header: T) -> None:
        """Send a holder the ticket card with the buttons they may use."""
        body = t(
            "ping",
            header=header,
            card=card(self.session, ticket, self.clock, for_staff=True),
        )
        self.replies.to(
            person, body, actions(self.desk, ticket, person), photo=ticket.photo_file_id
        )

    def announce(self, change: Change, actor: Person | None) -> None:
        ticket, event = change.ticket, change.event
        action = Action(event.action)
        actor_id = actor.id if actor else None
        params = {
            "number": ticket.number,
            "note": mask_pii(event.note),  # residents read it: no one's phone or ID number
            "level": t(f"level-{ticket.level}"),
            "category": category(ticket.category),
            "rating": t(f"rating-{ticket.rating}") if ticket.rating else "",
            "who": self._name(ticket.assignee_id),
            "into": event.data.get("into", ""),
        }
        if action in _FOLLOWER_TEXT:
            for follower in self.desk.followers(ticket):
                if follower.id == actor_id:
                    continue
                reporter = follower.id == ticket.reporter_id
                buttons = rating_buttons(ticket) if action == Action.RESOLVE and reporter else []
                photo = event.data.get("photo") if action == Action.RESOLVE else None
                self.replies.to(
                    follower,
                    t(_FOLLOWER_TEXT[action], **params),
                    buttons,
                    photo=photo if isinstance(photo, str) else None,
                )
        key = _PING_ASSIGNEE.get(action)
        if key and ticket.assignee_id and ticket.assignee_id != actor_id:
            assignee = self.session.get_one(Person, ticket.assignee_id)
            due = event.data.get("due", "")
            self.ping(
                assignee,
                ticket,
                t(key, **params, due=t(f"due-{due}") if due else "", reason=_reason(event.note)),
            )
        if change.reassigned and change.previous_assignee_id not in (None, actor_id):
            previous = self.session.get_one(Person, change.previous_assignee_id)
            self.replies.to(previous, t("notify-handed-over", **params))

    def _name(self, person_id: int | None) -> str:
        if person_id is None:
            return "-"
        person = self.session.get(Person, person_id)
        return person.name if person else "-"


def _reason(note: str) -> T | str:
    """System notes (overdue:respond) are keys; people's notes are shown as written."""
    if note.startswith("overdue:"):
        return t("reason-" + note.replace(":", "-"))
    return note
