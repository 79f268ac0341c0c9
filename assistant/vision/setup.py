"""Joining the image features to an engine (called by ``assistant.app.build``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.events import Notice
from assistant.nlu.embeddings import Embedder, MiniLMEmbedder
from assistant.vision.ocr import RapidOcrReader
from assistant.vision.select import ContextFitter
from assistant.vision.skill import ImageIntentDetector, register
from assistant.vision.turn import ImageReader

if TYPE_CHECKING:
    from assistant.config import Config
    from assistant.conversation import ConversationEngine


def attach_vision(
    engine: ConversationEngine, config: Config, embedder: Embedder | None = None
) -> ImageReader:
    """Image commands in front of the engine's detector, the image skill, fitting of long image
    text to the prompt budget (by relevance, with a notice); returns the image reader."""
    engine.detector = ImageIntentDetector(engine.detector)
    register(engine.skills)
    fitter = ContextFitter(
        config.vision.context_tokens,
        embedder or MiniLMEmbedder(),
        notify=lambda text: engine.bus.emit(Notice(text, kind="image")),
    )
    engine.fit_turn_context = fitter.fit
    return ImageReader(RapidOcrReader(config.vision.ocr_threads), config.vision.max_side)
