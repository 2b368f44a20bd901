"""The ticket lifecycle: which action may move a ticket from which state, and by whom.

研交办督结 (study, assign, handle, supervise, close) as a table of transitions. Everything else
(routing, notification) builds on `check`, so a refused move is refused the same way everywhere.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from storage.models import TicketState

OPEN, IN_PROGRESS, RESOLVED, CLOSED = (
    TicketState.OPEN,
    TicketState.IN_PROGRESS,
    TicketState.RESOLVED,
    TicketState.CLOSED,
)


class Action(enum.StrEnum):
    """Everything that can happen to a ticket."""

    OPEN = "open"
    ACCEPT = "accept"
    NOTE = "note"
    ESCALATE = "escalate"
    TRANSFER = "transfer"
    RESOLVE = "resolve"
    RATE = "rate"
    REOPEN = "reopen"
    WITHDRAW = "withdraw"
    RECLASSIFY = "reclassify"
    REASSIGN = "reassign"
    SUPERVISE = "supervise"  # 督办
    REMIND = "remind"
    AUTO_CLOSE = "auto_close"
    ATTACH = "attach"  # another resident reported the same problem
    MERGE = "merge"  # staff fold this ticket into another about the same problem
    SPLIT = "split"  # staff take one resident's report out into a ticket of its own


class Actor(enum.StrEnum):
    """In what capacity someone acts on a ticket."""

    ASSIGNEE = "assignee"
    REPORTER = "reporter"
    STAFF = "staff"  # community or sub-district staff over the ticket's community
    SYSTEM = "system"


@dataclass(frozen=True)
class Move:
    """An allowed transition: from these states, by these actors, to a state (None: unchanged)."""

    sources: frozenset[str]
    actors: frozenset[Actor]
    target: str | None


ACTIVE = frozenset({OPEN, IN_PROGRESS})
_ANY_OPEN = frozenset({OPEN, IN_PROGRESS, RESOLVED})

MOVES: dict[Action, Move] = {
    Action.ACCEPT: Move(frozenset({OPEN}), frozenset({Actor.ASSIGNEE}), IN_PROGRESS),
    Action.NOTE: Move(ACTIVE, frozenset({Actor.ASSIGNEE, Actor.STAFF}), None),
    Action.ESCALATE: Move(ACTIVE, frozenset({Actor.ASSIGNEE, Actor.STAFF, Actor.SYSTEM}), OPEN),
    Action.TRANSFER: Move(ACTIVE, frozenset({Actor.ASSIGNEE, Actor.STAFF}), OPEN),
    Action.RESOLVE: Move(ACTIVE, frozenset({Actor.ASSIGNEE, Actor.STAFF}), RESOLVED),
    Action.RATE: Move(frozenset({RESOLVED}), frozenset({Actor.REPORTER}), CLOSED),
    Action.REOPEN: Move(frozenset({RESOLVED}), frozenset({Actor.REPORTER, Actor.STAFF}), OPEN),
    Action.WITHDRAW: Move(ACTIVE, frozenset({Actor.REPORTER}), CLOSED),
    Action.RECLASSIFY: Move(_ANY_OPEN, frozenset({Actor.STAFF, Actor.SYSTEM}), None),
    Action.REASSIGN: Move(ACTIVE, frozenset({Actor.STAFF}), OPEN),
    Action.SUPERVISE: Move(ACTIVE, frozenset({Actor.STAFF, Actor.SYSTEM}), None),
    Action.REMIND: Move(ACTIVE, frozenset({Actor.SYSTEM}), None),
    Action.AUTO_CLOSE: Move(frozenset({RESOLVED}), frozenset({Actor.SYSTEM}), CLOSED),
    Action.ATTACH: Move(ACTIVE, frozenset({Actor.SYSTEM, Actor.STAFF}), None),
    Action.MERGE: Move(ACTIVE, frozenset({Actor.STAFF}), CLOSED),
    Action.SPLIT: Move(ACTIVE, frozenset({Actor.STAFF}), None),
}


class Refused(Exception):
    """An action that the ticket's state or the actor's capacity does not allow.

    `reason` is a locale key the person is shown.
    """

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def check(action: Action, state: str, actors: set[Actor]) -> str:
    """The state after `action`, or Refused; `actors` are all capacities the person holds."""
    move = MOVES[action]
    if state not in move.sources:
        raise Refused("refused-state", state=state)
    if not actors & move.actors:
        raise Refused("refused-actor")
    return move.target or state


def allowed(state: str, actors: set[Actor]) -> list[Action]:
    """The actions open to someone now, in table order (what buttons to show)."""
    return [
        action for action, move in MOVES.items() if state in move.sources and actors & move.actors
    ]
