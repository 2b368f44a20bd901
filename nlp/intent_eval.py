"""Evaluating the intent step on labelled messages, and ``linli intent evaluate``.

A labelled file (``nlp/data/intent_dev.csv``; ``intent_test.csv`` is held out and never tuned
on) has the columns ``text``, ``pending`` (empty, ``optional`` or ``required``), ``home`` (the
reporter's compound, ``TD/铜都花园`` when empty), ``intent``, ``problems`` (how many),
``places`` (each problem's place, ``;``-separated: ``铜都花园 北门``, or ``home``; for an address,
the place stated) and ``tickets`` (ticket numbers named, ``;``-separated).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click

from nlp.engine import Classifier
from nlp.intent import IntentReader, Pending
from nlp.places import PlaceIndex, ResolvedPlace
from nlp.records import read_records
from nlp.rules import RulesError

__all__ = ["DEV", "SAMPLE_ORG", "TEST", "IntentScore", "evaluate_intents", "intent_group"]

DATA = Path(__file__).parent / "data"
DEV = DATA / "intent_dev.csv"
TEST = DATA / "intent_test.csv"
SAMPLE_ORG = Path(__file__).parents[1] / "storage" / "sample" / "xinxialu.yaml"
DEFAULT_HOME = "TD/铜都花园"


@dataclass
class IntentScore:
    """How well the intent step read a labelled set."""

    rows: int = 0
    intents_right: int = 0
    problem_rows: int = 0  # rows read as problems that were problems
    counts_right: int = 0  # ... with the right number of problems
    places: int = 0  # problems (of those) with a labelled place
    places_right: int = 0
    ticket_rows: int = 0
    tickets_right: int = 0
    by_intent: dict[str, list[int]] = field(default_factory=dict)  # intent → [n, right]
    misses: list[str] = field(default_factory=list)

    @staticmethod
    def _share(right: int, n: int) -> float:
        return right / n if n else 1.0

    @property
    def intent_accuracy(self) -> float:
        return self._share(self.intents_right, self.rows)

    @property
    def split_accuracy(self) -> float:
        return self._share(self.counts_right, self.problem_rows)

    @property
    def place_accuracy(self) -> float:
        return self._share(self.places_right, self.places)

    @property
    def ticket_accuracy(self) -> float:
        return self._share(self.tickets_right, self.ticket_rows)

    def format(self, name: str) -> str:
        lines = [
            f"{name}: {self.rows} messages",
            f"  intent accuracy          {self.intent_accuracy:.3f}",
            f"  problems split right     {self.split_accuracy:.3f}  ({self.problem_rows} rows)",
            f"  places right             {self.place_accuracy:.3f}  ({self.places} places)",
            f"  ticket numbers right     {self.ticket_accuracy:.3f}  ({self.ticket_rows} rows)",
        ]
        for intent, (n, right) in sorted(self.by_intent.items()):
            lines.append(f"    {intent:<8} {right:>3}/{n:<3} {self._share(right, n):.2f}")
        return "\n".join(lines)


def _label(place: ResolvedPlace | None) -> str:
    if place is None:
        return ""
    return place.label() if place.named else "home"


def evaluate_intents(reader: IntentReader, rows: Iterable[dict[str, str]]) -> IntentScore:
    """Read every labelled row and count what the reader got right."""
    score = IntentScore()
    for row in rows:
        text = row["text"]
        pending = Pending("question", required=True) if row.get("pending") == "required" else None
        if row.get("pending") == "optional":
            pending = Pending("question")
        reading = reader.read(text, pending, home=row.get("home") or DEFAULT_HOME)
        expected = row["intent"].strip()
        score.rows += 1
        tally = score.by_intent.setdefault(expected, [0, 0])
        tally[0] += 1
        right = reading.intent == expected
        if right:
            score.intents_right += 1
            tally[1] += 1
        else:
            score.misses.append(f"intent {expected} read as {reading.explain()} | {text}")
        places = [p for p in (row.get("places") or "").split(";") if p]
        if right and expected == "problem":
            score.problem_rows += 1
            if len(reading.problems) == int(row.get("problems") or 1):
                score.counts_right += 1
                got = [_label(p.place) for p in reading.problems]
                score.places += len(places)
                score.places_right += sum(a == b for a, b in zip(got, places, strict=False))
                if got[: len(places)] != places:
                    score.misses.append(f"places {places} read as {got} | {text}")
            else:
                score.misses.append(
                    f"{row.get('problems')} problems read as {len(reading.problems)}: "
                    f"{[p.text for p in reading.problems]} | {text}"
                )
        if right and expected == "address" and places:
            score.places += 1
            if _label(reading.place) == places[0]:
                score.places_right += 1
            else:
                score.misses.append(f"address {places[0]} read as {_label(reading.place)} | {text}")
        tickets = [t for t in (row.get("tickets") or "").split(";") if t]
        if tickets:
            score.ticket_rows += 1
            if list(reading.tickets) == tickets:
                score.tickets_right += 1
            else:
                score.misses.append(f"tickets {tickets} read as {list(reading.tickets)} | {text}")
    return score


def load_org_places(path: Path) -> PlaceIndex:
    """The places of an organisation file (names only; ``linli org import`` validates it)."""
    try:
        return PlaceIndex.from_file(path)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("intent")
def intent_group() -> None:
    """Evaluate the intent step (what a message is before it is filed)."""


@intent_group.command("evaluate")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Labelled CSV (default: the bundled dev set and held-out test set).",
)
@click.option(
    "--org",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=SAMPLE_ORG,
    show_default=True,
    help="Organisation file whose places the messages name.",
)
@click.option("--rules", "rules_path", default=None, help="Classification rules file.")
@click.option("--show-misses", is_flag=True, help="List every message read wrongly.")
def evaluate_command(
    inputs: Sequence[Path], org: Path, rules_path: str | None, show_misses: bool
) -> None:
    """Intent, split and place accuracy on labelled messages."""
    try:
        classifier = Classifier.load(rules_path)
    except RulesError as exc:
        raise click.ClickException(str(exc)) from None
    reader = IntentReader(classifier, load_org_places(org))
    for path in inputs or (DEV, TEST):
        score = evaluate_intents(reader, read_records(path))
        click.echo(score.format(path.name))
        if show_misses:
            for miss in score.misses:
                click.echo(f"    - {miss}")
