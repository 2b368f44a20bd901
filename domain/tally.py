"""Counting a vote the way the rules count it: by head, by floor area, or both (pure functions).

Every threshold and area is a `Fraction` (areas come from the owners' roll as decimals), so a
vote exactly at 2/3 is never lost to rounding. Chinese law reads 「以上」 as "at least" (Civil
Code art. 1259: 以上 includes the number itself) and 「过半数」 as "more than half".

Rules, chosen per topic:

- ``majority``: the leading choice has more than half of the votes cast for a choice
  (abstentions are not votes for or against).
- ``quorum``: at least ``quorum`` of the eligible voters take part, and the leading choice has
  more than ``share`` of the votes cast for a choice.
- ``art278_special`` / ``art278_ordinary``: the owners' rules of the Civil Code art. 278. At least
  2/3 of the exclusive floor area AND at least 2/3 of the owners take part; then, for raising
  maintenance funds, rebuilding or altering buildings and facilities, or changing the use of
  common parts (special), at least 3/4 of the participating area AND 3/4 of the participating
  owners agree; for other matters (ordinary), more than half of each. Participants who abstain
  count in the base: they took part and did not agree.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

ABSTAIN = "abstain"
YES = "yes"
ZERO = Fraction(0)


class Rule(enum.StrEnum):
    """How a topic's vote is decided."""

    MAJORITY = "majority"
    QUORUM = "quorum"
    ART278_SPECIAL = "art278_special"
    ART278_ORDINARY = "art278_ordinary"

    @property
    def by_area(self) -> bool:
        return self in (Rule.ART278_SPECIAL, Rule.ART278_ORDINARY)


@dataclass(frozen=True)
class Elector:
    """One entry of the roll: a person or a household; `area` None when the roll lacks it."""

    key: str
    area: Fraction | None = None


@dataclass(frozen=True)
class Cast:
    """One vote as cast (in order: a later cast by the same voter replaces an earlier one)."""

    voter: str
    choice: str
    offline: bool = False


@dataclass(frozen=True)
class Share:
    """Heads and floor area behind one choice (or behind participation)."""

    heads: int = 0
    area: Fraction = ZERO

    def __add__(self, other: Share) -> Share:
        return Share(self.heads + other.heads, self.area + other.area)

    def __sub__(self, other: Share) -> Share:
        return Share(self.heads - other.heads, self.area - other.area)


@dataclass(frozen=True)
class Count:
    """Everything a verdict needs: the roll, who took part, and what each choice got.

    For a secret ballot this is all that is ever stored (totals, not ballots).
    """

    roll: Share
    voted: Share
    choices: Mapping[str, Share]
    offline: int = 0  # participants whose vote was collected on paper or door to door
    missing_area: int = 0  # roll entries without a floor area
    not_counted: int = 0  # casts by people no longer on the roll


def count(electors: Sequence[Elector], casts: Iterable[Cast]) -> Count:
    """Count named casts against the roll: the last cast per voter counts; voters not on the
    roll (never, or removed mid-vote) are left out and reported as `not_counted`."""
    roll = {e.key: e for e in electors}
    last: dict[str, Cast] = {}
    for cast in casts:
        last[cast.voter] = cast
    choices: dict[str, Share] = {}
    voted = Share()
    offline = not_counted = 0
    for voter, cast in last.items():
        elector = roll.get(voter)
        if elector is None:
            not_counted += 1
            continue
        weight = Share(1, elector.area or ZERO)
        voted += weight
        choices[cast.choice] = choices.get(cast.choice, Share()) + weight
        offline += cast.offline
    return Count(
        roll=Share(len(roll), sum((e.area or ZERO for e in roll.values()), ZERO)),
        voted=voted,
        choices=choices,
        offline=offline,
        missing_area=sum(1 for e in roll.values() if e.area is None),
        not_counted=not_counted,
    )


