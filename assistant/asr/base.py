"""The ASR stage: float32 mono 16 kHz audio in, text with segments out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str = "en"
    segments: tuple[Segment, ...] = field(default_factory=tuple)
    audio_seconds: float = 0.0
    compute_seconds: float = 0.0


class SpeechRecognizer(Protocol):
    @property
    def name(self) -> str: ...

    def load(self) -> None: ...

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        """``audio``: float32 mono at 16 kHz in [-1, 1]. Empty text for silence."""
        ...


class FakeRecognizer:
    """Returns a scripted text (tests of the voice loop without Whisper)."""

    def __init__(self, text: str = "hello there") -> None:
        self.text = text
        self.calls = 0

    @property
    def name(self) -> str:
        return "fake"

    def load(self) -> None:
        return None

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        self.calls += 1
        seconds = len(audio) / SAMPLE_RATE
        return Transcript(self.text, language or "en", (Segment(0.0, seconds, self.text),), seconds)
