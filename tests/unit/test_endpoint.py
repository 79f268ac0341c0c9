"""Does a transcript read as a finished request (early end of turn)?"""

from __future__ import annotations

import pytest

from assistant.voice.endpoint import Verdict, looks_complete, verdict


@pytest.mark.parametrize(
    "text",
    [
        "What time is it?",
        "What is 12 times 7?",
        "Set a timer for 5 minutes.",
        "Stop.",
        "How are you?",
        "Tell me a joke about cats!",
        'He said "yes."',
        "Had he married, he might have been happier than he was.",
        "Where are you from?",
        "Do you know where the station is?",
    ],
)
def test_finished_requests(text: str) -> None:
    assert looks_complete(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Set a timer for.",  # Whisper puts a full stop after a mid-sentence pause too
        "Set a timer for",
        "I was wondering if,",
        "Tell me about the...",
        "Tell me about the…",
        "What's the weather in",
        "Can you remind me to call my mom and.",
        "Um.",
        "So the thing is -",
        "What is twelve times",
        "The problem is.",
        "I went to the shop with.",
    ],
)
def test_sentences_that_go_on(text: str) -> None:
    assert not looks_complete(text)


@pytest.mark.parametrize("text", ["4 queen of clubs", "5 5", "What time is it"])
def test_no_punctuation_on_a_content_word_is_unsure(text: str) -> None:
    assert verdict(text) is Verdict.UNSURE


def test_verdicts() -> None:
    assert verdict("Stop.") is Verdict.FINISHED
    assert verdict("Set a timer for") is Verdict.GOES_ON
