"""The conversation engine with a fake language model: events, storage, cancel, timings."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from assistant.config import Config
from assistant.conversation import ConversationEngine, clean_user_text
from assistant.errors import AssistantError
from assistant.events import (
    Event,
    EventBus,
    Interrupted,
    ReplyDone,
    ReplySentence,
    ReplyToken,
    StageTiming,
    UserText,
)
from assistant.llm.fake import FakeLanguageModel
from assistant.memory.store import MemoryStore
from assistant.turns import TurnRequest


def make_engine(tmp_path: Path, llm: FakeLanguageModel) -> tuple[ConversationEngine, list[Event]]:
    events: list[Event] = []
    bus = EventBus()
    bus.subscribe(events.append)
    store = MemoryStore(tmp_path / "a.db")
    return ConversationEngine(store=store, llm=llm, config=Config(), bus=bus), events


def test_turn_streams_events_and_stores_both_messages(tmp_path: Path) -> None:
    engine, events = make_engine(tmp_path, FakeLanguageModel("Hello Sam. How can I help today?"))
    result = engine.handle("hi, I'm Sam")
    kinds = [type(e) for e in events]
    assert kinds.index(UserText) < kinds.index(ReplyToken) < kinds.index(ReplyDone)
    streamed = "".join(e.text for e in events if isinstance(e, ReplyToken))
    assert streamed == result.reply == "Hello Sam. How can I help today?"
    sentences = [e.text for e in events if isinstance(e, ReplySentence)]
    assert sentences == ["Hello Sam. How can I help today?"]
    stored = engine.store.messages(engine.conversation_id)
    assert [(m.role, m.text) for m in stored] == [
        ("user", "hi, I'm Sam"),
        ("assistant", result.reply),
    ]
    assert {"intent", "first_token", "reply", "total"} <= set(stored[1].timings)
    assert any(isinstance(e, StageTiming) and e.stage == "first_token" for e in events)


def test_the_ai_opener_is_neither_shown_spoken_nor_stored(tmp_path: Path) -> None:
    reply = "As an AI language model, I don't have a favourite colour. What's yours?"
    engine, events = make_engine(tmp_path, FakeLanguageModel(reply))
    result = engine.handle("what's your favourite colour?")
    assert result.reply == "I don't have a favourite colour. What's yours?"
    assert "".join(e.text for e in events if isinstance(e, ReplyToken)) == result.reply
    spoken = [e.text for e in events if isinstance(e, ReplySentence)]
    assert spoken[0].startswith("I don't have")
    assert engine.store.messages(engine.conversation_id)[-1].text == result.reply


def test_history_reaches_the_model(tmp_path: Path) -> None:
    llm = FakeLanguageModel("ok.")
    engine, _ = make_engine(tmp_path, llm)
    engine.handle("my name is Sam")
    engine.handle("what is my name?")
    sent = llm.calls[-1]
    assert sent[0].role == "system" and "Today is" in sent[0].content
    assert [m.content for m in sent[1:]] == ["my name is Sam", "ok.", "what is my name?"]


def test_cancel_mid_reply_stores_only_what_was_produced(tmp_path: Path) -> None:
    words = " ".join(f"w{i}" for i in range(200))
    engine, events = make_engine(tmp_path, FakeLanguageModel(words, delay_s=0.01))
    results = []
    worker = threading.Thread(target=lambda: results.append(engine.handle("go")))
    worker.start()
    while not any(isinstance(e, ReplyToken) for e in events):
        time.sleep(0.005)
    time.sleep(0.05)
    t0 = time.perf_counter()
    assert engine.cancel("test")
    worker.join(2)
    assert time.perf_counter() - t0 < 0.1
    result = results[0]
    assert result.interrupted and 0 < len(result.reply.split()) < 200
    assert any(isinstance(e, Interrupted) for e in events)
    stored = engine.store.get_message(result.reply_message_id)
    assert stored is not None and stored.text == result.reply and stored.interrupted
    assert not engine.cancel("again")  # nothing runs any more


def test_new_conversation_and_record_spoken(tmp_path: Path) -> None:
    engine, _ = make_engine(tmp_path, FakeLanguageModel("One. Two three four."))
    first = engine.handle("hello")
    engine.record_spoken(first.reply_message_id, "One.")
    assert engine.store.get_message(first.reply_message_id).text == "One."  # type: ignore[union-attr]
    old = engine.conversation_id
    assert engine.new_conversation() != old
    assert engine.store.messages(engine.conversation_id) == []


def test_empty_and_control_characters(tmp_path: Path) -> None:
    engine, _ = make_engine(tmp_path, FakeLanguageModel("ok."))
    with pytest.raises(AssistantError, match="empty"):
        engine.handle(" \x00\x07 \n")
    assert clean_user_text("a\x00b\x1b[31mc\n") == "ab[31mc"
    result = engine.handle("x" * 200_000)
    assert len(engine.store.get_message(result.user_message_id).text) == 100_000  # type: ignore[union-attr]


def test_model_failure_is_an_event_not_a_crash(tmp_path: Path) -> None:
    class Broken(FakeLanguageModel):
        def stream(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")
            yield ""

    engine, events = make_engine(tmp_path, Broken())
    result = engine.handle("hi")
    assert "something went wrong" in result.reply
    assert any(type(e).__name__ == "Error" for e in events)
    assert len(engine.store.messages(engine.conversation_id)) == 2


def test_model_that_fails_to_load_still_gets_a_stored_reply(tmp_path: Path) -> None:
    from assistant.errors import ModelError

    class Unloadable(FakeLanguageModel):
        def count_tokens(self, messages):  # type: ignore[no-untyped-def]
            raise ModelError("cannot load the language model: damaged file")

    engine, events = make_engine(tmp_path, Unloadable())
    result = engine.handle("hello")
    assert "damaged file" in result.reply
    assert any(type(e).__name__ == "Error" for e in events)
    assert [m.role for m in engine.store.messages(engine.conversation_id)] == ["user", "assistant"]


def test_the_voice_can_hold_the_reply_after_its_first_sentence(tmp_path: Path) -> None:
    engine, events = make_engine(tmp_path, FakeLanguageModel("Sure, here it is. And more."))
    held: list[tuple[int, int]] = []

    def hold(turn_id: int) -> None:  # what was streamed when the hold came
        held.append((turn_id, sum(isinstance(e, ReplySentence) for e in events)))

    result = engine.handle(TurnRequest("tell me", on_first_sentence=hold))
    assert held == [(result.turn_id, 1)]
    assert [e.text for e in events if isinstance(e, ReplySentence)] == [
        "Sure, here it is.",
        "And more.",
    ]


def test_prepare_runs_the_conversation_so_far_into_the_model_cache(tmp_path: Path) -> None:
    class Prefilling(FakeLanguageModel):
        def __init__(self) -> None:
            super().__init__("ok.")
            self.prefilled: list[list[str]] = []

        def prefill(self, messages, options, cancel=None) -> int:  # type: ignore[no-untyped-def]
            self.prefilled.append([m.role for m in messages])
            return 42

    llm = Prefilling()
    engine, _ = make_engine(tmp_path, llm)
    engine.handle("hello")
    assert engine.prepare() == 42
    # no new message yet: an empty one, whose header the model reads ahead
    assert llm.prefilled == [["system", "user", "assistant", "user"]]
    assert make_engine(tmp_path / "b", FakeLanguageModel("ok."))[0].prepare() == 0  # cannot


def test_a_note_the_history_will_not_hold_leaves_the_cache_stale_until_prepared(
    tmp_path: Path,
) -> None:
    """A message read with a fact next to it: the model's cache no longer matches what the next
    turn sends; ``prepare`` reads the conversation as the history holds it."""

    class Prefilling(FakeLanguageModel):
        def __init__(self) -> None:
            super().__init__("ok.")
            self.users: list[str] = []

        def prefill(self, messages, options, cancel=None) -> int:  # type: ignore[no-untyped-def]
            self.users.append(messages[-3].content)
            return 1

    class Vegan:
        def relevant(self, text: str, limit: int) -> list[str]:
            return ["The user is vegan."] if "cook" in text else []

    llm = Prefilling()
    store = MemoryStore(tmp_path / "a.db")
    engine = ConversationEngine(store=store, llm=llm, config=Config(), facts=Vegan())
    engine.handle("what a lovely morning")
    assert not engine.cache_stale  # nothing the history does not hold
    engine.handle("what should I cook?")
    assert "Keep in mind" in llm.calls[-1][-1].content
    assert engine.cache_stale
    assert engine.prepare() == 1 and not engine.cache_stale
    assert llm.users[-1] == "what should I cook?"  # as the history holds it
    engine.handle("remember that I'm vegan")  # no skill here: chat, and nothing changed
    assert not engine.cache_stale


def test_a_retracted_turn_leaves_no_message_and_reloads_views(tmp_path: Path) -> None:
    from assistant.events import ConversationChanged

    engine, events = make_engine(tmp_path, FakeLanguageModel("ok."))
    first = engine.handle("what is the")
    engine.retract(first)
    assert engine.store.messages(engine.conversation_id) == []
    assert engine.store.get_conversation(engine.conversation_id).title == ""
    assert isinstance(events[-1], ConversationChanged)
    engine.handle("what is the weather")
    assert engine.store.get_conversation(engine.conversation_id).title.startswith("what is")


def test_a_skill_without_an_answer_hands_the_turn_to_the_language_model(tmp_path: Path) -> None:
    from assistant.events import ReplyStarted
    from assistant.nlu.base import Intent
    from assistant.skills.base import ASK_LLM, SkillContext, SkillRegistry, SkillReply

    class Recall:
        def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
            return SkillReply("", actions=(ASK_LLM,))

    class AlwaysRecall:
        def detect(self, text: str, **_: object) -> Intent:
            return Intent("memory.recall", 0.9, {"query": text})

    skills = SkillRegistry()
    skills.register("memory.recall", Recall())
    llm = FakeLanguageModel("Your sister is called Maya.")
    events: list[Event] = []
    bus = EventBus()
    bus.subscribe(events.append)
    engine = ConversationEngine(
        store=MemoryStore(tmp_path / "a.db"),
        llm=llm,
        config=Config(),
        bus=bus,
        detector=AlwaysRecall(),
        skills=skills,
    )
    result = engine.handle("what's my sister's name?")
    assert result.reply == "Your sister is called Maya." and llm.calls
    assert [e.by for e in events if isinstance(e, ReplyStarted)] == ["llm"]
