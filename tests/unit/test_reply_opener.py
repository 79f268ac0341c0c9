"""The "As an AI language model," opener and an invented maker are dropped from a streamed
reply, nothing else."""

from __future__ import annotations

from assistant.reply_opener import INSTEAD_OF_A_MAKER, without_ai_opener


def tokens(text: str) -> list[str]:
    """The reply as a model streams it: a word (with its leading space) a piece."""
    words = text.split(" ")
    return [words[0]] + [" " + w for w in words[1:]]


def test_the_opener_is_dropped_and_the_reply_starts_with_a_capital() -> None:
    for reply in (
        "As an AI language model, I don't have a favourite colour.",
        "As an AI, I don't have a physical body.",
        "as an artificial intelligence, i can't travel.",
    ):
        out = "".join(without_ai_opener(tokens(reply)))
        assert not out.lower().startswith("as an"), out
        assert out[0].isupper() and out.endswith(reply.split(", ", 1)[1][1:])


def test_other_replies_stream_unchanged_and_at_once() -> None:
    for reply in (
        "Paris is the capital of France.",
        "As an assistant on your computer, I can set timers.",
        "As an AI assistant on your computer, I can set timers.",
        "As a rule, water boils at 100 degrees.",
        "As an",
        "",
    ):
        assert "".join(without_ai_opener(tokens(reply))) == reply
    first = next(without_ai_opener(iter(["Paris", " is"])))
    assert first == "Paris"  # held back only while it may still become the opener


def test_the_opener_arriving_in_odd_pieces() -> None:
    pieces = ["As", " an", " AI", " language", " model", ",", " ", "I", "'m", " software."]
    assert "".join(without_ai_opener(pieces)) == "I'm software."
    assert "".join(without_ai_opener(["As an AI language model,"])) == "As an AI language model,"


def test_a_first_sentence_naming_who_made_it_is_dropped() -> None:
    for reply, rest in (
        (
            "I am an AI language model created by Anthropic. I don't have a physical age.",
            "I don't have a physical age.",
        ),
        ("I\u2019m an AI assistant developed by OpenAI. I can't have kids.", "I can't have kids."),
        ("I am an AI language model created by Anthropic.", INSTEAD_OF_A_MAKER),
    ):
        assert "".join(without_ai_opener(tokens(reply))) == rest


def test_other_self_descriptions_stream_unchanged() -> None:
    for reply in (
        "I am an AI assistant on your computer. I can set timers.",
        "I'm not sure what you mean.",
        "I am an",
        "I'm an early riser, you said.",
    ):
        assert "".join(without_ai_opener(tokens(reply))) == reply
    first = next(without_ai_opener(iter(["I'm", " not", " sure"])))
    assert first == "I'm not"  # held back only until the start rules the claim out
