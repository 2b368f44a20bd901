"""The CLI contract: learn rules on labelled rows, evaluate them, classify with them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nlp import Classifier
from nlp.cli import classify_command, rules_group

DEVSET = Path(__file__).resolve().parents[2] / "nlp" / "data" / "devset.csv"

LABELLED = {
    "水电": [
        "楼里又停水了",
        "今天停水一整天",
        "停电了冰箱都坏了",
        "晚上突然停电",
        "水管爆了停水",
        "又停电又停水",
        "停水停电太频繁",
        "小区停电没有通知",
    ],
    "噪音": [
        "楼上噪音太大",
        "半夜噪音吵得睡不着",
        "广场舞噪音扰民",
        "装修噪音从早到晚",
        "邻居噪音影响休息",
        "工地噪音半夜不停",
        "噪音扰民没人管",
        "楼下噪音很吵",
    ],
    "停车": [
        "小区乱停车",
        "车位被占了乱停车",
        "门口乱停车堵路",
        "外来车辆乱停车",
        "乱停车堵住消防通道",
        "车位不够乱停车",
        "晚上乱停车挡路",
        "乱停车没人管",
    ],
}


@pytest.fixture
def labelled_csv(tmp_path: Path) -> Path:
    path = tmp_path / "history.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "label"])
        n = 0
        for label, texts in LABELLED.items():
            for text in texts:
                n += 1
                writer.writerow([n, text, label])
        writer.writerow([n + 1, "", "水电"])  # an empty title must not break anything
    return path


def test_learn_evaluate_classify_round_trip(labelled_csv: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    rules = tmp_path / "learned.yaml"
    learned = runner.invoke(
        rules_group,
        [
            "learn",
            "--input",
            str(labelled_csv),
            "--text-column",
            "title",
            "--label-column",
            "label",
            "--output",
            str(rules),
            "--max-keywords-per-label",
            "5",
        ],
    )
    assert learned.exit_code == 0, learned.output
    text = rules.read_text(encoding="utf-8")
    assert "停电" in text and "噪音" in text and "停车" in text
    clf = Classifier.load(rules)  # the engine loads what learn wrote
    assert set(clf.categories) == set(LABELLED)
    for spec in clf.rules.categories.values():
        assert len(spec.keywords) + len(spec.negative) <= 5

    evaluated = runner.invoke(
        rules_group,
        [
            "evaluate",
            "--rules",
            str(rules),
            "--input",
            str(labelled_csv),
            "--text-column",
            "title",
            "--label-column",
            "label",
            "--json",
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.output)
    assert report["n"] == 24  # the row without a title is left out
    assert report["accuracy"] >= 0.9
    assert set(report["labels"]) == set(LABELLED)
    assert report["confusion"]["停车"]["停车"] >= 7

    plain = runner.invoke(
        rules_group,
        ["evaluate", "--rules", str(rules), "--input", str(labelled_csv), "--text-column", "title"],
    )
    assert plain.exit_code == 0
    assert "macro-F1" in plain.output and "confusion" in plain.output

    out = tmp_path / "out.csv"
    classified = runner.invoke(
        classify_command,
        [
            "--input",
            str(labelled_csv),
            "--text-column",
            "title",
            "--output",
            str(out),
            "--rules",
            str(rules),
        ],
    )
    assert classified.exit_code == 0, classified.output
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 25  # one output row per input row, the empty one included
    assert list(rows[0]) == [
        "text",
        "category",
        "family",
        "request_type",
        "urgency",
        "emergency",
        "score",
        "keywords",
        *("intent", "problems", "places", "objects", "why"),  # the intent step's columns
    ]
    assert rows[0]["category"] == "水电"
    term, weight = rows[0]["keywords"].split(";")[0].split(":")
    assert term and float(weight) > 0


def test_classify_json_lines_from_stdin_with_default_rules() -> None:
    lines = [
        {"msg": "3号楼2单元楼道灯坏了", "id": 1},
        {"msg": "楼下着火了，好大的烟", "id": 2},
        {"msg": "收到", "id": 3},
        {"msg": "电话13812345678", "id": 4},
    ]
    stdin = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    result = CliRunner().invoke(
        classify_command,
        ["--input", "-", "--text-column", "msg", "--output", "-", "--mask-pii"],
        input=stdin,
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["category"] for r in rows[:3]] == ["service.facility", "service.safety", "none"]
    assert rows[0]["family"] == "service"
    assert rows[1]["emergency"] == "fire" and rows[1]["urgency"] == "emergency"
    assert rows[2]["emergency"] == ""
    assert rows[3]["text"] == "电话138****5678"
    assert "楼道灯:3" in rows[0]["keywords"]


def test_holdout_split_is_shared_by_learn_and_evaluate(tmp_path: Path) -> None:
    runner = CliRunner()
    rules = tmp_path / "dev.yaml"
    common = ["--input", str(DEVSET), "--text-column", "text", "--label-column", "category"]
    split = ["--holdout", "0.3", "--seed", "7"]
    learned = runner.invoke(
        rules_group,
        ["learn", *common, *split, "--output", str(rules), "--max-keywords-per-label", "30"],
    )
    assert learned.exit_code == 0, learned.output
    assert "held out 128 rows" in learned.output
    evaluate = ["evaluate", "--rules", str(rules), *common, "--json"]
    held = runner.invoke(rules_group, [*evaluate, *split])
    everything = runner.invoke(rules_group, evaluate)
    held_report = json.loads(held.output)
    all_report = json.loads(everything.output)
    assert held_report["n"] == 128
    assert all_report["n"] == 425
    # rules learned from 300 short messages generalise, but less well than they fit
    assert 0.3 <= held_report["accuracy"] < all_report["accuracy"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text-column", "nope"], "no column 'nope'"),
        (["--rules", "/nonexistent/rules.yaml"], "cannot read rules file"),
    ],
)
def test_classify_errors_are_clear(labelled_csv: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(
        classify_command, ["--input", str(labelled_csv), "--text-column", "title", *args]
    )
    assert result.exit_code != 0
    assert message in result.output


def _learned_on_a_split(labelled_csv: Path, tmp_path: Path) -> tuple[CliRunner, list[str]]:
    """Learn rules on a seeded split; the arguments that evaluate them on the same split."""
    runner = CliRunner()
    rules = tmp_path / "learned.yaml"
    common = ["--input", str(labelled_csv), "--text-column", "title", "--label-column", "label"]
    split = ["--holdout", "0.3", "--seed", "1"]
    learned = runner.invoke(rules_group, ["learn", *common, *split, "--output", str(rules)])
    assert learned.exit_code == 0, learned.output
    return runner, ["evaluate", "--rules", str(rules), *common, *split]


def test_evaluate_says_when_the_svm_baseline_cannot_run(
    labelled_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nlp.baseline

    real = nlp.baseline.importlib.import_module

    def no_sklearn(name: str) -> object:
        if name.startswith("sklearn"):
            raise ImportError(name)
        return real(name)

    monkeypatch.setattr(nlp.baseline.importlib, "import_module", no_sklearn)
    runner, evaluate = _learned_on_a_split(labelled_csv, tmp_path)
    result = runner.invoke(rules_group, evaluate)
    assert result.exit_code == 0, result.output
    assert "baseline: not run, scikit-learn is not installed" in result.output
    as_json = runner.invoke(rules_group, [*evaluate, "--json"])
    assert "scikit-learn is not installed" in json.loads(as_json.output)["baseline"]["skipped"]


def test_evaluate_prints_the_svm_beside_the_rules_on_the_same_split(
    labelled_csv: Path, tmp_path: Path
) -> None:
    pytest.importorskip("sklearn")
    runner, evaluate = _learned_on_a_split(labelled_csv, tmp_path)
    result = runner.invoke(rules_group, evaluate)
    assert "same split, 17 training rows:" in result.output
    assert "TF-IDF + linear SVM" in result.output
    report = json.loads(runner.invoke(rules_group, [*evaluate, "--json"]).output)
    assert report["baseline"]["train_rows"] == 17 and 0 <= report["baseline"]["macro_f1"] <= 1
