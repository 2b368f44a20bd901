"""Reading labelled or unlabelled messages from CSV or JSON Lines, and splitting them."""

from __future__ import annotations

import csv
import io
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["holdout_split", "read_records", "texts_and_labels"]

csv.field_size_limit(2**31 - 1)  # petition bodies run to tens of kilobytes


def read_records(source: str | Path) -> list[dict[str, str]]:
    """Rows of a CSV or JSON Lines file (``-``: standard input), format by extension or content."""
    name = str(source)
    data = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8-sig")
    lower = name.lower()
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        is_jsonl = True
    elif lower.endswith((".csv", ".tsv")):
        is_jsonl = False
    else:
        is_jsonl = data.lstrip().startswith("{")
    if is_jsonl:
        rows = []
        for number, line in enumerate(data.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{name}:{number}: not a JSON object: {exc.msg}") from None
            if not isinstance(obj, dict):
                raise ValueError(f"{name}:{number}: not a JSON object")
            rows.append({str(k): "" if v is None else str(v) for k, v in obj.items()})
        return rows
    dialect = "excel-tab" if lower.endswith(".tsv") else "excel"
    return [
        {k: v or "" for k, v in row.items() if k is not None}
        for row in csv.DictReader(io.StringIO(data), dialect=dialect)
    ]


def texts_and_labels(
    rows: Sequence[dict[str, str]], text_column: str, label_column: str | None = None
) -> tuple[list[str], list[str]]:
    """The text (and label) columns; a missing column raises ``KeyError`` naming it."""
    if rows:
        for column in (text_column, label_column):
            if column is not None and column not in rows[0]:
                known = ", ".join(rows[0])
                raise KeyError(f"no column {column!r} (columns: {known})")
    texts = [(row.get(text_column) or "").strip() for row in rows]
    labels = [(row.get(label_column) or "").strip() for row in rows] if label_column else []
    return texts, labels


def holdout_split(n: int, holdout: float, seed: int) -> tuple[list[int], list[int]]:
    """Row indices (train, test): a seeded random ``holdout`` share of ``n`` rows is test.

    The split depends only on the row count, the share and the seed, so ``rules learn`` and
    ``rules evaluate`` given the same file and options agree on it, and a split made on one
    column (title) keeps the same rows in test as one made on another (full text).
    """
    if not 0.0 <= holdout < 1.0:
        raise ValueError("holdout must be in [0, 1)")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    cut = round(n * holdout)
    return sorted(order[cut:]), sorted(order[:cut])
