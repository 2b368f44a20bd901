"""Floors on the held-out part (split == test) of the dev set; the rules were tuned on dev."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from nlp import Classification, Classifier
from nlp.rules import DEFAULT_RULES, load_rules

DEVSET = Path(__file__).resolve().parents[2] / "nlp" / "data" / "devset.csv"


def _rows(split: str | None = None) -> list[dict[str, str]]:
    with DEVSET.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if split is None or r["split"] == split]


def test_devset_covers_the_taxonomy() -> None:
    rows = _rows()
    assert len(rows) >= 400
    assert list(rows[0]) == ["text", "category", "request_type", "urgency", "emergency", "split"]
    per_category = Counter(r["category"] for r in rows)
    for code in load_rules(DEFAULT_RULES).categories:
        assert per_category[code] >= 15, code
    assert per_category["none"] >= 15
    assert {r["request_type"] for r in rows} == {
        "",
        "consult",
        "help",
        "complaint",
        "report",
        "suggestion",
    }
    assert {r["urgency"] for r in rows} == {"emergency", "key", "routine"}
    assert {r["emergency"] for r in rows} == {"", "police", "fire", "medical"}
    assert len({r["text"] for r in rows}) == len(rows)
    assert Counter(r["split"] for r in rows)["test"] >= 120


@pytest.fixture(scope="module")
def held_out(classifier: Classifier) -> list[tuple[dict[str, str], Classification]]:
    return [(r, classifier.classify(r["text"])) for r in _rows("test")]


def _share(pairs: list[tuple[dict[str, str], Classification]], field: str) -> float:
    hits = sum(1 for r, res in pairs if r[field] == (getattr(res, field) or ""))
    return hits / len(pairs)


def test_held_out_category_accuracy(held_out: list[tuple[dict[str, str], Classification]]) -> None:
    assert _share(held_out, "category") >= 0.89  # measured 0.919 (docs/classifier.md)


def test_held_out_request_type_and_urgency(
    held_out: list[tuple[dict[str, str], Classification]],
) -> None:
    assert _share(held_out, "request_type") >= 0.80  # measured 0.830
    assert _share(held_out, "urgency") >= 0.89  # measured 0.911


def test_every_emergency_is_flagged_with_its_kind(classifier: Classifier) -> None:
    rows = [r for r in _rows() if r["emergency"]]
    assert len(rows) >= 15
    for r in rows:
        assert classifier.classify(r["text"]).emergency == r["emergency"], r["text"]


def test_no_false_emergency_on_held_out(
    held_out: list[tuple[dict[str, str], Classification]],
) -> None:
    false = [r["text"] for r, res in held_out if not r["emergency"] and res.emergency]
    assert false == []
