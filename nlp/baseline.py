"""The usual statistical baseline beside learned rules: TF-IDF + linear SVM (scikit-learn).

Only ``linli rules evaluate`` uses it, to print the same-run comparison on the same split.
scikit-learn is an optional extra (``pip install 'linli[learn]'``); the classifier never
needs it. The configuration is scikit-learn's defaults (``TfidfVectorizer`` over the same
jieba tokens the rule engine segments, unigrams, L2-normalised; ``LinearSVC`` with C=1), as
in the published results on teddy2020c.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from nlp.segment import cut, new_tokenizer
from nlp.text import normalise

__all__ = ["BaselineUnavailable", "svm_predict"]


class BaselineUnavailable(RuntimeError):
    """scikit-learn is not installed."""


def svm_predict(
    train_texts: Sequence[str], train_labels: Sequence[str], test_texts: Sequence[str]
) -> list[str]:
    """Train TF-IDF + linear SVM on the training rows and label the test rows."""
    try:
        text_features: Any = importlib.import_module("sklearn.feature_extraction.text")
        svm: Any = importlib.import_module("sklearn.svm")
    except ImportError:
        raise BaselineUnavailable(
            "scikit-learn is not installed (pip install 'linli[learn]')"
        ) from None
    tokenizer = new_tokenizer()

    def tokens(text: str) -> list[str]:
        return [t for t in cut(tokenizer, normalise(text)) if t.strip()]

    vectorizer = text_features.TfidfVectorizer(analyzer=tokens)
    model = svm.LinearSVC()
    model.fit(vectorizer.fit_transform(train_texts), list(train_labels))
    return [str(label) for label in model.predict(vectorizer.transform(test_texts))]
