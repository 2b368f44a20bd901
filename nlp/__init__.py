"""Classification of residents' messages 诉求分类: a rule engine whose rules are data.

The engine is a pure library: no messenger, storage or web imports.
"""

from nlp.engine import Classification, Classifier, Match, similarity
from nlp.privacy import mask_pii
from nlp.rules import RulesError
from nlp.text import normalise

__all__ = [
    "Classification",
    "Classifier",
    "Match",
    "RulesError",
    "mask_pii",
    "normalise",
    "similarity",
]
