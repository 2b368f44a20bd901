"""Classification metrics: accuracy, macro-F1, per-label precision/recall/F1, confusion."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["LabelScore", "Report", "evaluate"]


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
