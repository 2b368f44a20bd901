"""The tallies, proven: exact thresholds (Civil Code art. 278 and the others), zero or missing
area, ties, changed votes, offline votes, a voter removed from the roll mid-vote."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.tally import (
    ABSTAIN,
    YES,
    Cast,
    Check,
    Count,
    Elector,
    Rule,
    Share,
    count,
    decide,
)

NO = "no"
ART278 = (Rule.ART278_SPECIAL, Rule.ART278_ORDINARY)

areas = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("400"), places=2).map(Fraction)
choices = st.sampled_from([YES, NO, ABSTAIN])


@st.composite
def rolls(draw: st.DrawFn, min_size: int = 1) -> list[Elector]:
    size = draw(st.integers(min_value=min_size, max_value=30))
    return [Elector(f"h{i}", draw(areas)) for i in range(size)]


@st.composite
def votes(draw: st.DrawFn) -> tuple[list[Elector], list[Cast]]:
    roll = draw(rolls())
    voters = draw(st.lists(st.sampled_from(roll), unique=True))
    casts = [Cast(e.key, draw(choices), draw(st.booleans())) for e in voters]
    return roll, casts


def reference_278(rule: Rule, roll: list[Elector], casts: list[Cast]) -> bool:
    """The article read literally, in integer arithmetic, without domain.tally."""
    final = {c.voter: c for c in casts}
    areas_of = {e.key: e.area or Fraction(0) for e in roll}
    roll_heads, roll_area = len(roll), sum(areas_of.values(), Fraction(0))
    voted = [v for v in final if v in areas_of]
    voted_heads, voted_area = len(voted), sum((areas_of[v] for v in voted), Fraction(0))
    yes = [v for v in voted if final[v].choice == YES]
    yes_heads, yes_area = len(yes), sum((areas_of[v] for v in yes), Fraction(0))
    if voted_heads == 0 or roll_area == 0:
        return False
    took_part = 3 * voted_area >= 2 * roll_area and 3 * voted_heads >= 2 * roll_heads
    if rule is Rule.ART278_SPECIAL:
        agreed = 4 * yes_area >= 3 * voted_area and 4 * yes_heads >= 3 * voted_heads
    else:
        agreed = 2 * yes_area > voted_area and 2 * yes_heads > voted_heads
    return took_part and agreed


@given(votes(), st.sampled_from(ART278))
def test_article_278_agrees_with_a_literal_reading(
    case: tuple[list[Elector], list[Cast]], rule: Rule
) -> None:
    roll, casts = case
    verdict = decide(rule, count(roll, casts))
    assert verdict.passed == reference_278(rule, roll, casts)
    assert [c.name for c in verdict.checks] == [
        "turnout-area",
        "turnout-heads",
        "agree-area",
        "agree-heads",
    ]


@given(st.integers(min_value=1, max_value=40), areas)
def test_participation_of_exactly_two_thirds_is_enough_and_one_less_is_not(
    k: int, area: Fraction
) -> None:
    roll = [Elector(f"h{i}", area) for i in range(3 * k)]
    exactly = [Cast(f"h{i}", YES) for i in range(2 * k)]
    verdict = decide(Rule.ART278_ORDINARY, count(roll, exactly))
    assert verdict.passed and verdict.reason == "passed"
    assert all(c.met for c in verdict.checks)
    short = decide(Rule.ART278_ORDINARY, count(roll, exactly[:-1]))
    assert not short.passed and short.reason == "turnout-area"


@given(st.integers(min_value=1, max_value=30), areas)
def test_major_matters_pass_at_exactly_three_quarters_of_participants(
    k: int, area: Fraction
) -> None:
    roll = [Elector(f"h{i}", area) for i in range(4 * k)]
    casts = [Cast(f"h{i}", YES if i < 3 * k else NO) for i in range(4 * k)]
    assert decide(Rule.ART278_SPECIAL, count(roll, casts)).passed
    casts[3 * k - 1] = Cast(f"h{3 * k - 1}", ABSTAIN)  # abstaining participants count against
    verdict = decide(Rule.ART278_SPECIAL, count(roll, casts))
    assert not verdict.passed and verdict.reason == "agree-area"


@given(st.integers(min_value=1, max_value=30), areas)
def test_other_matters_need_more_than_half_exactly_half_fails(k: int, area: Fraction) -> None:
    roll = [Elector(f"h{i}", area) for i in range(2 * k)]
    half = [Cast(f"h{i}", YES if i < k else NO) for i in range(2 * k)]
    verdict = decide(Rule.ART278_ORDINARY, count(roll, half))
    assert not verdict.passed and verdict.reason == "tie"
    half[k] = Cast(f"h{k}", YES)
    assert decide(Rule.ART278_ORDINARY, count(roll, half)).passed


def test_area_and_heads_are_separate_thresholds() -> None:
    """Two small flats and one large one: the heads pass, the area does not."""
    roll = [Elector("a", Fraction(50)), Elector("b", Fraction(50)), Elector("c", Fraction(200))]
    casts = [Cast("a", YES), Cast("b", YES)]  # 2/3 of the owners, 1/3 of the area
    verdict = decide(Rule.ART278_ORDINARY, count(roll, casts))
    named = {c.name: c.met for c in verdict.checks}
    assert named == {
        "turnout-area": False,
        "turnout-heads": True,
        "agree-area": True,
        "agree-heads": True,
    }
    assert verdict.reason == "turnout-area"


def test_areas_are_exact_decimals_not_floats() -> None:
    """0.1 + 0.2 of floor area is 0.3 exactly: a float would miss the 2/3 mark here."""
    roll = [Elector("a", Fraction("0.1")), Elector("b", Fraction("0.2")), Elector("c", None)]
    assert count(roll, []).roll.area == Fraction(3, 10)
    thirds = [Elector(k, Fraction("33.33")) for k in "abc"]
    verdict = decide(Rule.ART278_SPECIAL, count(thirds, [Cast("a", YES), Cast("b", YES)]))
    assert verdict.passed


@given(votes())
def test_missing_area_leaves_an_area_count_undecided(
    case: tuple[list[Elector], list[Cast]],
) -> None:
    roll, casts = case
    assume(casts)
    holey = [Elector(roll[0].key, None), *roll[1:]]
    verdict = decide(Rule.ART278_ORDINARY, count(holey, casts))
    assert not verdict.passed and verdict.reason == "missing-area"
    # by head, missing area does not matter
    assert decide(Rule.MAJORITY, count(holey, casts)) == decide(Rule.MAJORITY, count(roll, casts))


@given(st.integers(min_value=1, max_value=10))
def test_zero_floor_area_cannot_be_counted_by_area(size: int) -> None:
    roll = [Elector(f"h{i}", Fraction(0)) for i in range(size)]
    casts = [Cast(e.key, YES) for e in roll]
    verdict = decide(Rule.ART278_ORDINARY, count(roll, casts))
    assert not verdict.passed and verdict.reason == "no-area"
    assert all(not c.met for c in verdict.checks if c.name.endswith("area"))


@given(st.integers(min_value=1, max_value=20), st.integers(min_value=0, max_value=5))
def test_a_tie_never_passes(n: int, abstaining: int) -> None:
    roll = [Elector(f"h{i}") for i in range(2 * n + abstaining)]
    casts = [Cast(f"h{i}", YES if i < n else NO) for i in range(2 * n)]
    casts += [Cast(f"h{2 * n + i}", ABSTAIN) for i in range(abstaining)]
    for rule in (Rule.MAJORITY, Rule.QUORUM):
        verdict = decide(rule, count(roll, casts), quorum=Fraction(1, 10))
        assert not verdict.passed and verdict.reason == "tie"


def test_custom_options_tie_and_plurality() -> None:
    roll = [Elector(f"h{i}") for i in range(6)]
    tie = [Cast("h0", "A"), Cast("h1", "A"), Cast("h2", "B"), Cast("h3", "B")]
    assert decide(Rule.MAJORITY, count(roll, tie), question=False).reason == "tie"
    plurality = [*tie, Cast("h4", "A")]
    verdict = decide(Rule.MAJORITY, count(roll, plurality), question=False)
    assert verdict.passed and verdict.choice == "A"
    split = [Cast("h0", "A"), Cast("h1", "A"), Cast("h2", "B"), Cast("h3", "C")]
    verdict = decide(Rule.MAJORITY, count(roll, split), question=False)
    assert not verdict.passed and verdict.reason == "agree-heads"  # 2 of 4 is not more than half


@given(votes(), st.data())
def test_only_the_last_of_changed_votes_counts(
    case: tuple[list[Elector], list[Cast]], data: st.DataObject
) -> None:
    roll, casts = case
    earlier = [Cast(c.voter, data.draw(choices), c.offline) for c in casts]
    history = data.draw(st.permutations(earlier)) + casts
    assert count(roll, history) == count(roll, casts)


@given(votes())
def test_offline_votes_count_like_online_ones_and_are_marked(
    case: tuple[list[Elector], list[Cast]],
) -> None:
    roll, casts = case
    online = [Cast(c.voter, c.choice) for c in casts]
    with_paper, without = count(roll, casts), count(roll, online)
    assert with_paper.choices == without.choices and with_paper.voted == without.voted
    assert with_paper.offline == sum(c.offline for c in casts)
    for rule in Rule:
        assert decide(rule, with_paper).passed == decide(rule, without).passed


@given(votes(), st.data())
def test_a_voter_removed_mid_vote_is_as_if_never_on_the_roll(
    case: tuple[list[Elector], list[Cast]], data: st.DataObject
) -> None:
    roll, casts = case
    assume(len(roll) > 1)
    gone = data.draw(st.sampled_from(roll))
    remaining = [e for e in roll if e.key != gone.key]
    after = count(remaining, casts)
    never = count(remaining, [c for c in casts if c.voter != gone.key])
    assert after.roll == never.roll and after.voted == never.voted
    assert after.choices == never.choices
    assert after.not_counted == (1 if any(c.voter == gone.key for c in casts) else 0)
    for rule in Rule:
        assert decide(rule, after) == decide(rule, never)


@given(votes(), st.sampled_from(list(Rule)))
def test_one_more_yes_never_turns_a_pass_into_a_failure(
    case: tuple[list[Elector], list[Cast]], rule: Rule
) -> None:
    roll, casts = case
    voted = {c.voter for c in casts}
    newcomer = next((e for e in roll if e.key not in voted), None)
    assume(newcomer is not None)
    assert newcomer is not None
    before = decide(rule, count(roll, casts))
    after = decide(rule, count(roll, [*casts, Cast(newcomer.key, YES)]))
    assert not before.passed or after.passed


@given(votes(), st.integers(min_value=1, max_value=1000), st.sampled_from(ART278))
def test_scaling_every_area_changes_nothing(
    case: tuple[list[Elector], list[Cast]], factor: int, rule: Rule
) -> None:
    roll, casts = case
    scaled = [Elector(e.key, (e.area or Fraction(0)) * factor) for e in roll]
    assert decide(rule, count(roll, casts)).passed == decide(rule, count(scaled, casts)).passed


@given(
    st.fractions(min_value=0, max_value=100),
    st.fractions(min_value=0, max_value=100),
    st.sampled_from([Fraction(1, 2), Fraction(2, 3), Fraction(3, 4)]),
    st.booleans(),
)
def test_a_check_compares_exactly(
    value: Fraction, base: Fraction, threshold: Fraction, strict: bool
) -> None:
    met = Check("agree-area", value, base, threshold, strict).met
    if base == 0:
        assert not met
    elif strict:
        assert met == (value / base > threshold)
    else:
        assert met == (value / base >= threshold)


def test_quorum_rule_needs_turnout_then_a_share() -> None:
    roll = [Elector(f"p{i}") for i in range(10)]
    four = [Cast(f"p{i}", YES) for i in range(4)]
    verdict = decide(Rule.QUORUM, count(roll, four), quorum=Fraction(1, 2), share=Fraction(1, 2))
    assert verdict.reason == "turnout-heads"
    five = [*four, Cast("p4", NO)]
    verdict = decide(Rule.QUORUM, count(roll, five), quorum=Fraction(1, 2), share=Fraction(1, 2))
    assert verdict.passed


def test_nobody_voting_is_said_plainly() -> None:
    roll = [Elector("a", Fraction(80))]
    for rule in Rule:
        assert decide(rule, count(roll, [])).reason == "no-votes"


def test_a_secret_count_built_from_totals_decides_like_named_ballots() -> None:
    roll = [Elector("a", Fraction(60)), Elector("b", Fraction(90)), Elector("c", Fraction(90))]
    casts = [Cast("a", YES), Cast("b", YES), Cast("c", NO)]
    named = count(roll, casts)
    totals = Count(
        roll=Share(3, Fraction(240)),
        voted=Share(3, Fraction(240)),
        choices={YES: Share(2, Fraction(150)), NO: Share(1, Fraction(90))},
    )
    for rule in Rule:
        assert decide(rule, totals) == decide(rule, named)


@pytest.mark.parametrize("rule", list(Rule))
def test_abstaining_alone_passes_nothing(rule: Rule) -> None:
    roll = [Elector("a", Fraction(1)), Elector("b", Fraction(1))]
    verdict = decide(rule, count(roll, [Cast("a", ABSTAIN), Cast("b", ABSTAIN)]))
    assert not verdict.passed and verdict.choice is None
