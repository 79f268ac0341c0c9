"""Builds the understanding stage: one MiniLM embedder shared by intents, emotion and facts."""

from __future__ import annotations

from assistant.nlu.affect import VaderAffect
from assistant.nlu.detector import EmbeddingIntentDetector
from assistant.nlu.embeddings import MiniLMEmbedder


def build_understanding(
    embedder: MiniLMEmbedder | None = None, name: str = "Aria"
) -> tuple[EmbeddingIntentDetector, VaderAffect]:
    """Nothing loads here; ``load()`` (or the first message) does."""
    embedder = embedder or MiniLMEmbedder()
    names = (name, "assistant", "computer")
    return EmbeddingIntentDetector(embedder, names=names), VaderAffect(embedder)
