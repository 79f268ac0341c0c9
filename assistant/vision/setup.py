"""Joining the image features to an engine (called by ``assistant.app.build``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.events import Notice
from assistant.nlu.embeddings import Embedder, MiniLMEmbedder
from assistant.vision.ocr import RapidOcrReader
from assistant.vision.select import ContextFitter
from assistant.vision.skill import ImageIntentDetector, register
from assistant.vision.turn import ImageInbox, ImageReader

if TYPE_CHECKING:
    from assistant.config import Config
    from assistant.conversation import ConversationEngine


def attach_vision(
    engine: ConversationEngine, config: Config, embedder: Embedder | None = None
) -> ImageReader:
    """Image commands in front of the engine's detector, the image skill, fitting of long image
    text to the prompt budget (by relevance, with a notice), an inbox for an image that waits
    for the next (spoken) question; returns the image reader."""
    engine.detector = ImageIntentDetector(engine.detector)
    register(engine.skills)
    fitter = ContextFitter(
        config.vision.context_tokens,
        embedder or MiniLMEmbedder(),
        notify=lambda text: engine.bus.emit(Notice(text, kind="image")),
    )
    engine.fit_turn_context = fitter.fit
    inbox = ImageInbox(engine.store, engine.bus)
    engine.take_turn_context = inbox.take
    return ImageReader(RapidOcrReader(config.vision.ocr_threads), config.vision.max_side, inbox)
