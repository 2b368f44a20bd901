"""Command line: ``linli classify`` and ``linli rules learn|evaluate``.

The main ``linli`` CLI attaches ``classify_command`` and ``rules_group``; ``python -m nlp``
runs them standalone.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import TextIO

import click

from nlp.baseline import BaselineUnavailable, svm_predict
from nlp.engine import Classifier
from nlp.intent import Intent, IntentReader, Reading
from nlp.intent_eval import intent_group
from nlp.learn import learn_rules
from nlp.metrics import assess, evaluate
from nlp.places import PlaceIndex
from nlp.records import holdout_split, read_records, texts_and_labels
from nlp.rules import RulesError
from nlp.text import mask_pii

__all__ = ["classify_command", "main", "rules_group"]


_OUTPUT_COLUMNS = [
    "text",
    "category",
    "family",
    "request_type",
    "urgency",
    "emergency",
    "score",
    "keywords",
    # the intent step (nlp/intent.py): what the message is, its problems, their places
    "intent",
    "problems",
    "places",
    "objects",
    "why",
]


def _load_rows(source: str) -> list[dict[str, str]]:
    try:
        return read_records(source)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read {source}: {exc}") from None


def _columns(
    rows: list[dict[str, str]], text_column: str, label_column: str | None = None
) -> tuple[list[str], list[str]]:
    try:
        return texts_and_labels(rows, text_column, label_column)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None


def _classifier(rules: str | None) -> Classifier:
    try:
        return Classifier.load(rules)
    except RulesError as exc:
        raise click.ClickException(str(exc)) from None


def _open_output(path: str) -> TextIO:
    if path == "-":
        return sys.stdout
    return Path(path).open("w", encoding="utf-8", newline="")


_holdout_option = click.option(
    "--holdout",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=0.0,
    show_default=True,
    help="Share of rows held out for testing (seeded random split of the file's rows); "
    "learn trains on the rest, evaluate scores only the held-out rows.",
)
_seed_option = click.option(
    "--seed", type=int, default=42, show_default=True, help="Seed of the holdout split."
)


@click.command("classify")
@click.option("--input", "input_path", required=True, help="CSV or JSON Lines file; - for stdin.")
@click.option("--text-column", default="text", show_default=True)
@click.option("--output", "output_path", default="-", show_default=True, help="CSV; - for stdout.")
@click.option("--rules", "rules_path", default=None, help="Rules file (default: built-in rules).")
@click.option(
    "--mask-pii/--no-mask-pii",
    "mask",
    default=False,
    help="Mask phone/ID/plate in the output text.",
)
@click.option(
    "--org",
    "org_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Organisation file whose places (buildings, compounds, spots) messages may name.",
)
@click.option(
    "--home",
    default=None,
    help="The reporters' compound for places named without one (TD/铜都花园).",
)
def classify_command(
    input_path: str,
    text_column: str,
    output_path: str,
    rules_path: str | None,
    mask: bool,
    org_path: str | None,
    home: str | None,
) -> None:
    """Classify every message of a file; one output row per input row."""
    rows = _load_rows(input_path)
    texts, _ = _columns(rows, text_column)
    classifier = _classifier(rules_path)
    reader = _intent_reader(classifier, org_path)
    out = _open_output(output_path)
    try:
        writer = csv.DictWriter(out, fieldnames=_OUTPUT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for text in texts:
            result = classifier.classify(text)
            writer.writerow(
                {
                    "text": mask_pii(text) if mask else text,
                    "category": result.category,
                    "family": result.family,
                    "request_type": result.request_type,
                    "urgency": result.urgency,
                    "emergency": result.emergency or "",
                    "score": f"{result.score:.4f}",
                    "keywords": ";".join(f"{m.term}:{m.weight:g}" for m in result.keywords),
                    **_intent_columns(reader.read(text, home=home)),
                }
            )
    finally:
        if out is not sys.stdout:
            out.close()
    if output_path != "-":
        click.echo(f"classified {len(texts)} rows -> {output_path}", err=True)


def _intent_reader(classifier: Classifier, org_path: str | None) -> IntentReader:
    try:
        places = PlaceIndex.from_file(org_path) if org_path else None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    return IntentReader(classifier, places)


def _intent_columns(reading: Reading) -> dict[str, str]:
    """The intent step's columns of ``linli classify``."""
    if reading.intent == Intent.ADDRESS and reading.place is not None:
        places = reading.place.label()
    else:
        places = "|".join(p.place.label() or p.place.kind for p in reading.problems)
    return {
        "intent": str(reading.intent),
        "problems": str(len(reading.problems)),
        "places": places,
        "objects": "|".join(",".join(p.objects.codes) for p in reading.problems),
        "why": reading.explain(),
    }


@click.group("rules")
def rules_group() -> None:
    """Learn and evaluate classification rules."""


