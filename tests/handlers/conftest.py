"""In-process handler tests: the real dispatcher on the test database (tests/handlers/harness)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from domain.clock import ManualClock
from handlers.i18n import Texts
from nlp import Classifier
from storage.db import make_engine
from tests.conftest import fresh_database
from tests.handlers.harness import Harness, Snapshot, load_texts
from tests.handlers.world import World, build


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


@dataclass
class Neighbourhood:
    """The bot on tests/handlers/world.py's neighbourhood, and the snapshot to go back to."""

    bot: Harness
    world: World
    template: Snapshot


@pytest.fixture(scope="module")
def neighbourhood(
    _template: str,
    tmp_path_factory: pytest.TempPathFactory,
    texts: Texts,
    classifier: Classifier,
) -> Iterator[Neighbourhood]:
    """The neighbourhood, built once per module (a test restores `template` to start afresh)."""
    clock = ManualClock()
    folder = tmp_path_factory.mktemp("neighbourhood")
    engine = make_engine(fresh_database(_template, folder, clock))
    bot = Harness(engine, clock, texts, classifier)
    world = build(bot)
    yield Neighbourhood(bot, world, bot.snapshot())
    engine.dispose()
