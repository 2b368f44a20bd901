"""In-process handler tests: the real dispatcher on the test database (tests/handlers/harness)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from domain.clock import ManualClock
from handlers.i18n import Texts
from nlp import Classifier
from tests.handlers.harness import Harness, load_texts


@pytest.fixture(scope="session")
def texts() -> Texts:
    return load_texts()


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    return Classifier.load()


@pytest.fixture
def bot(engine: Engine, clock: ManualClock, texts: Texts, classifier: Classifier) -> Harness:
    """The bot in process, on a fresh copy of the test organisation."""
    return Harness(engine, clock, texts, classifier)
