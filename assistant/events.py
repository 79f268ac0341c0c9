"""The typed events of the assistant.

The CLI, the GUI bridge and the tests all consume these; no consumer reaches into a stage.
Every event is a small frozen dataclass. ``turn_id`` ties the events of one turn together.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Source = Literal["typed", "voice", "hotkey", "image"]


class AssistantState(enum.Enum):
    """The turn-taking state machine: idle → listening → thinking → speaking."""

    IDLE = "idle"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"


@dataclass(frozen=True)
class Event:
    """Base class of every event."""


# --- a turn -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserText(Event):
    """A user message was recorded (typed, or transcribed from speech)."""

    turn_id: int
    conversation_id: int
    message_id: int
    text: str
    source: Source
    client_ref: str | None = None  # the TurnRequest's, echoed: the sender finds its message
    attachments: int = 0  # files stored with the message (an image)


@dataclass(frozen=True)
class IntentDetected(Event):
    turn_id: int
    intent: str
    confidence: float
    slots: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplyStarted(Event):
    turn_id: int
    by: Literal["skill", "llm"]


@dataclass(frozen=True)
class ReplyToken(Event):
    """A piece of the reply as it streams (a token or a few characters)."""

    turn_id: int
    text: str


@dataclass(frozen=True)
class ReplySentence(Event):
    """A whole sentence of the reply, ready to be spoken while the rest still streams."""

    turn_id: int
    index: int
    text: str


@dataclass(frozen=True)
class ReplyDone(Event):
    """The reply ended; ``text`` is what was stored (only what was produced before a cancel)."""

    turn_id: int
    conversation_id: int
    message_id: int
    text: str
    interrupted: bool


@dataclass(frozen=True)
class Interrupted(Event):
    """The turn was cancelled (Stop, Ctrl-C, barge-in)."""

    turn_id: int
    reason: str


@dataclass(frozen=True)
class StageTiming(Event):
    """How long one stage of a turn took, in milliseconds."""

    turn_id: int
    stage: str
    ms: float


@dataclass(frozen=True)
class ConversationChanged(Event):
    """The current conversation changed (new conversation, opened from history)."""

    conversation_id: int


@dataclass(frozen=True)
class DialogueChanged(Event):
    """The question the assistant waits an answer to changed (None: no question waits)."""

    conversation_id: int
    question: str | None


# --- voice --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateChanged(Event):
    state: AssistantState


@dataclass(frozen=True)
class InputLevel(Event):
    """Microphone level for the meter, in dBFS (−100 … 0)."""

    dbfs: float


@dataclass(frozen=True)
class PartialTranscript(Event):
    text: str


@dataclass(frozen=True)
class FinalTranscript(Event):
    text: str


@dataclass(frozen=True)
class EndOfTurn(Event):
    """Voice activity says the user finished: ``speech_ms`` of speech, then ``silence_ms``."""

    speech_ms: float
    silence_ms: float


@dataclass(frozen=True)
class SpeakingStarted(Event):
    turn_id: int


@dataclass(frozen=True)
class SpeakingStopped(Event):
    turn_id: int
    spoken_text: str
    interrupted: bool


# --- loading, notices and errors ----------------------------------------------------------


@dataclass(frozen=True)
class ModelLoading(Event):
    role: str
    name: str


@dataclass(frozen=True)
class ModelLoaded(Event):
    role: str
    name: str
    seconds: float


@dataclass(frozen=True)
class Notice(Event):
    """Something the user should know (a timer fired, a device came back …)."""

    text: str
    kind: str = "info"


@dataclass(frozen=True)
class AlarmFired(Event):
    """A timer or reminder is due: the engine says ``text`` as a reply of its own."""

    kind: str
    text: str


@dataclass(frozen=True)
class Error(Event):
    """A stage failed; ``message`` is one line with the fix; the app keeps working."""

    stage: str
    message: str
    fatal: bool = False


Listener = Callable[[Event], None]


class EventBus:
    """Fan-out of events to subscribers; thread-safe; a failing subscriber is logged, not fatal."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def emit(self, event: Event) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a broken consumer must not break the turn
                import logging

                logging.getLogger(__name__).exception("event listener failed on %r", type(event))
