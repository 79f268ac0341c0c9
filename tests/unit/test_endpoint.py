"""Does a transcript read as a finished request (early end of turn), and when does a pause end
the turn (the verdict with the acoustic model's score)?"""

from __future__ import annotations

import pytest

from assistant.voice.endpoint import COMPLETE, Verdict, ends_turn, looks_complete, verdict


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


FULL_MS = 800
F, U, G = Verdict.FINISHED, Verdict.UNSURE, Verdict.GOES_ON


@pytest.mark.parametrize(
    ("reading", "probability", "silence_ms", "ends"),
    [
        # without the model: today's rule (finished at once, unsure at half, goes on at full)
        (F, None, 96, True),
        (U, None, 96, False),
        (U, None, 400, True),
        (G, None, 799, False),
        # with it: the words veto, the model decides the rest
        (F, 0.9, 96, True),
        (U, 0.9, 96, True),
        (F, 0.2, 96, False),
        (F, 0.2, 799, False),
        (U, 0.2, 400, False),
        (G, 0.99, 96, False),
        (G, 0.99, 799, False),
        # the transcript not known yet: wait
        (None, 0.99, 96, False),
        (None, None, 400, False),
        # the full silence ends every turn
        (G, 0.0, 800, True),
        (None, None, 800, True),
        (F, 0.2, 800, True),
    ],
)
def test_ends_turn_table(
    reading: Verdict | None, probability: float | None, silence_ms: float, ends: bool
) -> None:
    assert ends_turn(reading, probability, silence_ms, FULL_MS) is ends


def test_the_threshold_of_complete_is_the_models_own_by_default() -> None:
    assert ends_turn(F, COMPLETE, 96, FULL_MS)
    assert not ends_turn(F, COMPLETE - 0.01, 96, FULL_MS)
    assert not ends_turn(F, 0.8, 96, FULL_MS, complete=0.9)
