"""Facts users state about themselves are remembered, and a newer one replaces the older."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Config
from assistant.conversation import ConversationEngine
from assistant.llm.fake import FakeLanguageModel
from assistant.memory.self_facts import extract_self_facts
from assistant.memory.store import MemoryStore


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("Hi! My name is Sam and I live in Lyon.", "The user's name is Sam."),
        ("hi, call me Anna Lee please", "The user's name is Anna Lee."),
        ("I live in New York City, it's loud", "The user lives in New York City."),
        ("I live in Lisbon.", "The user lives in Lisbon."),
        ("I work as a nurse.", "The user works as a nurse."),
        ("I'm allergic to peanuts.", "The user is allergic to peanuts."),
        ("my favorite color is dark green", "The user's favourite color is dark green."),
        (
            "I've been vegan for about three years now.",
            "The user is vegan (no meat, fish, eggs, dairy or honey).",
        ),
        ("I'm a strict vegetarian", "The user is vegetarian (no meat or fish)."),
        ("I don't eat pork, by the way", "The user doesn't eat pork."),
        ("My son's name is Oliver.", "The user's son's name is Oliver."),
        ("My parrot Kiwi is 12 years old.", "The user's parrot Kiwi is 12 years old."),
        ("our door code is 4719, don't forget", "The user's door code is 4719."),
        ("The wifi password at home is bluebird42.", "The wifi password at home is bluebird42."),
        ("The gate code at my mum's is 4719.", "The gate code at the user's mum's is 4719."),
        ("I was born on the 3rd of March.", "The user was born on the 3rd of March."),
        ("We moved to Edinburgh last spring.", "The user lives in Edinburgh."),
        ("I take my coffee black, no sugar.", "The user likes coffee black, no sugar."),
        ("I'm 14, by the way, I just started year 10.", "The user is 14 years old."),
        ("I really don't like scary films.", "The user doesn't like scary films."),
        ("I'm trying to cut out caffeine completely.", "The user avoids caffeine."),
        ("I love jazz", "The user likes jazz."),
        ("We just adopted a beagle called Biscuit.", "The user has a beagle called Biscuit."),
        (
            "Our dog Rufus is a three-year-old labrador.",
            "The user's dog Rufus is a three-year-old labrador.",
        ),
    ],
)
def test_extracts_self_statements(text: str, fact: str) -> None:
    assert fact in [f.text for f in extract_self_facts(text)]


@pytest.mark.parametrize(
    "text",
    [
        "my name is not important",
        "what is my name?",
        "I live in fear of spiders",
        "tell me about Lyon",
    ],
)
def test_ignores_non_statements(text: str) -> None:
    assert not [f for f in extract_self_facts(text) if f.key in ("name", "home")]


@pytest.mark.parametrize(
    "text",
    [
        "My knees are really feeling it.",  # a remark, no value
        "my head is killing me",
        "My budget for it is 30 dollars.",  # "it" means nothing next week
        "My train leaves at 6:40 tomorrow morning.",  # about now: the conversation keeps it
        "my dentist appointment is at 4 and I'm dreading it",  # an event, soon over
        "My flight is at 7 pm on Friday.",
        "is my password 1234?",
        "What a grey day it is today.",
        "I still need to pack my bag.",
        "I like it",
        "I don't know",
        "I'd like a coffee",
        "I'm 5 minutes away",
        "I hate when people are late",
    ],
)
def test_keeps_no_remark_question_or_passing_plan(text: str) -> None:
    assert extract_self_facts(text) == []


def test_a_fact_joins_the_system_prompt_from_the_next_conversation(tmp_path: Path) -> None:
    """Learned in a conversation, a fact is in its history (and said next to a request for
    advice); the system prompt, which the whole conversation is cached behind, gets it from
    the next conversation. Forgotten, it leaves at once."""
    llm = FakeLanguageModel("Noted.")
    store = MemoryStore(tmp_path / "a.db")
    engine = ConversationEngine(store=store, llm=llm, config=Config())
    engine.handle("I've been vegan for about three years now.")
    engine.handle("What should I put in my sandwich?")
    assert "vegan" not in llm.calls[-1][0].content
    engine.new_conversation()
    engine.handle("What should I put in my sandwich?")
    assert "- The user is vegan (no meat" in llm.calls[-1][0].content
    store.delete_all_facts()
    engine.handle("And for dinner?")
    assert "vegan" not in llm.calls[-1][0].content


def test_the_prompt_facts_stay_the_same_from_turn_to_turn(tmp_path: Path) -> None:
    """Many facts: the newest ones, oldest first, whatever the message (the conversation stays
    in the model's cache)."""
    store = MemoryStore(tmp_path / "a.db")
    for number in range(20):
        store.add_fact(f"Fact number {number}.")
    llm = FakeLanguageModel("Okay.")
    engine = ConversationEngine(store=store, llm=llm, config=Config())
    engine.handle("Tell me about fact number 2.")
    engine.handle("And what about cats?")
    first, second = llm.calls[-2][0].content, llm.calls[-1][0].content
    assert first == second
    assert "Fact number 19." in first and "Fact number 2." not in first
    assert first.index("Fact number 8.") < first.index("Fact number 19.")


def test_engine_keeps_the_newest_name_in_the_system_prompt(tmp_path: Path) -> None:
    llm = FakeLanguageModel("Nice to meet you.")
    engine = ConversationEngine(store=MemoryStore(tmp_path / "a.db"), llm=llm, config=Config())
    engine.handle("My name is Sam.")
    engine.handle("Actually, call me Max.")
    engine.new_conversation()
    engine.handle("hello")
    system = llm.calls[-1][0].content
    assert "The user's name is Max." in system and "Sam" not in system