@dataclass(frozen=True)
class Check:
    """One threshold: `value` out of `base` against `threshold`, inclusive or strictly above."""

    name: str  # turnout-heads | turnout-area | agree-heads | agree-area
    value: Fraction
    base: Fraction
    threshold: Fraction
    strict: bool

    @property
    def met(self) -> bool:
        if self.base <= 0:
            return False
        if self.strict:
            return self.value > self.threshold * self.base
        return self.value >= self.threshold * self.base


@dataclass(frozen=True)
class Verdict:
    """The outcome and why: every check with its numbers, the winning choice if any."""

    rule: Rule
    passed: bool
    choice: str | None  # the leading choice the checks were applied to
    reason: str  # passed | no-votes | tie | no-area | missing-area | <first failed check>
    checks: tuple[Check, ...] = field(default=())


TWO_THIRDS = Fraction(2, 3)
THREE_QUARTERS = Fraction(3, 4)
HALF = Fraction(1, 2)


def leader(choices: Mapping[str, Share], *, by_area: bool) -> tuple[str | None, bool]:
    """The choice with most heads (then area), not abstaining; and whether it is tied."""
    ranked = sorted(
        ((c, s) for c, s in choices.items() if c != ABSTAIN and s.heads > 0),
        key=lambda item: (item[1].heads, item[1].area if by_area else 0),
        reverse=True,
    )
    if not ranked:
        return None, False
    top = ranked[0]
    if len(ranked) > 1:
        second = ranked[1]
        same = second[1].heads == top[1].heads
        if same and (not by_area or second[1].area == top[1].area):
            return top[0], True
    return top[0], False


def decide(
    rule: Rule,
    tally: Count,
    *,
    quorum: Fraction = HALF,
    share: Fraction = HALF,
    question: bool = True,
) -> Verdict:
    """Apply `rule` to a count. `question`: the options are yes / no / abstain, so only "yes"
    can pass; otherwise the leading custom option is tested."""
    choices = tally.choices
    if question:
        top: str | None = YES if choices.get(YES, Share()).heads > 0 else None
        others = [s for c, s in choices.items() if c not in (YES, ABSTAIN)]
        yes = choices.get(YES, Share())
        tied = top is not None and any(
            s.heads == yes.heads and (not rule.by_area or s.area == yes.area) for s in others
        )
    else:
        top, tied = leader(choices, by_area=rule.by_area)
    agree = choices.get(top, Share()) if top else Share()
    cast_for = sum(
        (s for c, s in choices.items() if c != ABSTAIN), Share()
    )  # votes for some choice
    checks: list[Check]
    if rule is Rule.MAJORITY:
        checks = [Check("agree-heads", Fraction(agree.heads), Fraction(cast_for.heads), HALF, True)]
    elif rule is Rule.QUORUM:
        checks = [
            Check(
                "turnout-heads",
                Fraction(tally.voted.heads),
                Fraction(tally.roll.heads),
                quorum,
                False,
            ),
            Check("agree-heads", Fraction(agree.heads), Fraction(cast_for.heads), share, True),
        ]
    else:
        special = rule is Rule.ART278_SPECIAL
        need, strict = (THREE_QUARTERS, False) if special else (HALF, True)
        checks = [
            Check("turnout-area", tally.voted.area, tally.roll.area, TWO_THIRDS, False),
            Check(
                "turnout-heads",
                Fraction(tally.voted.heads),
                Fraction(tally.roll.heads),
                TWO_THIRDS,
                False,
            ),
            Check("agree-area", agree.area, tally.voted.area, need, strict),
            Check("agree-heads", Fraction(agree.heads), Fraction(tally.voted.heads), need, strict),
        ]
    reason = "passed"
    if tally.voted.heads == 0:
        reason = "no-votes"
    elif rule.by_area and tally.missing_area:
        reason = "missing-area"
    elif rule.by_area and tally.roll.area <= 0:
        reason = "no-area"
    elif tied:
        reason = "tie"
    elif top is None:
        reason = "agree-heads"
    else:
        failed = next((c for c in checks if not c.met), None)
        if failed is not None:
            reason = failed.name
    return Verdict(rule, reason == "passed", top, reason, tuple(checks))
