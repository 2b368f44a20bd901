"""Learning readable keyword rules from labelled history 历史工单.

1. Candidate terms: every jieba token with a Chinese character (plain dictionary, no HMM
   guesses; single characters included), stop words left out, present in at least ``min_df``
   training documents.
2. Weights: a class-balanced multinomial logistic regression (AdaGrad, L2) over the
   candidates, on exactly the matches the rule engine makes, so what is learned is what is
   later matched. A term's feature is TF-IDF as in the usual baseline: sub-linear term
   frequency 1 + ln(n) times the inverse document frequency, each document scaled to unit
   length. Weights are kept non-negative: a term only ever votes for a label, never against.
   The weight written is the learned weight times the term's IDF, so the engine's sum of
   ``weight * (1 + ln n)`` ranks the labels as the model does (the unit-length scaling is the
   same for every label of a document and changes no ranking).
3. Optional pruning (``max_keywords``): each label keeps its strongest terms and the model is
   refitted on what is kept.

The result is a rules file in the engine's format, one term per line, strongest first.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nlp.rules import CategorySpec, RulesFile
from nlp.segment import cut, new_tokenizer
from nlp.text import normalise

__all__ = ["LearnedRules", "dump_rules", "learn_rules"]

# Function words and petition boilerplate that carry no topic.
_STOP_WORDS = """
    我们 你们 他们 她们 自己 这个 那个 这些 那些 这样 那样 什么 怎么 为什么 如何 可以 能够 没有
    不是 就是 还是 但是 而且 因为 所以 如果 虽然 然后 已经 现在 目前 一直 一个 一些 进行 以及
    或者 还有 并且 由于 对于 关于 通过 之后 之前 时候 问题 情况 希望 请问 谢谢 您好 你好 领导
    尊敬 相关 有关 部门 工作 其他 我们的 这里 那里 今天 非常 比较 特别 十分 需要 应该 是否
    而是 只是 不能 不会 一样 这种 那种 还是 每个 各位 您们 有没有 能不能 等等 可能 觉得 知道
