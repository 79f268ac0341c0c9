"""Long image text: the parts most relevant to the question are kept within the budget."""

from __future__ import annotations

from assistant.vision.select import GAP_MARK, ContextFitter, approx_tokens, chunks, select_relevant

FILLER = [
    "The quarterly report covers sales in the northern region.",
    "Our team planted forty trees along the river last spring.",
    "The cafeteria menu changes every Monday and Thursday.",
    "Parking permits can be renewed at the front desk.",
    "The annual picnic is usually held in late June.",
    "Printer toner is stored in the supply room on floor two.",
]
NEEDLE = "The guest wifi password is BlueHarbor42."


def long_text() -> str:
    lines = [f"{FILLER[i % len(FILLER)]} (item {i})" for i in range(60)]
    lines.insert(37, NEEDLE)
    return "\n\n".join("\n".join(lines[i : i + 3]) for i in range(0, len(lines), 3))


def test_short_text_is_kept_whole() -> None:
    selection = select_relevant("Total 12.00\nThanks", "what is the total", 100)
    assert selection.text == "Total 12.00\nThanks"
    assert not selection.left_out


def test_chunks_never_cross_paragraphs() -> None:
    parts = chunks("a\nb\n\nc", approx_tokens)
    assert parts == [["a", "b"], ["c"]]


def test_embeddings_keep_the_relevant_part_within_budget(embedder) -> None:
    text = long_text()
    assert approx_tokens(text) > 800
    selection = select_relevant(text, "what is the wifi password?", 120, embedder)
    assert NEEDLE in selection.text
    assert approx_tokens(selection.text) <= 120
    assert selection.left_out and GAP_MARK in selection.text
    assert "most relevant to your question" in selection.notice()


def test_word_overlap_without_a_model() -> None:
    selection = select_relevant(long_text(), "guest wifi password", 120, None)
    assert NEEDLE in selection.text


def test_fitter_tells_the_model_and_the_user() -> None:
    notices: list[str] = []
    fitter = ContextFitter(120, None, notify=notices.append)
    fitted = fitter.fit(long_text(), "guest wifi password")
    assert "Only part of the text is shown" in fitted
    assert len(notices) == 1 and "lines most relevant" in notices[0]
    assert fitter.fit("short", "q") == "short" and len(notices) == 1
