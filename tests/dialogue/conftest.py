"""The real MiniLM embedder, loaded once for the dialogue tests."""

from __future__ import annotations

import pytest

from assistant.nlu.embeddings import MiniLMEmbedder


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    model = MiniLMEmbedder()
    model.load()
    return model
