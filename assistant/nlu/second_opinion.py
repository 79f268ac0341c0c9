"""The intent detector of the app: the embedding detector for clear messages, the language
model's structured parse when it is unsure (see ``Assessment.unsure``). A failed or invalid
parse leaves the embedding detector's answer."""

from __future__ import annotations

from datetime import datetime

from assistant.nlu.base import Intent
from assistant.nlu.detector import EmbeddingIntentDetector
from assistant.nlu.parse import LlmIntentParser


class SecondOpinionDetector:
    def __init__(self, detector: EmbeddingIntentDetector, parser: LlmIntentParser | None) -> None:
        self.detector = detector
        self.parser = parser

    def load(self) -> None:
        self.detector.load()

    def detect(self, text: str, now: datetime | None = None) -> Intent:
        assessment = self.detector.assess(text, now)
        if self.parser is None or not self.parser.available or not assessment.unsure():
            return assessment.intent
        return self.parser.parse(text, now) or assessment.intent
