"""Dialogue state: what the assistant asked, what the user may refer to, what can be undone.

One small typed record per conversation, kept in the database beside it (the ``state`` table,
as JSON), so a question asked before a restart is still answered after it:

- ``question``: a question the assistant asked to complete a command ("For how long?"): the
  intent, the slot it lacks and the slots it has. The next turn is read as its answer first.
- ``referents``: the things skills created or touched in this conversation (timers,
  reminders, facts), oldest first: "it" and "that" are the last one, "the second one" the
  second of its kind.
- ``undo``: how to take back the last change ("undo that").
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from assistant.memory.store import MemoryStore

log = logging.getLogger(__name__)

ReferentKind = Literal["timer", "reminder", "fact"]
UndoAction = Literal["cancel", "restore", "reschedule", "delete_fact", "restore_facts"]
QUESTION_TTL_S = 10 * 60.0  # a question not answered within this is forgotten …
CONFIRM_TTL_S = 60.0  # … and a "really delete?" within this (a late "yes" deletes nothing)
MAX_REFERENTS = 12


@dataclass(frozen=True)
class Question:
    """A question the assistant asked: ``slot`` of ``intent`` is missing."""

    intent: str
    slot: str  # "duration_s", "when", "text", "app", "confirm"
    text: str  # what was asked, as shown and spoken
    slots: dict[str, Any] = field(default_factory=dict)  # what the command has already
    asked_at: float = 0.0

    def expired(self, now: float) -> bool:
        ttl = CONFIRM_TTL_S if self.slot == "confirm" else QUESTION_TTL_S
        return now - self.asked_at > ttl


@dataclass(frozen=True)
class Referent:
    """Something a skill created or touched: ``id`` is its row (alarm or fact)."""

    kind: ReferentKind
    id: int
    # a reminder set "in 20 minutes" is changed by minutes ("make it 30"), one set "at 5 pm"
    # by the clock ("make it 6")
    relative: bool = False
    created_at: float = 0.0


@dataclass(frozen=True)
class Undo:
    """How to take back the last change: what to do, to which rows, and what to say."""

    action: UndoAction
    ids: tuple[int, ...] = ()
    description: str = ""  # "the 10-minute timer"
    previous: tuple[tuple[int, float, int | None], ...] = ()  # (id, due_at, duration_s)
    texts: tuple[str, ...] = ()  # facts to put back


@dataclass
class DialogueState:
    question: Question | None = None
    referents: list[Referent] = field(default_factory=list)
    undo: Undo | None = None

    def last(self, *kinds: ReferentKind) -> Referent | None:
        for referent in reversed(self.referents):
            if not kinds or referent.kind in kinds:
                return referent
        return None

    def of_kind(self, kind: ReferentKind) -> list[Referent]:
        return [r for r in self.referents if r.kind == kind]

    def touch(self, referent: Referent) -> None:
        """``referent`` becomes the most recent one ("it")."""
        key = (referent.kind, referent.id)
        self.referents = [r for r in self.referents if (r.kind, r.id) != key]
        self.referents.append(referent)
        del self.referents[:-MAX_REFERENTS]

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> DialogueState:
        data = json.loads(text)
        question = data.get("question")
        undo = data.get("undo")
        return cls(
            question=Question(**question) if question else None,
            referents=[Referent(**r) for r in data.get("referents", [])],
            undo=Undo(
                action=undo["action"],
                ids=tuple(undo.get("ids", ())),
                description=undo.get("description", ""),
                previous=tuple(tuple(p) for p in undo.get("previous", ())),
                texts=tuple(undo.get("texts", ())),
            )
            if undo
            else None,
        )


class DialogueStore:
    """Reads and writes each conversation's ``DialogueState`` in the database."""

    def __init__(self, store: MemoryStore, clock: Any = time.time) -> None:
        self._store = store
        self._clock = clock

    @staticmethod
    def _key(conversation_id: int) -> str:
        return f"dialogue:{conversation_id}"

    def load(self, conversation_id: int) -> DialogueState:
        text = self._store.get_state(self._key(conversation_id))
        if not text:
            return DialogueState()
        try:
            state = DialogueState.from_json(text)
        except (ValueError, KeyError, TypeError) as err:
            log.warning(
                "dialogue state of conversation %d unreadable (%s); starting afresh",
                conversation_id,
                err,
            )
            return DialogueState()
        if state.question is not None and state.question.expired(self._clock()):
            state.question = None
        return state

    def save(self, conversation_id: int, state: DialogueState) -> None:
        self._store.set_state(self._key(conversation_id), state.to_json())
