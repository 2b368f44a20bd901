"""Same-problem joining by meaning, measured on labelled pairs (nlp/data/join_*.csv).

join_test.csv is held out (never tuned on). Run with ``-s`` for the figures.
"""

from __future__ import annotations

from sqlmodel import Session

from domain.clock import ManualClock
from domain.same_problem import SameProblemPolicy
from tests.domain.join_eval import evaluate_joins, read_pairs, with_sample_org

POLICY = SameProblemPolicy()


def test_the_pair_sets_hold_both_kinds() -> None:
    for name in ("join_dev.csv", "join_test.csv"):
        labels = [p["same"] for p in read_pairs(name)]
        assert labels.count("1") >= 15 and labels.count("0") >= 15, name


def test_floors_on_the_dev_pairs(session: Session, clock: ManualClock) -> None:
    with_sample_org(session, clock)
    score = evaluate_joins(session, clock, read_pairs("join_dev.csv"), POLICY)
    print("\n" + score.format("join_dev.csv"))
    assert score.precision >= 0.95, score.misses
    assert score.recall >= 0.9, score.misses


def test_floors_on_the_held_out_pairs(session: Session, clock: ManualClock) -> None:
    with_sample_org(session, clock)
    score = evaluate_joins(session, clock, read_pairs("join_test.csv"), POLICY)
    print("\n" + score.format("join_test.csv"))
    assert score.precision >= 0.9
    assert score.recall >= 0.85


def test_meaning_finds_what_wording_alone_missed(session: Session, clock: ManualClock) -> None:
    """The same pairs judged by wording alone (as reports were kept before): far fewer joins."""
    with_sample_org(session, clock)
    pairs = read_pairs("join_dev.csv") + read_pairs("join_test.csv")
    meaning = evaluate_joins(session, clock, pairs, POLICY)
    wording = evaluate_joins(session, clock, pairs, POLICY, wording_only=True)
    print("\n" + meaning.format("meaning") + "\n" + wording.format("wording only"))
    assert meaning.recall >= wording.recall + 0.4
    assert meaning.precision > wording.precision
