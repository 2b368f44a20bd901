"""Every allowed and every refused transition of the ticket lifecycle."""

from __future__ import annotations

import itertools

import pytest

from domain.lifecycle import MOVES, Action, Actor, Refused, allowed, check
from storage.models import TicketState

STATES = [s.value for s in TicketState]

# The table as the plan reads: (action, from-state, actor) → to-state. Everything else is refused.
EXPECTED = {
    (Action.ACCEPT, "open", Actor.ASSIGNEE): "in_progress",
    **{
        (Action.NOTE, s, a): s
        for s in ("open", "in_progress")
        for a in (Actor.ASSIGNEE, Actor.STAFF)
    },
    **{
        (Action.ESCALATE, s, a): "open"
        for s in ("open", "in_progress")
        for a in (Actor.ASSIGNEE, Actor.STAFF, Actor.SYSTEM)
    },
    **{
        (Action.TRANSFER, s, a): "open"
        for s in ("open", "in_progress")
        for a in (Actor.ASSIGNEE, Actor.STAFF)
    },
    **{
        (Action.RESOLVE, s, a): "resolved"
        for s in ("open", "in_progress")
        for a in (Actor.ASSIGNEE, Actor.STAFF)
    },
    (Action.RATE, "resolved", Actor.REPORTER): "closed",
    (Action.REOPEN, "resolved", Actor.REPORTER): "open",
    (Action.REOPEN, "resolved", Actor.STAFF): "open",
    **{(Action.WITHDRAW, s, Actor.REPORTER): "closed" for s in ("open", "in_progress")},
    **{
        (Action.RECLASSIFY, s, a): s
        for s in ("open", "in_progress", "resolved")
        for a in (Actor.STAFF, Actor.SYSTEM)
    },
    **{(Action.REASSIGN, s, Actor.STAFF): "open" for s in ("open", "in_progress")},
    **{
        (Action.SUPERVISE, s, a): s
        for s in ("open", "in_progress")
        for a in (Actor.STAFF, Actor.SYSTEM)
    },
    **{(Action.REMIND, s, Actor.SYSTEM): s for s in ("open", "in_progress")},
    (Action.AUTO_CLOSE, "resolved", Actor.SYSTEM): "closed",
    **{
        (Action.ATTACH, s, a): s
        for s in ("open", "in_progress")
        for a in (Actor.SYSTEM, Actor.STAFF)
    },
    **{(Action.MERGE, s, Actor.STAFF): "closed" for s in ("open", "in_progress")},
    **{(Action.SPLIT, s, Actor.STAFF): s for s in ("open", "in_progress")},
}

CASES = [
    (action, state, actor) for action, state, actor in itertools.product(MOVES, STATES, list(Actor))
]


@pytest.mark.parametrize(("action", "state", "actor"), CASES)
def test_transition(action: Action, state: str, actor: Actor) -> None:
    expected = EXPECTED.get((action, state, actor))
    if expected is None:
        with pytest.raises(Refused):
            check(action, state, {actor})
    else:
        assert check(action, state, {actor}) == expected


def test_closed_tickets_allow_nothing() -> None:
    assert allowed("closed", set(Actor)) == []


def test_refusal_says_why() -> None:
    with pytest.raises(Refused) as wrong_state:
        check(Action.ACCEPT, "resolved", {Actor.ASSIGNEE})
    assert wrong_state.value.reason == "refused-state"
    with pytest.raises(Refused) as wrong_actor:
        check(Action.ACCEPT, "open", {Actor.REPORTER})
    assert wrong_actor.value.reason == "refused-actor"


def test_several_capacities_combine() -> None:
    """A community worker who reported a problem may still rate it as its reporter."""
    assert check(Action.RATE, "resolved", {Actor.STAFF, Actor.REPORTER}) == "closed"
