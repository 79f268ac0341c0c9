"""Composition: builds the stages from the config and joins them into one engine.

Constructors do no heavy work: models load lazily (``Assistant.warm_up`` loads them in the
background and reports progress as events).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from assistant import config as config_module
from assistant import paths
from assistant.config import Config
from assistant.conversation import ConversationEngine
from assistant.dialogue.state import DialogueStore
from assistant.dialogue.tracker import DialogueTracker
from assistant.events import AlarmFired, Error, Event, EventBus, ModelLoaded, ModelLoading, Notice
from assistant.llm.base import LanguageModel
from assistant.llm.factory import build_llm
from assistant.memory.store import MemoryStore
from assistant.model_store import ModelStore
from assistant.nlu.base import IntentDetector
from assistant.skills.setup import Understanding, build_understanding_stage
from assistant.vision.setup import VisionStage, build_vision_stage
from assistant.vision.skill import ImageIntentDetector
from assistant.vision.skill import register as register_image_skill
from assistant.vision.turn import ImageReader

log = logging.getLogger(__name__)


@dataclass
class Assistant:
    config: Config
    bus: EventBus
    store: MemoryStore
    models: ModelStore
    llm: LanguageModel
    engine: ConversationEngine
    vision: ImageReader  # images: checks, text recognition (loads on first use)
    understanding: Understanding  # intents, sentiment, skills, facts, timers

    def start_alarms(self) -> None:
        """Fire timers and reminders from now on (those due while closed fire at once)."""
        self.understanding.scheduler.start()

    def warm_up(self) -> None:
        """Load the models now (call from a worker thread); progress arrives as events."""
        self.start_alarms()
        self.bus.emit(ModelLoading("nlu", self.understanding.embedder.name))
        started = time.perf_counter()
        try:
            self.understanding.load()
        except Exception as err:
            self.bus.emit(Error("nlu", f"{err}; every message goes to the language model."))
        else:
            self.bus.emit(
                ModelLoaded("nlu", self.understanding.embedder.name, time.perf_counter() - started)
            )
        self.bus.emit(ModelLoading("llm", self.llm.name))
        started = time.perf_counter()
        try:
            self.llm.load()
        except Exception as err:
            self.bus.emit(Error("llm", str(err)))
            return
        self.bus.emit(ModelLoaded("llm", self.llm.name, time.perf_counter() - started))
        self.understanding.detector.warm_parse()  # the parse's instructions, into the cache
        self.engine.prepare()  # the prompt so far, into the model's cache

    def close(self) -> None:
        self.understanding.scheduler.stop()
        self.store.close()


def conversation_engine(
    config: Config,
    store: MemoryStore,
    bus: EventBus,
    llm: LanguageModel,
    understanding: Understanding,
    clock: Callable[[], datetime] = datetime.now,
    vision: VisionStage | None = None,
) -> ConversationEngine:
    """The conversation engine with the understanding stage's detector, sentiment, skills and
    facts, and the image stage when given (the app, and the benchmarks and tests that play
    turns as the app does). Due timers and reminders are announced by the engine."""
    detector: IntentDetector = understanding.detector
    if vision is not None:
        detector = ImageIntentDetector(detector)  # "read this", "what does it say" first
        register_image_skill(understanding.skills)
    engine = ConversationEngine(
        store=store,
        llm=llm,
        config=config,
        bus=bus,
        detector=detector,
        affect=understanding.affect,
        skills=understanding.skills,
        facts=understanding.facts,
        dialogue=DialogueTracker(DialogueStore(store), bus),
        fit_turn_context=vision.fitter.fit if vision is not None else None,
        waiting_images=vision.inbox if vision is not None else None,
        exact_answer=understanding.converter.answer,
        clock=clock,
    )

    def announce(event: Event) -> None:
        if isinstance(event, AlarmFired):
            engine.announce(event.text)  # spoken and shown like a reply

    bus.subscribe(announce)
    return engine


# Builds the language model for a config; the callable it gets tells the user something (a model
# server failed and the local model answers instead).
LlmBuilder = Callable[[Config, Callable[[str], None]], LanguageModel]


def build(
    config: Config | None = None,
    bus: EventBus | None = None,
    llm_builder: LlmBuilder | None = None,
) -> Assistant:
    """Every part of the assistant, nothing loaded yet. ``llm_builder`` replaces ``build_llm``
    (the window runs the model in a child process)."""
    config = config or config_module.load()
    bus = bus or EventBus()
    store = MemoryStore(paths.database_file())
    if config.memory.retention_days:
        store.delete_older_than(config.memory.retention_days)
    store.purge_trash()  # conversations deleted in the window more than TRASH_DAYS ago
    models = ModelStore()

    def notify(text: str) -> None:
        bus.emit(Notice(text, kind="warning"))

    if llm_builder is None:
        llm = build_llm(config, models, on_notice=notify)
    else:
        llm = llm_builder(config, notify)
    understanding = build_understanding_stage(config, store, bus, llm=llm)
    vision = build_vision_stage(config, bus, understanding.embedder)
    engine = conversation_engine(config, store, bus, llm, understanding, vision=vision)
    return Assistant(config, bus, store, models, llm, engine, vision.reader, understanding)
