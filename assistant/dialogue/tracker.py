"""The dialogue stage of a turn: read the turn against the state, then record what the reply
asked, made and changed. The engine calls ``read`` before intent detection and ``record``
after the reply; the state is saved with the conversation and a change is announced with a
``DialogueChanged`` event (the window shows the question that waits)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from assistant.dialogue.followups import UNDO, FollowUpReader
from assistant.dialogue.state import DialogueState, DialogueStore, Question, Undo
from assistant.events import DialogueChanged, EventBus
from assistant.nlu.base import Intent
from assistant.skills.base import SkillReply


class DialogueTracker:
    """Per conversation: the state, read by the next turn and updated by each reply."""

    def __init__(
        self,
        store: DialogueStore,
        bus: EventBus,
        reader: FollowUpReader | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._bus = bus
        self._reader = reader or FollowUpReader()
        self._clock = clock
        self._lock = threading.Lock()

    def state(self, conversation_id: int) -> DialogueState:
        with self._lock:
            return self._store.load(conversation_id)

    def question(self, conversation_id: int) -> Question | None:
        return self.state(conversation_id).question

    def last_change(self, conversation_id: int) -> Undo | None:
        return self.state(conversation_id).undo

    def read(self, conversation_id: int, text: str, now: datetime) -> Intent | None:
        """The turn as an answer, an undo or a reference; None: the detector decides."""
        return self._reader.read(text, self.state(conversation_id), now)

    def record(self, conversation_id: int, intent: Intent, reply: SkillReply | None) -> None:
        """After a turn: a question is answered or dropped by any turn, and replaced by the one
        this reply asks; what it touched becomes "it"; its change is the one to undo."""
        with self._lock:
            state = self._store.load(conversation_id)
            saved = state.to_json()
            before = state.question
            state.question = None
            if reply is not None:
                if reply.asks is not None:
                    state.question = replace(reply.asks, asked_at=self._clock())
                for referent in reply.touched:
                    state.touch(referent)
                if intent.name == UNDO:
                    state.undo = None
                elif reply.undo is not None:
                    state.undo = reply.undo
            if state.to_json() != saved:  # most chat turns change nothing: no write
                self._store.save(conversation_id, state)
        if before != state.question:
            asked = state.question.text if state.question is not None else None
            self._bus.emit(DialogueChanged(conversation_id, asked))