@rules_group.command("learn")
@click.option(
    "--input", "input_path", required=True, help="Labelled CSV or JSON Lines; - for stdin."
)
@click.option("--text-column", default="text", show_default=True)
@click.option("--label-column", default="label", show_default=True)
@click.option("--output", "output_path", required=True, help="Rules file (YAML) to write.")
@click.option(
    "--max-keywords-per-label",
    "max_keywords",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Most terms kept per label (0: every term that occurs in 2+ rows).",
)
@click.option("--epochs", type=click.IntRange(1), default=8, show_default=True)
@_holdout_option
@_seed_option
def learn_command(
    input_path: str,
    text_column: str,
    label_column: str,
    output_path: str,
    max_keywords: int,
    epochs: int,
    holdout: float,
    seed: int,
) -> None:
    """Learn weighted keyword rules for any label set from labelled messages."""
    rows = _load_rows(input_path)
    texts, labels = _columns(rows, text_column, label_column)
    train, test = holdout_split(len(rows), holdout, seed)
    train_texts = [texts[i] for i in train]
    train_labels = [labels[i] for i in train]
    skipped = sum(1 for t, lab in zip(train_texts, train_labels, strict=True) if not t or not lab)
    try:
        learned = learn_rules(
            train_texts,
            train_labels,
            max_keywords=max_keywords,
            epochs=epochs,
            seed=seed,
            source=f"{Path(input_path).name} column {text_column!r}",
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    Path(output_path).write_text(learned.yaml, encoding="utf-8")
    n_terms = sum(len(c["keywords"]) for c in learned.data["categories"].values())
    click.echo(
        f"learned {n_terms} terms for {len(learned.data['categories'])} labels from "
        f"{len(train) - skipped} rows ({skipped} without text or label skipped) -> {output_path}",
        err=True,
    )
    if test:
        click.echo(
            f"held out {len(test)} rows; score them with: rules evaluate --rules {output_path} "
            f"--holdout {holdout} --seed {seed} ...",
            err=True,
        )


@rules_group.command("evaluate")
@click.option("--rules", "rules_path", default=None, help="Rules file (default: built-in rules).")
@click.option(
    "--input", "input_path", required=True, help="Labelled CSV or JSON Lines; - for stdin."
)
@click.option("--text-column", default="text", show_default=True)
@click.option("--label-column", default="label", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--baseline/--no-baseline",
    default=True,
    show_default=True,
    help="With --holdout: also train TF-IDF + linear SVM on the same training rows and score "
    "it on the same held-out rows (needs scikit-learn: pip install 'linli[learn]').",
)
@_holdout_option
@_seed_option
def evaluate_command(
    rules_path: str | None,
    input_path: str,
    text_column: str,
    label_column: str,
    as_json: bool,
    baseline: bool,
    holdout: float,
    seed: int,
) -> None:
    """Accuracy, macro-F1, per-label precision/recall/F1 and the confusion matrix."""
    rows = _load_rows(input_path)
    texts, labels = _columns(rows, text_column, label_column)
    train: list[int] = []
    if holdout > 0:
        train, chosen = holdout_split(len(rows), holdout, seed)
    else:
        chosen = list(range(len(rows)))
    chosen = [i for i in chosen if texts[i] and labels[i]]
    train = [i for i in train if texts[i] and labels[i]]
    if not chosen:
        raise click.ClickException("no labelled rows with text to evaluate")
    classifier = _classifier(rules_path)
    predicted = [classifier.classify(texts[i]).category for i in chosen]
    gold = [labels[i] for i in chosen]
    report = evaluate(gold, predicted)
    compared: dict[str, object] | None = None
    note = ""
    if baseline and not train:
        note = "baseline: no training rows (use --holdout with the options given to learn)"
    elif baseline:
        try:
            svm = evaluate(
                gold,
                svm_predict(
                    [texts[i] for i in train],
                    [labels[i] for i in train],
                    [texts[i] for i in chosen],
                ),
            )
        except BaselineUnavailable as exc:
            note = f"baseline: not run, {exc}"
        else:
            compared = {
                "method": "TF-IDF + linear SVM (scikit-learn defaults)",
                "train_rows": len(train),
                "accuracy": round(svm.accuracy, 4),
                "macro_f1": round(svm.macro_f1, 4),
            }
            note = (
                f"same split, {len(train)} training rows:\n"
                f"  {'rules':<32}accuracy={report.accuracy:.4f}  macro-F1={report.macro_f1:.4f}\n"
                f"  {'TF-IDF + linear SVM':<32}accuracy={svm.accuracy:.4f}  "
                f"macro-F1={svm.macro_f1:.4f}"
            )
    if as_json:
        out = report.as_dict()
        if baseline:
            out["baseline"] = compared if compared is not None else {"skipped": note}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(report.format())
        if note:
            click.echo("\n" + note)


@rules_group.command("check")
@click.option("--rules", "rules_path", default=None, help="Rules file (default: built-in rules).")
@click.option(
    "--input",
    "input_path",
    required=True,
    help="CSV or JSON Lines with text, category, request_type, urgency and emergency "
    "(kinds joined by ;) columns, and optionally group (e.g. nlp/data/heldout.csv).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def check_command(rules_path: str | None, input_path: str, as_json: bool) -> None:
    """Category, request type and urgency accuracy, emergencies caught and false alarms."""
    rows = _load_rows(input_path)
    texts, _ = _columns(rows, "text", "category")
    classifier = _classifier(rules_path)
    results = [classifier.classify(text) for text in texts]
    groups = sorted({row.get("group", "") for row in rows} - {""})
    reports = {"all": assess(rows, results)}
    for group in groups:
        chosen = [i for i, row in enumerate(rows) if row.get("group") == group]
        reports[group] = assess([rows[i] for i in chosen], [results[i] for i in chosen])
    if as_json:
        out = {name: report.as_dict() for name, report in reports.items()}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for name, report in reports.items():
        click.echo(f"[{name}] {report.format()}")


@click.group("nlp")
def main() -> None:
    """Linli message classification (standalone entry point: python -m nlp)."""


main.add_command(classify_command)
main.add_command(rules_group)
main.add_command(intent_group)
