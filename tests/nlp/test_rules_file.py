"""The rules file: the default implements the taxonomy; a bad file names its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import Classifier, RulesError
from nlp.rules import DEFAULT_RULES, load_rules

TAXONOMY = {
    "dispute.neighbour": "dispute",
    "dispute.property": "dispute",
    "dispute.family": "dispute",
    "dispute.labour": "dispute",
    "dispute.consumer": "dispute",
    "dispute.renovation": "dispute",
    "service.environment": "service",
    "service.facility": "service",
    "service.renovation": "service",
    "service.elderly": "service",
    "service.children": "service",
    "service.employment": "service",
    "service.government": "service",
    "service.assistance": "service",
    "service.parking": "service",
    "service.safety": "service",
    "service.enforcement": "service",
    "service.other": "service",
}


def test_default_rules_cover_the_taxonomy(classifier: Classifier) -> None:
    rules = load_rules(DEFAULT_RULES)
    assert set(classifier.categories) == set(TAXONOMY)
    for code, family in TAXONOMY.items():
        spec = rules.categories[code]
        assert spec.family == family, code
        assert spec.routing, f"{code} has no routing hint"
    assert set(rules.request_types) == {"consult", "help", "complaint", "report", "suggestion"}
    assert set(rules.emergency) == {"police", "fire", "medical"}
    assert rules.fallback == "service.other"
    assert rules.none is not None and rules.none.keywords


GOOD_HEAD = """\
version: 1
threshold: 0.4
fallback: b
categories:
  a:
    keywords: {楼道灯: 3}
  b:
    keywords: {垃圾: 2}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        # a weight that is not a number: the keyword's own line
        (GOOD_HEAD + "  c:\n    keywords:\n      路灯: 3\n      坏了: lots\n", 12, "坏了"),
        # a category the fallback does not name
        (GOOD_HEAD.replace("fallback: b", "fallback: zz"), 3, "fallback"),
        # a regular expression that does not compile
        (GOOD_HEAD + "  c:\n    patterns:\n      - {regex: '(open', weight: 2}\n", 11, "regular"),
        # a misspelt field
        (GOOD_HEAD + "  c:\n    keyword: {路灯: 3}\n", 10, "keyword"),
        # the same keyword twice in one mapping
        (GOOD_HEAD + "  c:\n    keywords:\n      路灯: 3\n      路灯: 2\n", 12, "duplicate"),
        # not YAML at all
        (GOOD_HEAD + "  c: [unclosed\n", 10, "YAML"),
    ],
)
def test_bad_rules_file_names_file_and_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(RulesError) as info:
        Classifier.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert words in message
    assert info.value.line == line


def test_missing_rules_file_is_a_rules_error(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "nope.yaml")


def test_minimal_rules_file_classifies(tmp_path: Path) -> None:
    clf = Classifier.load(_write(tmp_path, GOOD_HEAD))
    assert clf.categories == ("a", "b")
    assert clf.classify("楼道灯不亮").category == "a"
    assert clf.classify("垃圾没人收").category == "b"
    # nothing matches and there is no chatter section: the fallback
    assert clf.classify("今天天气不错").category == "b"
