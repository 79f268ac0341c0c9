"""The real MiniLM embedder and detector, loaded once per test session."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.nlu.affect import VaderAffect
from assistant.nlu.detector import EmbeddingIntentDetector
from assistant.nlu.embeddings import MiniLMEmbedder

# A Monday morning: reminder times in the tests are fixed against it.
NOW = datetime(2026, 3, 2, 10, 0, 0)


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    model = MiniLMEmbedder()
    model.load()
    return model


@pytest.fixture(scope="session")
def detector(embedder: MiniLMEmbedder) -> EmbeddingIntentDetector:
    found = EmbeddingIntentDetector(embedder, clock=lambda: NOW)
    found.load()
    return found


@pytest.fixture(scope="session")
def affect(embedder: MiniLMEmbedder) -> VaderAffect:
    analyzer = VaderAffect(embedder)
    analyzer.load()
    return analyzer
