"""Image commands: phrases, and the skill's answers from the image text (real SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.memory.store import MemoryStore
from assistant.nlu.base import ChatOnlyDetector, Intent
from assistant.skills.base import SkillContext
from assistant.vision.ocr import NO_TEXT
from assistant.vision.skill import (
    CAPTURE,
    NO_IMAGE,
    NO_TEXT_CONTEXT,
    READ,
    REMEMBER,
    TOTAL,
    ImageIntentDetector,
    ImageSkill,
    match,
)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("What is the total on this invoice?", TOTAL),
        ("how much is the total", TOTAL),
        ("calculate the total", TOTAL),
        ("Read this to me", READ),
        ("what does this say?", READ),
        ("read it out loud", READ),
        ("remember this address", REMEMBER),
        ("please remember this", REMEMBER),
        ("what's on my screen", CAPTURE),
        ("take a screenshot", CAPTURE),
        ("what is the total of 3 and 4", None),
        ("remember that my sister is called Ann", None),
        ("read the news", None),
        ("what does this word mean", None),
    ],
)
def test_phrases(text: str, intent: str | None) -> None:
    assert match(text) == intent


def test_detector_falls_back_to_the_wrapped_detector() -> None:
    detector = ImageIntentDetector(ChatOnlyDetector())
    assert detector.detect("read this to me").name == READ
    assert detector.detect("tell me a joke").name == "chat"


@pytest.fixture
def store(tmp_path: Path) -> MemoryStore:
    s = MemoryStore(tmp_path / "a.db")
    yield s
    s.close()


def _run(store: MemoryStore, name: str, image_text: str | None) -> str:
    ctx = SkillContext(store, store.current_conversation(), image_text=image_text)
    return ImageSkill().run(Intent(name), ctx).text


def test_read_total_and_remember(store: MemoryStore) -> None:
    text = "Flat 3, 12 Garden Road\nTotal 19.99"
    assert _run(store, READ, text) == text
    assert _run(store, TOTAL, text) == "The total is 19.99."
    assert _run(store, REMEMBER, text).startswith("I'll remember that: Flat 3, 12 Garden Road")
    assert [f.text for f in store.facts()] == ["Flat 3, 12 Garden Road Total 19.99"]


def test_without_image_and_without_text(store: MemoryStore) -> None:
    for name in (READ, TOTAL, REMEMBER):
        assert _run(store, name, None) == NO_IMAGE
        assert _run(store, name, NO_TEXT_CONTEXT) == NO_TEXT
    assert store.facts() == []


def test_capture_without_image_asks_the_app_to_capture(store: MemoryStore) -> None:
    ctx = SkillContext(store, store.current_conversation())
    reply = ImageSkill().run(Intent(CAPTURE), ctx)
    assert reply.actions == ("capture_screen",)
    assert _run(store, CAPTURE, "Build failed: missing semicolon") == (
        "Build failed: missing semicolon"
    )


def test_long_text_is_read_up_to_a_limit(store: MemoryStore) -> None:
    text = "\n".join(f"line number {i} of a long page" for i in range(200))
    reply = _run(store, READ, text)
    assert len(reply) < 2100 and reply.endswith("ask me about a part of it.")
