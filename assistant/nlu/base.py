"""Protocols of the understanding stage: intent detection and sentiment/emotion."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

SentimentLabel = Literal["positive", "neutral", "negative"]
Emotion = Literal["joy", "sadness", "anger", "fear", "surprise", "neutral"]

CHAT = "chat"


@dataclass(frozen=True)
class Intent:
    name: str
    confidence: float = 1.0
    slots: dict[str, Any] = field(default_factory=dict)

    @property
    def is_command(self) -> bool:
        return self.name != CHAT


@dataclass(frozen=True)
class Affect:
    """Sentiment (label and score in [-1, 1]) and emotion of one user message."""

    label: SentimentLabel = "neutral"
    score: float = 0.0
    emotion: Emotion = "neutral"


# called by a detector with its own answer just before it asks the language model for a
# second opinion (seconds on a CPU): the engine starts a chat reply beside that parse
OnUnsure = Callable[[Intent], None]


class IntentDetector(Protocol):
    def detect(self, text: str, *, on_unsure: OnUnsure | None = None) -> Intent: ...


class AffectAnalyzer(Protocol):
    def analyze(self, text: str) -> Affect: ...


class ChatOnlyDetector:
    """Sends everything to the language model (used until the intent models are loaded)."""

    def detect(self, text: str, *, on_unsure: OnUnsure | None = None) -> Intent:
        return Intent(CHAT, 1.0)


class NeutralAffect:
    def analyze(self, text: str) -> Affect:
        return Affect()
