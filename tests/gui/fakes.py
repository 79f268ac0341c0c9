"""Light stand-ins for GUI tests: a scripted voice loop and an assistant without NLU models."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from assistant.config import Config
from assistant.conversation import ConversationEngine
from assistant.events import (
    AssistantState,
    EventBus,
    FinalTranscript,
    InputLevel,
    PartialTranscript,
    SpeakingStarted,
    SpeakingStopped,
    StateChanged,
)
from assistant.llm.base import LanguageModel
from assistant.memory.store import MemoryStore
from assistant.model_store import ModelStore
from assistant.turns import TurnRequest


@dataclass
class LightAssistant:
    """What the bridge uses of ``assistant.app.Assistant``: a real store and engine, no NLU."""

    config: Config
    bus: EventBus
    store: MemoryStore
    models: ModelStore
    llm: LanguageModel
    engine: ConversationEngine

    def warm_up(self) -> None:
        self.llm.load()

    def close(self) -> None:
        self.store.close()


class FakeVoice:
    """``hear(text)`` plays the part of the user speaking; calls are recorded in ``calls``."""

    def __init__(self, bus: EventBus, engine: ConversationEngine) -> None:
        self.bus = bus
        self.engine = engine
        self.calls: list[str] = []
        self.muted = False
        self._listening = False
        self._lock = threading.Lock()

    @property
    def listening(self) -> bool:
        return self._listening

    def _state(self, state: AssistantState) -> None:
        self.bus.emit(StateChanged(state))

    def start(self) -> None:
        self.calls.append("start")
        self._listening = True
        self._state(AssistantState.LISTENING)
        self.bus.emit(InputLevel(-20.0))

    def stop(self) -> None:
        self.calls.append("stop")
        self._listening = False
        self._state(AssistantState.IDLE)

    def push_to_talk(self, pressed: bool) -> None:
        self.calls.append(f"ptt:{pressed}")
        self._state(AssistantState.LISTENING if pressed else AssistantState.THINKING)

    def interrupt(self) -> None:
        self.calls.append("interrupt")

    def set_muted(self, muted: bool) -> None:
        self.calls.append(f"muted:{muted}")
        self.muted = muted

    def hear(self, text: str) -> None:
        """The user says ``text``: partial, final, a voice turn, spoken reply, listening again."""
        with self._lock:
            words = text.split()
            for i in range(1, len(words) + 1):
                self.bus.emit(PartialTranscript(" ".join(words[:i])))
            self.bus.emit(FinalTranscript(text))
            self._state(AssistantState.THINKING)
            result = self.engine.handle(TurnRequest(text, "voice"))
            self._state(AssistantState.SPEAKING)
            self.bus.emit(SpeakingStarted(result.turn_id))
            self.bus.emit(SpeakingStopped(result.turn_id, result.reply, False))
            self._state(AssistantState.LISTENING if self._listening else AssistantState.IDLE)


def settle(qtbot, bridge) -> None:  # type: ignore[no-untyped-def]
    """Wait until the reads the widgets asked the bridge for are delivered (a delivery may ask
    for the next read: the history list, then the charts)."""
    qtbot.waitUntil(lambda: bridge.pending_reads == 0, timeout=5000)
