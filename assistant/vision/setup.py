"""The image stage (called by ``assistant.app.build``): the reader (checks, text recognition),
the inbox for an image that waits for the next (spoken) question, and the fitting of long image
text to the prompt budget; ``conversation_engine`` joins them to the engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.events import EventBus, Notice
from assistant.nlu.embeddings import Embedder, MiniLMEmbedder
from assistant.vision.ocr import RapidOcrReader
from assistant.vision.select import ContextFitter
from assistant.vision.turn import ImageInbox, ImageReader

if TYPE_CHECKING:
    from assistant.config import Config


@dataclass(frozen=True)
class VisionStage:
    reader: ImageReader
    inbox: ImageInbox
    fitter: ContextFitter


def build_vision_stage(
    config: Config, bus: EventBus, embedder: Embedder | None = None
) -> VisionStage:
    """Nothing loads here: the OCR model loads with the first image."""
    fitter = ContextFitter(
        config.vision.context_tokens,
        embedder or MiniLMEmbedder(),
        notify=lambda text: bus.emit(Notice(text, kind="image")),
    )
    inbox = ImageInbox(bus)
    reader = ImageReader(RapidOcrReader(config.vision.ocr_threads), config.vision.max_side, inbox)
    return VisionStage(reader, inbox, fitter)
