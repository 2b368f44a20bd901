"""Shared fixtures for the classifier tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import Classifier

REPO = Path(__file__).resolve().parents[2]
TEDDY = REPO.parent / "shared" / "data" / "teddy2020c" / "messages.csv"


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    return Classifier.load(place_names=["铜都花园", "西花苑小区"])
