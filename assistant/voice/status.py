"""What the voice loop is doing (listening, thinking, speaking), said once per change."""

from __future__ import annotations

import threading
from collections.abc import Callable

from assistant.events import AssistantState, EventBus, StateChanged


class VoiceStatus:
    """The loop's one state. ``settle`` works it out from the stages' probes (bound by the
    ``VoiceLoop`` once they exist): speaking while a reply is heard, thinking while one is being
    prepared or a line waits for the engine, else listening."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._lock = threading.Lock()
        self._state = AssistantState.IDLE
        self.halted = threading.Event()
        self._speaking: Callable[[], bool | None] = lambda: None
        self._busy: Callable[[], bool] = lambda: False

    def bind(self, speaking: Callable[[], bool | None], busy: Callable[[], bool]) -> None:
        """``speaking``: True while a reply is heard, False while one is being prepared, None
        without a reply; ``busy``: the engine has a turn running or waiting."""
        self._speaking, self._busy = speaking, busy

    @property
    def state(self) -> AssistantState:
        return self._state

    def set(self, state: AssistantState) -> None:
        with self._lock:
            if state is self._state:
                return
            self._state = state
        self._bus.emit(StateChanged(state))

    def settle(self) -> None:
        """Back to listening unless a reply is still being prepared or spoken."""
        if self.halted.is_set():
            return
        speaking = self._speaking()
        if speaking:
            self.set(AssistantState.SPEAKING)
        elif speaking is not None or self._busy():
            self.set(AssistantState.THINKING)
        else:
            self.set(AssistantState.LISTENING)
