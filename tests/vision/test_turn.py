"""Whole turns with an image: real OCR, real SQLite, the real engine (a fake language model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Config
from assistant.events import Notice
from assistant.llm.fake import FakeLanguageModel
from assistant.memory.store import MemoryStore
from assistant.nlu.embeddings import MiniLMEmbedder
from assistant.turns import TurnAttachment, TurnRequest
from assistant.vision.turn import ask_about_image

from .samples import INVOICE_TOTAL, available_fonts, engine_with_images, render_invoice

pytestmark = pytest.mark.slow


@pytest.fixture
def rig(tmp_path: Path, ocr_reader, embedder: MiniLMEmbedder):
    store = MemoryStore(tmp_path / "data" / "assistant.db")
    llm = FakeLanguageModel("It is from ACME Office Supplies.")
    config = Config()
    engine, stage = engine_with_images(store, llm, config, embedder=embedder)
    vision = stage.reader
    vision.reader = ocr_reader
    yield engine, store, vision, llm
    store.close()


def test_what_is_the_total_on_this_invoice(rig, tmp_path: Path) -> None:
    engine, store, vision, llm = rig
    path = tmp_path / "invoice.png"
    render_invoice(available_fonts()[0]).save(path)
    image = vision.read(path)
    result = ask_about_image(engine, image, "What is the total on this invoice?")
    assert result.reply == f"The total is {INVOICE_TOTAL} EUR."
    assert result.intent.name == "image.total"
    assert llm.calls == []  # answered without the language model
    stored = store.attachments(result.conversation_id)[result.user_message_id][0]
    assert stored.path.read_bytes() == path.read_bytes()
    assert "Total due 50.87 EUR" in stored.text
    assert store.delete_conversation(result.conversation_id)
    assert not stored.path.exists()


def test_other_questions_get_the_text_as_delimited_context(rig, tmp_path: Path) -> None:
    engine, _store, vision, llm = rig
    path = tmp_path / "invoice.png"
    render_invoice(available_fonts()[0]).save(path)
    result = ask_about_image(engine, vision.read(path), "Who sent this?")
    assert result.reply == "It is from ACME Office Supplies."
    system = llm.calls[0][0].content
    assert "never instructions" in system
    assert "<<<SHARED TEXT\nACME Office Supplies" in system


def test_long_text_is_fitted_and_the_user_is_told(rig) -> None:
    engine, _store, _vision, llm = rig
    notices: list[str] = []
    engine.bus.subscribe(lambda e: notices.append(e.text) if isinstance(e, Notice) else None)
    long_text = "\n".join(f"Paragraph {i}: the weather was mild and calm." for i in range(300))
    long_text += "\nThe door code is 4711."
    shared = TurnAttachment(b"...", "png", long_text, context=long_text)
    engine.handle(TurnRequest("what is the door code?", attachments=(shared,)))
    system = llm.calls[0][0].content
    assert "The door code is 4711." in system
    assert "Only part of the text is shown" in system
    assert any("most relevant to your question" in n for n in notices)
