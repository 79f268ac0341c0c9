"""The skill stage: a command intent is answered locally, without the language model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from assistant.dialogue.state import Question, Referent, Undo
from assistant.nlu.base import Intent

if TYPE_CHECKING:
    from assistant.memory.store import MemoryStore
    from assistant.skills.alarms import AlarmBook
    from assistant.skills.apps import AppCatalog, Launcher
    from assistant.skills.memory_facts import FactIndex


@dataclass
class SkillContext:
    """What a skill may use: the store, the clock, and actions on the conversation."""

    store: MemoryStore
    conversation_id: int
    now: Callable[[], datetime] = datetime.now
    last_reply: str | None = None
    image_text: str | None = None
    last_change: Undo | None = None  # what "undo that" takes back (from the dialogue state)


ASK_LLM = "ask_llm"


@dataclass(frozen=True)
class SkillReply:
    text: str
    # Actions for the engine/UI: "new_conversation", "stop", "speak_only" …; ASK_LLM: the skill
    # has no answer and the language model (which sees the conversation) should reply instead
    actions: tuple[str, ...] = field(default_factory=tuple)
    # for the dialogue state: the question this reply asks (the next turn answers it), what
    # it created or touched ("it" from now on), and how to take the change back
    asks: Question | None = None
    touched: tuple[Referent, ...] = ()
    undo: Undo | None = None


class Skill(Protocol):
    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply: ...


@dataclass(frozen=True)
class SkillParts:
    """What the skills are made with (built once by ``skills/setup.py``)."""

    book: AlarmBook  # timers and reminders
    facts: FactIndex  # the facts about the user
    apps: AppCatalog  # the applications that may be started
    launch: Launcher


# how the intent catalogue (``nlu/intents.py``) names the skill that answers an intent
SkillMaker = Callable[[SkillParts], Skill]


class SkillRegistry:
    """Intent name → skill."""

    def __init__(self) -> None:
        self._skills: dict[str, Skill] = {}

    def register(self, intent_name: str, skill: Skill) -> None:
        self._skills[intent_name] = skill

    def get(self, intent_name: str) -> Skill | None:
        return self._skills.get(intent_name)

    def names(self) -> list[str]:
        return sorted(self._skills)
