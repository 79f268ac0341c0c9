"""Composition of the understanding stage: detector, affect, skills, fact selector, alarms.

The skills are those the intent catalogue (``nlu/intents.py``) names, made from the parts built
here (the alarm book, the fact index, the application catalogue).

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
from assistant.nlu.conversions import UnitConverter
from assistant.nlu.embeddings import MiniLMEmbedder
from assistant.nlu.factory import build_intent_detector
from assistant.nlu.intents import INTENTS
from assistant.nlu.second_opinion import SecondOpinionDetector
from assistant.skills.alarms import AlarmBook, AlarmScheduler
from assistant.skills.apps import AppCatalog, Launcher, spawn
from assistant.skills.base import SkillParts, SkillRegistry
from assistant.skills.memory_facts import EmbeddingFactSelector, FactIndex


@dataclass
class Understanding:
    embedder: MiniLMEmbedder
    detector: SecondOpinionDetector
    affect: VaderAffect
    skills: SkillRegistry
    facts: EmbeddingFactSelector  # the facts a request for advice keeps in mind
    alarms: AlarmBook
    scheduler: AlarmScheduler
    converter: UnitConverter  # unit conversions worked out and said instead of the model

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
    apps = AppCatalog(dict(config.skills.apps), use_desktop=config.skills.desktop_apps)
    parts = SkillParts(book, index, apps, launch)
    skills = SkillRegistry()
    for spec in INTENTS:  # each intent names its skill in the catalogue
        if spec.skill is not None:
            skills.register(spec.name, spec.skill(parts))
    return Understanding(
        embedder=embedder,
        detector=build_intent_detector(config, embedder, llm, clock),
        affect=VaderAffect(embedder),
        skills=skills,
        facts=EmbeddingFactSelector(index),
        alarms=book,
        scheduler=AlarmScheduler(book, bus),
        converter=UnitConverter(),
    )
