"""Builds the understanding parts: one MiniLM embedder shared by intents, emotion and facts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from assistant.config import Config
from assistant.llm.base import LanguageModel
from assistant.nlu.affect import VaderAffect
from assistant.nlu.detector import EmbeddingIntentDetector
from assistant.nlu.embeddings import MiniLMEmbedder
from assistant.nlu.parse import LlmIntentParser
from assistant.nlu.second_opinion import SecondOpinionDetector


def build_intent_detector(
    config: Config,
    embedder: MiniLMEmbedder,
    llm: LanguageModel | None = None,
    clock: Callable[[], datetime] = datetime.now,
) -> SecondOpinionDetector:
    """The nearest-example detector, and (with ``llm`` and ``skills.llm_parse``) the language
    model's structured parse for the messages it is unsure about; by default not through a
    model server, so that a command stays on this computer. Nothing loads here."""
    detector = EmbeddingIntentDetector(
        embedder,
        threshold=config.skills.intent_threshold,
        clock=clock,
        names=(config.assistant.name, "assistant", "computer"),
    )
    mode = config.skills.llm_parse
    use_parse = mode == "on" or (mode == "local" and config.llm.backend != "openai")
    parser = LlmIntentParser(llm, clock=clock) if use_parse and llm is not None else None
    return SecondOpinionDetector(detector, parser)


def build_understanding(
    config: Config | None = None,
    embedder: MiniLMEmbedder | None = None,
    llm: LanguageModel | None = None,
) -> tuple[SecondOpinionDetector, VaderAffect]:
    """The detector and the sentiment/emotion analyser (``assistant intent``, ``bench
    intents``); ``load()`` (or the first message) loads the models."""
    embedder = embedder or MiniLMEmbedder()
    return build_intent_detector(config or Config(), embedder, llm), VaderAffect(embedder)
