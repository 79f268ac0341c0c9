"""Composition of the understanding stage: detector, affect, skills, fact selector, alarms.

Nothing heavy happens here; ``Understanding.load`` (called by ``Assistant.warm_up`` on a worker
thread, or implicitly by the first message) loads MiniLM and embeds the exemplars.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from assistant.config import Config
from assistant.events import EventBus
from assistant.llm.base import LanguageModel
from assistant.memory.store import MemoryStore
from assistant.nlu.affect import VaderAffect
from assistant.nlu.embeddings import MiniLMEmbedder
from assistant.nlu.factory import build_intent_detector
from assistant.nlu.second_opinion import SecondOpinionDetector
from assistant.skills.alarms import AlarmBook, AlarmScheduler
from assistant.skills.apps import AppCatalog, AppLauncherSkill, Launcher, spawn
from assistant.skills.base import Skill, SkillRegistry
from assistant.skills.calculator import CalculatorSkill
from assistant.skills.clock import DateSkill, TimeSkill
from assistant.skills.control import HelpSkill, NewConversationSkill, RepeatSkill, StopSkill
from assistant.skills.followups import DismissSkill, NothingToReferSkill, UndoSkill
from assistant.skills.memory_facts import (
    EmbeddingFactSelector,
    FactIndex,
    ForgetSkill,
    RecallSkill,
    RememberSkill,
)
from assistant.skills.reminders import (
    ReminderCancelSkill,
    ReminderChangeSkill,
    ReminderSkill,
    ReminderStatusSkill,
)
from assistant.skills.timers import (
    TimerCancelSkill,
    TimerChangeSkill,
    TimerSetSkill,
    TimerStatusSkill,
)


@dataclass
class Understanding:
    embedder: MiniLMEmbedder
    detector: SecondOpinionDetector
    affect: VaderAffect
    skills: SkillRegistry
    facts: EmbeddingFactSelector
    alarms: AlarmBook
    scheduler: AlarmScheduler

    def load(self) -> None:
        self.embedder.load()
        self.detector.load()
        self.affect.load()


def build_understanding_stage(
    config: Config,
    store: MemoryStore,
    bus: EventBus,
    *,
    embedder: MiniLMEmbedder | None = None,
    llm: LanguageModel | None = None,
    launch: Launcher = spawn,
    clock: Callable[[], datetime] = datetime.now,
) -> Understanding:
    embedder = embedder or MiniLMEmbedder()
    index = FactIndex(store, embedder)
    book = AlarmBook(store, clock=lambda: clock().timestamp())
    catalog = AppCatalog(dict(config.skills.apps), use_desktop=config.skills.desktop_apps)
    skills = SkillRegistry()
    table: dict[str, Skill] = {
        "time": TimeSkill(),
        "date": DateSkill(),
        "timer.set": TimerSetSkill(book),
        "timer.cancel": TimerCancelSkill(book),
        "timer.status": TimerStatusSkill(book),
        "timer.change": TimerChangeSkill(book),
        "reminder.set": ReminderSkill(book),
        "reminder.cancel": ReminderCancelSkill(book),
        "reminder.status": ReminderStatusSkill(book),
        "reminder.change": ReminderChangeSkill(book),
        "calculate": CalculatorSkill(),
        "memory.remember": RememberSkill(index),
        "memory.recall": RecallSkill(index),
        "memory.forget": ForgetSkill(index),
        "app.open": AppLauncherSkill(catalog, launch),
        "stop": StopSkill(),
        "repeat": RepeatSkill(),
        "conversation.new": NewConversationSkill(),
        "help": HelpSkill(),
        "undo": UndoSkill(book, index),
        "dismiss": DismissSkill(),
        "followup.nothing": NothingToReferSkill(),
    }
    for name, skill in table.items():
        skills.register(name, skill)
    return Understanding(
        embedder=embedder,
        detector=build_intent_detector(config, embedder, llm, clock),
        affect=VaderAffect(embedder),
        skills=skills,
        facts=EmbeddingFactSelector(index),
        alarms=book,
        scheduler=AlarmScheduler(book, bus),
    )
