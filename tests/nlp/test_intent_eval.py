"""Floors on the intent evaluation sets; intent_test.csv is held out (never tuned on).

Run with ``-s`` to see the figures: ``pytest tests/nlp/test_intent_eval.py -s``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from nlp import Classifier
from nlp.cli import classify_command
from nlp.intent import IntentReader
from nlp.intent_eval import DEV, SAMPLE_ORG, TEST, IntentScore, evaluate_intents, intent_group
from nlp.places import PlaceIndex
from nlp.records import read_records


@pytest.fixture(scope="module")
def reader() -> IntentReader:
    return IntentReader(Classifier.load(), PlaceIndex.from_file(SAMPLE_ORG))


def _score(reader: IntentReader, path: Path) -> IntentScore:
    score = evaluate_intents(reader, read_records(path))
    print("\n" + score.format(path.name))
    return score


def test_the_sets_cover_every_intent() -> None:
    for path in (DEV, TEST):
        intents = {row["intent"] for row in read_records(path)}
        assert intents >= {"status", "ticket", "chatter", "address", "answer", "problem"}


def test_floors_on_the_dev_set(reader: IntentReader) -> None:
    score = _score(reader, DEV)
    assert score.rows >= 120
    assert score.intent_accuracy >= 0.97, score.misses
    assert score.split_accuracy >= 0.95, score.misses
    assert score.place_accuracy >= 0.95, score.misses
    assert score.ticket_accuracy == 1.0, score.misses


def test_floors_on_the_held_out_set(reader: IntentReader) -> None:
    score = _score(reader, TEST)
    assert score.rows >= 70
    assert score.intent_accuracy >= 0.95
    assert score.split_accuracy >= 0.90
    assert score.place_accuracy >= 0.95
    assert score.ticket_accuracy >= 0.95


def test_linli_intent_evaluate_prints_both_sets() -> None:
    result = CliRunner().invoke(intent_group, ["evaluate"])
    assert result.exit_code == 0, result.output
    assert "intent_dev.csv" in result.output and "intent_test.csv" in result.output
    assert "intent accuracy" in result.output


def test_linli_classify_shows_the_intent_and_the_places(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "text\n我报的事怎么样了\n6栋后面垃圾堆了好几天没人清 还有小区北门的路灯不亮\n在吗\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        classify_command,
        ["--input", str(source), "--org", str(SAMPLE_ORG), "--home", "TD/铜都花园"],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.output.splitlines()))
    assert [r["intent"] for r in rows] == ["status", "problem", "chatter"]
    assert rows[1]["problems"] == "2"
    assert rows[1]["places"] == "铜都花园 6栋|铜都花园 北门"
    assert rows[1]["objects"] == "rubbish|light"
    assert "service.environment" in rows[1]["why"]


def test_linli_classify_refuses_an_unreadable_org(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("text\n在吗\n", encoding="utf-8")
    bad = tmp_path / "org.yaml"
    bad.write_text("communities: [{name: x}]\n", encoding="utf-8")
    result = CliRunner().invoke(classify_command, ["--input", str(source), "--org", str(bad)])
    assert result.exit_code != 0
    assert "cannot read the places of" in result.output
