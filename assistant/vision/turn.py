"""A turn about an image: read it, ask the engine with its text as context, store the image.

``ImageReader`` is what the CLI and the GUI call: it loads and checks the file and reads its
text (the OCR model loads on first use). ``ask_about_image`` runs the whole turn.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.events import Event, EventBus, Notice, Source, UserText
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


class ImageInbox:
    """An image waiting for the next turn, e.g. a screen capture before a spoken question.

    The engine takes its text at the start of the turn (``take``); the image is then stored with
    that turn's user message (on its ``UserText`` event).
    """

    def __init__(self, store: MemoryStore, bus: EventBus) -> None:
        self._store = store
        self._bus = bus
        self._lock = threading.Lock()
        self._waiting: ImageText | None = None
        self._in_flight: ImageText | None = None
        bus.subscribe(self._on_event)

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

    def take(self) -> str | None:
        with self._lock:
            image, self._waiting = self._waiting, None
            self._in_flight = image
        return image.turn_context if image is not None else None

    def _on_event(self, event: Event) -> None:
        if isinstance(event, UserText) and self._in_flight is not None:
            image, self._in_flight = self._in_flight, None
            image.attach_to(self._store, event.message_id)


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
    store: MemoryStore,
    image: ImageText,
    question: str = "",
    source: Source = "image",
) -> TurnResult:
    """One turn about ``image``: notes become notices, the text is the turn's context, and the
    image is stored with the user's message as soon as that is recorded (before the reply)."""
    from assistant.conversation import clean_user_text

    for note in image.notes:
        engine.bus.emit(Notice(note, kind="image"))
    text = question.strip() or DEFAULT_QUESTION
    stored: list[int] = []

    def on_event(event: Event) -> None:
        if (
            isinstance(event, UserText)
            and not stored
            and event.source == source
            and (event.text == clean_user_text(text))
        ):
            stored.append(event.message_id)
            image.attach_to(store, event.message_id)

    unsubscribe = engine.bus.subscribe(on_event)
    try:
        result = engine.handle(text, source, turn_context=image.turn_context)
    finally:
        unsubscribe()
    if not stored:
        image.attach_to(store, result.user_message_id)
    return result
