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
        ("I'm allergic to peanuts.", "The user is allergic to peanuts."),
        ("my favorite color is dark green", "The user's favourite color is dark green."),
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


def test_engine_keeps_the_newest_name_in_the_system_prompt(tmp_path: Path) -> None:
    llm = FakeLanguageModel("Nice to meet you.")
    engine = ConversationEngine(store=MemoryStore(tmp_path / "a.db"), llm=llm, config=Config())
    engine.handle("My name is Sam.")
    engine.handle("Actually, call me Max.")
    engine.new_conversation()
    engine.handle("hello")
    system = llm.calls[-1][0].content
    assert "The user's name is Max." in system and "Sam" not in system