"""
_STOP = frozenset(_STOP_WORDS.split())
_CJK = re.compile(r"[\u4e00-\u9fff]")

_RATE = 0.5  # AdaGrad step
_L2 = 3e-4  # tuned on teddy2020c splits other than the ones reported (docs/classifier.md)


@dataclass(frozen=True)
class LearnedRules:
    """Learned rules: the data of a rules file and the same as readable YAML."""

    data: dict[str, Any]
    yaml: str


def _candidate_tokens(tokenizer: Any, text: str) -> set[str]:
    return {tok for tok in cut(tokenizer, normalise(text)) if tok not in _STOP and _CJK.search(tok)}


def _features(counts: dict[str, int], idf: dict[str, float]) -> dict[str, float]:
    x = {t: (1.0 + math.log(n)) * idf[t] for t, n in counts.items() if t in idf}
    norm = math.sqrt(sum(v * v for v in x.values())) or 1.0
    return {t: v / norm for t, v in x.items()}


def _train(
    xs: Sequence[dict[str, float]],
    y: Sequence[int],
    n_labels: int,
    weights: dict[str, list[float]],
    allowed: dict[str, set[int]] | None,
    epochs: int,
    seed: int,
) -> None:
    """Class-balanced multinomial logistic regression by AdaGrad, updating ``weights``."""
    grad_sq = {t: [1e-8] * n_labels for t in weights}
    counts = Counter(y)
    # each label weighs as much in the loss as any other, whatever its number of rows
    balance = [len(y) / (n_labels * counts[c]) if counts[c] else 0.0 for c in range(n_labels)]
    order = list(range(len(xs)))
    rng = random.Random(seed)
    labels = range(n_labels)
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            x = xs[i]
            if not x:
                continue
            scores = [0.0] * n_labels
            for t, v in x.items():
                w = weights[t]
                for c in labels:
                    scores[c] += w[c] * v
            peak = max(scores)
            exps = [math.exp(s - peak) for s in scores]
            z = sum(exps)
            gold = y[i]
            k = balance[gold]
            err = [k * e / z for e in exps]
            err[gold] -= k
            for t, v in x.items():
                w = weights[t]
                g2 = grad_sq[t]
                ok = allowed[t] if allowed is not None else None
                for c in labels:
                    if ok is not None and c not in ok:
                        continue
                    g = v * err[c] + _L2 * w[c]
                    g2[c] += g * g
                    # Projected onto w >= 0: a term only ever votes for a label, which keeps
                    # the rules readable and lets a label no term names score the least.
                    new = w[c] - _RATE * g / math.sqrt(g2[c])
                    w[c] = new if new > 0.0 else 0.0


def learn_rules(
    texts: Sequence[str],
    labels: Sequence[str],
    max_keywords: int = 0,
    epochs: int = 8,
    seed: int = 42,
    min_df: int = 2,
    source: str = "",
) -> LearnedRules:
    """Learn a rules file for the label set of ``labels`` from ``texts``.

    Empty texts are skipped. ``max_keywords`` (0: no limit) bounds the terms kept per label.
    """
    from nlp.engine import Classifier  # engine imports rules; keep the import graph acyclic

    pairs = [(t, lab) for t, lab in zip(texts, labels, strict=True) if t.strip() and lab]
    if not pairs:
        raise ValueError("no labelled rows with text to learn from")
    names = sorted({lab for _, lab in pairs})
    code = {name: i for i, name in enumerate(names)}
    y = [code[lab] for _, lab in pairs]
    tokenizer = new_tokenizer()
    df: Counter[str] = Counter()
    for text, _ in pairs:
        df.update(_candidate_tokens(tokenizer, text))
    candidates = [t for t, n in df.items() if n >= min_df]
    if not candidates:
        raise ValueError("no term occurs often enough to learn from (min_df)")

    # Match the candidates with the rule engine itself, so training sees what inference sees.
    probe = RulesFile(
        categories={names[0]: CategorySpec(keywords=dict.fromkeys(candidates, 1.0))},
    )
    matcher = Classifier(probe)
    matched = [matcher.term_counts(t) for t, _ in pairs]
    seen: Counter[str] = Counter()
    for counts in matched:
        seen.update(counts.keys())
    n_docs = len(pairs)
    idf = {t: math.log((1 + n_docs) / (1 + n)) + 1.0 for t, n in seen.items()}
    xs = [_features(counts, idf) for counts in matched]
    weights = {t: [0.0] * len(names) for t in idf}
    _train(xs, y, len(names), weights, None, epochs, seed)

    kept: dict[str, set[int]] = {}
    for c in range(len(names)):
        ranked = sorted((t for t in weights if weights[t][c] > 1e-6), key=lambda t: -weights[t][c])
        for t in ranked[:max_keywords] if max_keywords > 0 else ranked:
            kept.setdefault(t, set()).add(c)
    if max_keywords > 0:
        weights = {t: [w if c in kept[t] else 0.0 for c, w in enumerate(weights[t])] for t in kept}
        xs = [{t: v for t, v in x.items() if t in kept} for x in xs]
        _train(xs, y, len(names), weights, kept, max(2, epochs // 2), seed + 1)

    rows_per_label = Counter(y)
    fallback = names[max(range(len(names)), key=lambda c: rows_per_label[c])]
    categories: dict[str, Any] = {}
    for c, name in enumerate(names):
        terms = sorted(
            ((t, weights[t][c] * idf[t]) for t in kept if c in kept[t] and t in weights),
            key=lambda tw: (-tw[1], tw[0]),
        )
        categories[name] = {
            "name": name,
            "keywords": {t: round(w, 4) for t, w in terms if round(w, 4) > 0},
            "negative": {},
        }
    limit = f"<= {max_keywords} terms per label" if max_keywords > 0 else "all terms"
    data: dict[str, Any] = {
        "version": 1,
        "description": f"learned by `linli rules learn` from {source or 'labelled data'}"
        f" ({len(pairs)} rows, {len(names)} labels, {limit})",
        "threshold": 0.0,
        "unknown_score": -50.0,
        "fallback": fallback,
        "categories": categories,
    }
    RulesFile.model_validate(data)  # what we write must load
    return LearnedRules(data=data, yaml=dump_rules(data))


_PLAIN = re.compile(r"[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9_]*")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"})


def _key(term: str) -> str:
    if _PLAIN.fullmatch(term) and term.lower() not in _YAML_WORDS:
        return term
    return json.dumps(term, ensure_ascii=False)


def dump_rules(data: dict[str, Any]) -> str:
    """A rules file a person can read: one term per line, strongest first, with comments."""
    lines = [
        "# Rules learned from labelled messages. Same format as nlp/rules/default.yaml:",
        "# edit freely; each term votes its weight for its label (negative: against it),",
        "# the label with the highest total wins. See docs/classifier.md.",
    ]
    for key in ("version", "description", "threshold", "unknown_score", "fallback"):
        if key in data:
            lines.append(f"{key}: {json.dumps(data[key], ensure_ascii=False)}")
    lines.append("categories:")
    for name, spec in data["categories"].items():
        lines.append(f"  {_key(name)}:")
        lines.append(f"    name: {json.dumps(spec.get('name', name), ensure_ascii=False)}")
        for field in ("keywords", "negative"):
            terms = spec.get(field) or {}
            if not terms:
                lines.append(f"    {field}: {{}}")
                continue
            lines.append(f"    {field}:")
            lines.extend(f"      {_key(t)}: {w}" for t, w in terms.items())
    return "\n".join(lines) + "\n"
