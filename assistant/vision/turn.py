"""A turn about an image: read it, and ask the engine with the image attached to the turn.

``ImageReader`` is what the CLI and the GUI call: it loads and checks the file and reads its
text (the OCR model loads on first use). ``ImageText.attachment`` is the image as a turn's
attachment (stored with the user's message, its text the turn's context); ``ask_about_image``
runs the whole turn. ``ImageInbox`` keeps a capture for the next (spoken) turn.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.events import EventBus, Notice, Source
from assistant.turns import TurnAttachment, TurnRequest
from assistant.vision.image import MAX_SIDE, LoadedImage, load_image
from assistant.vision.ocr import NO_TEXT, OcrResult, RapidOcrReader, TextReader
from assistant.vision.skill import NO_TEXT_CONTEXT

if TYPE_CHECKING:
    from assistant.conversation import ConversationEngine, TurnResult

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

    def attachment(self) -> TurnAttachment:
        """The image for a turn: stored with the user's message, its text the turn's context."""
        return TurnAttachment(
            self.image.data, self.image.suffix, self.text, context=self.turn_context
        )


class ImageInbox:
    """An image waiting for the next turn, e.g. a screen capture before a spoken question: the
    engine takes it at the start of that turn (``take``) and stores it with its message."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._lock = threading.Lock()
        self._waiting: ImageText | None = None

    @property
    def waiting(self) -> bool:
        return self._waiting is not None

    def put(self, image: ImageText) -> None:
        for note in image.notes:
            self._bus.emit(Notice(note, kind="image"))
        with self._lock:
            self._waiting = image

    def clear(self) -> None:
        with self._lock:
            self._waiting = None

    def take(self) -> TurnAttachment | None:
        with self._lock:
            image, self._waiting = self._waiting, None
        return image.attachment() if image is not None else None


class ImageReader:
    """Loads, checks and reads images; the OCR model loads on first use."""

    def __init__(
        self,
        reader: TextReader | None = None,
        max_side: int = MAX_SIDE,
        inbox: ImageInbox | None = None,
    ) -> None:
        self.reader: TextReader = reader or RapidOcrReader()
        self.max_side = max_side
        self.inbox = inbox  # for an image that waits for the next (spoken) question

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
    image: ImageText,
    question: str = "",
    source: Source = "image",
    client_ref: str | None = None,
) -> TurnResult:
    """One turn about ``image``: notes become notices, and the image goes with the turn (stored
    with the user's message, its text the turn's context)."""
    for note in image.notes:
        engine.bus.emit(Notice(note, kind="image"))
    text = question.strip() or DEFAULT_QUESTION
    return engine.handle(TurnRequest(text, source, (image.attachment(),), client_ref))
