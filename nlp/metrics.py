"""Classification metrics: accuracy, macro-F1, per-label precision/recall/F1, confusion;
and the figures of a labelled chat set (categories, request types, emergencies caught)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nlp.engine import Classification

__all__ = ["ChatReport", "LabelScore", "Report", "assess", "evaluate"]


@dataclass(frozen=True)
class LabelScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    """How predictions compare with gold labels."""

    n: int
    accuracy: float
    macro_f1: float
    labels: tuple[LabelScore, ...]
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)  # gold -> predicted -> n

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "labels": {
                s.label: {
                    "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4),
                    "f1": round(s.f1, 4),
                    "support": s.support,
                }
                for s in self.labels
            },
            "confusion": self.confusion,
        }

    def format(self) -> str:
        """A plain-text report for a terminal."""
        lines = [
            f"n={self.n}  accuracy={self.accuracy:.4f}  macro-F1={self.macro_f1:.4f}",
            "",
            f"{'label':<24}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}",
        ]
        for s in self.labels:
            lines.append(
                f"{s.label:<24}{s.precision:>10.3f}{s.recall:>10.3f}{s.f1:>10.3f}{s.support:>9}"
            )
        names = [s.label for s in self.labels]
        predicted = sorted({p for row in self.confusion.values() for p in row} - set(names))
        cols = names + predicted
        lines += ["", "confusion (rows: gold, columns: predicted, in the order above)"]
        width = max(5, *(len(str(v)) + 1 for row in self.confusion.values() for v in row.values()))
        header = " " * 24 + "".join(f"{i:>{width}}" for i in range(len(cols)))
        lines.append(header)
        for i, gold in enumerate(names):
            row = self.confusion.get(gold, {})
            cells = "".join(f"{row.get(c, 0):>{width}}" for c in cols)
            lines.append(f"{i:>2} {gold:<21}{cells}")
        for j, extra in enumerate(predicted, start=len(names)):
            lines.append(f"{j:>2} {extra:<21}(predicted only)")
        return "\n".join(lines)


def evaluate(gold: Sequence[str], predicted: Sequence[str]) -> Report:
    """Compare two equally long label sequences."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    n = len(gold)
    confusion: dict[str, Counter[str]] = {}
    for g, p in zip(gold, predicted, strict=True):
        confusion.setdefault(g, Counter())[p] += 1
    pred_count = Counter(predicted)
    scores = []
    for label in sorted(confusion):
        tp = confusion[label][label]
        support = sum(confusion[label].values())
        precision = tp / pred_count[label] if pred_count[label] else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(LabelScore(label, precision, recall, f1, support))
    correct = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p)
    return Report(
        n=n,
        accuracy=correct / n if n else 0.0,
        macro_f1=sum(s.f1 for s in scores) / len(scores) if scores else 0.0,
        labels=tuple(scores),
        confusion={g: dict(sorted(row.items())) for g, row in sorted(confusion.items())},
    )


@dataclass(frozen=True)
class ChatReport:
    """How the classifier reads a labelled set of residents' messages.

    Gold rows have ``category``, ``request_type``, ``urgency`` and ``emergency`` (kinds joined
    by ``;``, police first, empty for none). An emergency counts as caught when any kind is
    flagged, as kind-right when the first kind flagged is the first kind labelled.
    """

    n: int
    category_accuracy: float
    request_type_accuracy: float
    urgency_accuracy: float
    emergencies: int
    caught: int
    kind_right: int
    all_kinds_right: int
    false_alarms: int
    cautions: int
    missed: tuple[str, ...]
    false: tuple[str, ...]

    @property
    def recall(self) -> float:
        return self.caught / self.emergencies if self.emergencies else 1.0

    @property
    def false_alarm_rate(self) -> float:
        others = self.n - self.emergencies
        return self.false_alarms / others if others else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "category_accuracy": round(self.category_accuracy, 4),
            "request_type_accuracy": round(self.request_type_accuracy, 4),
            "urgency_accuracy": round(self.urgency_accuracy, 4),
            "emergencies": self.emergencies,
            "emergency_recall": round(self.recall, 4),
            "kind_right": self.kind_right,
            "all_kinds_right": self.all_kinds_right,
            "false_alarms": self.false_alarms,
            "false_alarm_rate": round(self.false_alarm_rate, 4),
            "cautions": self.cautions,
            "missed": list(self.missed),
            "false": list(self.false),
        }

    def format(self) -> str:
        """A plain-text summary for a terminal."""
        lines = [
            f"n={self.n}  category={self.category_accuracy:.3f}  "
            f"request type={self.request_type_accuracy:.3f}  urgency={self.urgency_accuracy:.3f}",
            f"emergencies {self.emergencies}: recall={self.recall:.3f} "
            f"(kind right {self.kind_right}, all kinds right {self.all_kinds_right})  "
            f"false alarms {self.false_alarms}/{self.n - self.emergencies} "
            f"({self.false_alarm_rate:.1%})  cautions {self.cautions}",
        ]
        lines += [f"  missed: {text}" for text in self.missed]
        lines += [f"  false alarm: {text}" for text in self.false]
        return "\n".join(lines)


def assess(gold: Sequence[Mapping[str, str]], results: Sequence[Classification]) -> ChatReport:
    """Compare classifications with labelled rows (see ``ChatReport``)."""
    if len(gold) != len(results):
        raise ValueError("gold and results differ in length")
    n = len(gold)
    cat = rt = urg = emergencies = caught = kind = every = false = cautions = 0
    missed: list[str] = []
    false_texts: list[str] = []
    for row, res in zip(gold, results, strict=True):
        cat += row.get("category", "") == res.category
        rt += row.get("request_type", "") == res.request_type
        urg += row.get("urgency", "") == res.urgency
        cautions += res.caution
        kinds = tuple(k for k in (row.get("emergency") or "").split(";") if k)
        flagged = res.emergencies or ((res.emergency,) if res.emergency else ())
        if kinds:
            emergencies += 1
            if flagged:
                caught += 1
                kind += flagged[0] == kinds[0]
                every += tuple(flagged) == kinds
            else:
                missed.append(row.get("text", ""))
        elif flagged:
            false += 1
            false_texts.append(row.get("text", ""))
    share = (lambda k: k / n) if n else (lambda k: 0.0)
    return ChatReport(
        n=n,
        category_accuracy=share(cat),
        request_type_accuracy=share(rt),
        urgency_accuracy=share(urg),
        emergencies=emergencies,
        caught=caught,
        kind_right=kind,
        all_kinds_right=every,
        false_alarms=false,
        cautions=cautions,
        missed=tuple(missed),
        false=tuple(false_texts),
    )
