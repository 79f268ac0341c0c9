"""The TTS stage: text in, float32 mono audio out (spoken by the playback stage)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    language: str = "en"


class SpeechSynthesizer(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def sample_rate(self) -> int: ...

    def load(self) -> None: ...

    def voices(self) -> list[Voice]: ...

    def synthesize(self, text: str) -> np.ndarray:
        """float32 mono samples in [-1, 1] at ``sample_rate``."""
        ...


class FakeSynthesizer:
    """A tone whose length follows the text (tests of playback and barge-in)."""

    def __init__(self, sample_rate: int = 16_000, seconds_per_char: float = 0.05) -> None:
        self._rate = sample_rate
        self._per_char = seconds_per_char

    @property
    def name(self) -> str:
        return "fake"

    @property
    def sample_rate(self) -> int:
        return self._rate

    def load(self) -> None:
        return None

    def voices(self) -> list[Voice]:
        return [Voice("fake", "Fake tone")]

    def synthesize(self, text: str) -> np.ndarray:
        n = int(len(text) * self._per_char * self._rate)
        t = np.arange(n, dtype=np.float32) / self._rate
        return (0.2 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
