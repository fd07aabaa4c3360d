"""Shared fixtures: the full classifier (shipped model) loaded once per session."""

from __future__ import annotations

import pytest

from classifier import load_classifier
from classifier.layered import LayeredClassifier


@pytest.fixture(scope="session")
def full_classifier() -> LayeredClassifier:
    return load_classifier()
