"""Builds the understanding stage: one MiniLM embedder shared by intents, emotion and facts."""

from __future__ import annotations

from assistant.llm.base import LanguageModel
from assistant.nlu.affect import VaderAffect
from assistant.nlu.detector import EmbeddingIntentDetector
from assistant.nlu.embeddings import MiniLMEmbedder
from assistant.nlu.parse import LlmIntentParser
from assistant.nlu.second_opinion import SecondOpinionDetector


def build_understanding(
    embedder: MiniLMEmbedder | None = None, name: str = "Aria", llm: LanguageModel | None = None
) -> tuple[SecondOpinionDetector, VaderAffect]:
    """Nothing loads here; ``load()`` (or the first message) does. With ``llm``, the messages
    the embedding detector is unsure about get the model's structured parse."""
    embedder = embedder or MiniLMEmbedder()
    names = (name, "assistant", "computer")
    detector = EmbeddingIntentDetector(embedder, names=names)
    parser = LlmIntentParser(llm) if llm is not None else None
    return SecondOpinionDetector(detector, parser), VaderAffect(embedder)
