"""Skill turns through the real ConversationEngine: commands never reach the language model."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from assistant.app import conversation_engine
from assistant.config import Config
from assistant.conversation import ConversationEngine
from assistant.events import Event, EventBus, ModelLoaded, ReplyStarted
from assistant.llm.fake import FakeLanguageModel
from assistant.memory.store import MemoryStore
from assistant.nlu.embeddings import MiniLMEmbedder
from assistant.skills.setup import Understanding, build_understanding_stage

NOW = datetime(2026, 3, 2, 10, 0, 0)


def no_launch(argv: object) -> None:
    raise AssertionError("nothing may be launched in this test")


@pytest.fixture
def setup(
    tmp_path: Path, embedder: MiniLMEmbedder
) -> tuple[ConversationEngine, FakeLanguageModel, Understanding, list[Event]]:
    store = MemoryStore(tmp_path / "assistant.db")
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    config = Config()
    config.skills.desktop_apps = False
    understanding = build_understanding_stage(
        config, store, bus, embedder=embedder, launch=no_launch, clock=lambda: NOW
    )
    llm = FakeLanguageModel("A friendly reply from the language model.")
    engine = conversation_engine(config, store, bus, llm, understanding, clock=lambda: NOW)
    return engine, llm, understanding, events


COMMANDS = [
    ("what time is it", "time", "It's 10:00 AM."),
    ("what's the date today", "date", "Today is Monday, 2 March 2026."),
    ("set a timer for five minutes", "timer.set", "Okay, timer set for 5 minutes."),
    ("how long is left on my timer", "timer.status", "The 5 minute timer has 5 minutes left."),
    ("cancel the timer", "timer.cancel", "Okay, I cancelled the 5 minute timer."),
    (
        "remind me to call mom at 6 pm",
        "reminder.set",
        "Okay, I'll remind you to call mom at 6:00 PM today.",
    ),
    ("what's 15 percent of 80", "calculate", "That's 12."),
    (
        "remember that my sister's birthday is May 3rd",
        "memory.remember",
        "Okay, I'll remember that your sister's birthday is May 3rd.",
    ),
    (
        "when is my sister's birthday",
        "memory.recall",
        "You told me that your sister's birthday is May 3rd.",
    ),
    (
        "open the text editor",
        "app.open",
        "I can't open text editor: it isn't in my list of allowed applications. You can add it "
        "under [skills] apps in the config.",
    ),
    (
        "say that again",
        "repeat",
        "I can't open text editor: it isn't in my list of allowed applications. You can add it "
        "under [skills] apps in the config.",
    ),
    ("what can you do", "help", None),
    ("stop", "stop", "Okay."),
    (
        "forget my sister's birthday",
        "memory.forget",
        "Okay, I've forgotten that your sister's birthday is May 3rd.",
    ),
]


def test_commands_never_reach_the_language_model(setup) -> None:  # type: ignore[no-untyped-def]
    engine, llm, understanding, events = setup
    for text, intent, reply in COMMANDS:
        result = engine.handle(text)
        assert result.intent.name == intent, text
        if reply is not None:
            assert result.reply == reply
    assert llm.calls == []
    assert {e.by for e in events if isinstance(e, ReplyStarted)} == {"skill"}
    [reminder] = understanding.alarms.pending()
    assert reminder.label == "call mom"
    assert understanding.alarms.pending("timer") == []


def test_chat_reaches_the_model_with_facts_and_feelings(setup) -> None:  # type: ignore[no-untyped-def]
    engine, llm, _, _ = setup
    engine.handle("remember that my name is Sam")
    # (the trailing form "I prefer short answers, remember that" is read as a recall question,
    # which now goes to the model: the dialogue issue's understanding work)
    engine.handle("remember that I prefer short answers")
    assert llm.calls == []
    result = engine.handle("tell me about the history of timers")
    assert result.intent.name == "chat" and result.reply.startswith("A friendly reply")
    system = llm.calls[-1][0].content
    assert "my name is Sam" in system
    assert "seems upset" not in llm.calls[-1][-1].content
    result = engine.handle("I'm so sad and lonely today, nothing is going right")
    assert llm.calls[-1][0].content == system  # the conversation's start is unchanged
    assert "the user seems upset or distressed (sadness)" in llm.calls[-1][-1].content
    stored = engine.store.get_message(result.user_message_id)
    assert stored is not None
    assert (stored.intent, stored.sentiment_label, stored.emotion) == (
        "chat",
        "negative",
        "sadness",
    )
    assert stored.sentiment_score is not None and stored.sentiment_score < -0.3


def test_new_conversation_and_forget_everything(setup) -> None:  # type: ignore[no-untyped-def]
    engine, llm, _, _ = setup
    engine.handle("remember that I live in Lisbon")
    first = engine.conversation_id
    engine.handle("let's start over")
    assert engine.conversation_id != first
    assert engine.handle("forget everything about me").reply.endswith("Say yes to confirm.")
    assert engine.store.facts() != []
    assert engine.handle("yes").reply.startswith("Done. I've forgotten everything")
    assert engine.store.facts() == []
    assert engine.handle("yes").intent.name == "chat"  # nothing pending any more
    assert len(llm.calls) == 1


def test_build_wires_the_understanding_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant import app as app_module

    monkeypatch.setenv("ASSISTANT_LLM_BACKEND", "fake")
    events: list[Event] = []
    bus = EventBus()
    bus.subscribe(events.append)
    assistant = app_module.build(bus=bus)
    try:
        assistant.warm_up()
        assert any(isinstance(e, ModelLoaded) and e.role == "nlu" for e in events)
        assert assistant.understanding.scheduler.running
        result = assistant.engine.handle("set a timer for 2 minutes")
        assert result.intent.name == "timer.set"
        assert len(assistant.understanding.alarms.pending("timer")) == 1
    finally:
        assistant.close()
    assert not assistant.understanding.scheduler.running


def test_facts_noted_in_chat_are_recalled(setup) -> None:  # type: ignore[no-untyped-def]
    engine, llm, _, _ = setup
    assert engine.handle("I live in Lyon and I love it here").intent.name == "chat"
    result = engine.handle("where do I live?")
    assert result.intent.name == "memory.recall"
    assert result.reply == "You told me that you live in Lyon."
    assert len(llm.calls) == 1


def test_a_due_timer_is_announced_like_a_reply(setup) -> None:  # type: ignore[no-untyped-def]
    from assistant.events import Notice, ReplyDone, ReplySentence

    engine, llm, understanding, events = setup
    engine.handle("set a timer for 90 seconds")
    understanding.alarms.clock = lambda: NOW.timestamp() + 90  # the time has come
    assert len(understanding.scheduler.fire_due()) == 1
    text = "Time's up! Your 1 minute 30 second timer has finished."
    assert Notice(text, "timer") in events
    done = [e for e in events if isinstance(e, ReplyDone)][-1]
    assert done.text == text
    spoken = [e.text for e in events if isinstance(e, ReplySentence) and e.turn_id == done.turn_id]
    assert " ".join(spoken) == text
    stored = engine.store.get_message(done.message_id)
    assert stored is not None and (stored.role, stored.intent) == ("assistant", "alarm")
    assert llm.calls == []


def test_every_declared_intent_has_a_skill_and_every_skill_an_intent(setup) -> None:  # type: ignore[no-untyped-def]
    from assistant.dialogue.followups import OWN_INTENTS
    from assistant.nlu.base import CHAT
    from assistant.nlu.intents import INTENTS, MESSAGE_INTENTS

    _, _, understanding, _ = setup
    declared = {spec.name for spec in INTENTS} - {CHAT}
    assert set(understanding.skills.names()) == declared  # the catalogue names every skill
    # the follow-up reader gives exactly the intents declared as follow-ups
    assert {spec.name for spec in INTENTS} - {s.name for s in MESSAGE_INTENTS} == set(OWN_INTENTS)
    # a message on its own is read by the intent's own reader; a follow-up never is
    assert all(spec.exemplars for spec in MESSAGE_INTENTS)
