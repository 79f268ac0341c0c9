"""A turn about an image: read it, ask the engine with its text as context, store the image.

``ImageReader`` is what the CLI and the GUI call: it loads and checks the file and reads its
text (the OCR model loads on first use). ``ask_about_image`` runs the whole turn.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.events import Notice, Source
from assistant.vision.image import MAX_SIDE, LoadedImage, load_image
from assistant.vision.ocr import NO_TEXT, OcrResult, RapidOcrReader, TextReader
from assistant.vision.skill import NO_TEXT_CONTEXT

if TYPE_CHECKING:
    from assistant.conversation import ConversationEngine, TurnResult
    from assistant.memory.store import MemoryStore

DEFAULT_QUESTION = "What does this say?"


@dataclass
class ImageText:
    """An image and the text read from it."""

    image: LoadedImage
    ocr: OcrResult
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.ocr.text

    @property
    def turn_context(self) -> str:
        """What the engine gets as the turn's context (a marker when there is no text)."""
        return self.text if self.text.strip() else NO_TEXT_CONTEXT

    def attach_to(self, store: MemoryStore, message_id: int) -> None:
        """Store the image (and its text) with the user's message."""
        store.add_attachment(message_id, self.image.data, self.image.suffix, self.text)


class ImageReader:
    """Loads, checks and reads images; the OCR model loads on first use."""

    def __init__(self, reader: TextReader | None = None, max_side: int = MAX_SIDE) -> None:
        self.reader: TextReader = reader or RapidOcrReader()
        self.max_side = max_side

    def read(self, source: str | Path | bytes, name: str | None = None) -> ImageText:
        started = time.perf_counter()
        image = load_image(source, name, self.max_side)
        ocr = self.reader.read(image.image)
        notes = list(image.notes)
        if ocr.empty:
            notes.append(NO_TEXT)
        return ImageText(image, ocr, time.perf_counter() - started, notes)


def ask_about_image(
    engine: ConversationEngine,
    store: MemoryStore,
    image: ImageText,
    question: str = "",
    source: Source = "image",
) -> TurnResult:
    """One turn about ``image``: notes become notices, the text is the turn's context, and the
    image is stored with the user's message."""
    for note in image.notes:
        engine.bus.emit(Notice(note, kind="image"))
    result = engine.handle(
        question.strip() or DEFAULT_QUESTION, source, turn_context=image.turn_context
    )
    image.attach_to(store, result.user_message_id)
    return result
