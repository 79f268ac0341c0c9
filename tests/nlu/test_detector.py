"""Intent detection with the real MiniLM: every intent, typed and spoken, and look-alike chat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.bench.intents import load_examples, score
from assistant.nlu.base import CHAT
from assistant.nlu.detector import EmbeddingIntentDetector
from tests.nlu.conftest import NOW

DATA = Path(__file__).parent.parent / "data" / "intents.jsonl"

CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("What time is it?", "time", {}),
    ("hey whats the time right now", "time", {}),
    ("what's the date today", "date", {}),
    # said after a sentence of its own; a polite or purposeful tail is no part of a name
    (
        "oh no i can't find the car, where did i park",
        "memory.recall",
        {"query": "where did i park"},
    ),
    (
        "Yay I got the job!! Remember that my employee id is 58213",
        "memory.remember",
        {"fact": "my employee id is 58213"},
    ),
    ("Open Thunderbird so I can check my email", "app.open", {"app": "thunderbird"}),
    ("erm open the text editor", "app.open", {"app": "text editor"}),
    # idioms of timers and reminders
    ("let me know when 20 mins is up", "timer.set", {"duration_s": 1200}),
    (
        "put three hours on the clock for the slow cooker",
        "timer.set",
        {"duration_s": 10800, "label": "slow cooker"},
    ),
    (
        "give us a shout at noon to move the car",
        "reminder.set",
        {"when": "2026-03-02T12:00:00", "text": "move the car"},
    ),
    ("what's a dozen lots of seven", "calculate", {"result": 84}),
    # terse, wordy, non-native and unpunctuated speakers
    ("timer 7", "timer.set", {"duration_s": 420}),
    (
        "ok so the pasta needs like uh nine minutes can you time that for me",
        "timer.set",
        {"duration_s": 540, "label": "pasta"},
    ),
    (
        "i wonder if you could possibly set me a little timer for twenty minutes for my bread dear",
        "timer.set",
        {"duration_s": 1200, "label": "bread"},
    ),
    (
        "remind me too water the plants tomorrow at 9 am",
        "reminder.set",
        {"when": "2026-03-03T09:00:00", "text": "water the plants"},
    ),
    (
        "please you remember my daughter birthday is 14 of june",
        "memory.remember",
        {"fact": "my daughter birthday is 14 of june"},
    ),
    (
        "so um my cousin's flight number is ba 287 remember that",
        "memory.remember",
        {"fact": "my cousin's flight number is ba 287"},
    ),
    ("what was the garage door code again", "memory.recall", {"query": "the garage door code"}),
    (
        "oh no im locked out of the shed whats my shed combination",
        "memory.recall",
        {"query": "my shed combination"},
    ),
    ("wait really is it march already whats the date", "date", {}),
    # a reason before the command, a feeling that swayed the whole, slang and indirect asking
    ("I need to write something down so open the text editor", "app.open", {"app": "text editor"}),
    (
        "ugh I'm so annoyed with myself, just set a timer for two minutes",
        "timer.set",
        {"duration_s": 120},
    ),
    ("yo open spotify", "app.open", {"app": "spotify"}),
    ("do you happen to know what 144 divided by 16 is", "calculate", {"result": 9}),
    ("would you be so good as to open the calculator", "app.open", {"app": "calculator"}),
    # typed: other sentences around the command, typos, emoji
    ("Meeting in a bit. Timer for 8 min please.", "timer.set", {"duration_s": 480}),
    (
        "remind me at 6pm to water the plants pls. i always forget",
        "reminder.set",
        {"text": "water the plants", "when": "2026-03-02T18:00:00"},
    ),
    ("cancel the tmer for the eggs", "timer.cancel", {"label": "eggs"}),
    ("how much longer on the pasta timer??", "timer.status", {}),
    ("can u open spotify 🎵", "app.open", {"app": "spotify"}),
    ("please you forget all things i told you before", "memory.forget", {"all": True}),
    (
        "i wonder if you could cancel the timer for the eggs please they are done already",
        "timer.cancel",
        {"label": "eggs"},
    ),
    ("please you open terminal", "app.open", {"app": "terminal"}),
    (
        "for future reference, the boiler pressure should be 1.5 bar",
        "memory.remember",
        {"fact": "the boiler pressure should be 1.5 bar"},
    ),
    (
        "save this for me the printer's ip is 192.168.1.40",
        "memory.remember",
        {"fact": "the printer's ip is 192.168.1.40"},
    ),
    ("what day of the week is it", "date", {}),
    ("set a timer for five minutes", "timer.set", {"duration_s": 300}),
    ("90 second timer for the eggs", "timer.set", {"duration_s": 90, "label": "eggs"}),
    ("Set a timmer for 10 minuts please", "timer.set", {"duration_s": 600}),
    ("cancel the timer", "timer.cancel", {}),
    ("how long is left on my timer", "timer.status", {}),
    (
        "remind me to call mom at 6 pm",
        "reminder.set",
        {"when": "2026-03-02T18:00:00", "text": "call mom"},
    ),
    (
        "remind me in twenty minutes to take out the trash",
        "reminder.set",
        {"when": "2026-03-02T10:20:00", "text": "take out the trash"},
    ),
    ("what's 15 percent of 80", "calculate", {"result": 12}),
    ("twelve times seven", "calculate", {"result": 84}),
    (
        "remember that my sister's birthday is May 3rd",
        "memory.remember",
        {"fact": "my sister's birthday is May 3rd"},
    ),
    ("when is my sister's birthday", "memory.recall", {"query": "my sister's birthday"}),
    ("what do you know about me", "memory.recall", {"query": "me"}),
    ("forget my sister's birthday", "memory.forget", {"query": "my sister's birthday"}),
    ("forget everything about me", "memory.forget", {"all": True}),
    ("open the text editor", "app.open", {"app": "text editor"}),
    ("launch firefox", "app.open", {"app": "firefox"}),
    ("stop", "stop", {}),
    ("be quiet", "stop", {}),
    ("that's enough", "stop", {}),
    ("say that again", "repeat", {}),
    ("what did you say", "repeat", {}),
    ("let's start over", "conversation.new", {}),
    ("new conversation", "conversation.new", {}),
    ("what can you do", "help", {}),
    # spoken and typed habits: the assistant's name, fillers, chat shorthand
    ("hey assistant, what time is it", "time", {}),
    ("computer stop", "stop", {}),
    ("um set a timer for five minutes", "timer.set", {"duration_s": 300}),
    (
        "uh can you like remind me to call john at 4",
        "reminder.set",
        {"when": "2026-03-02T16:00:00", "text": "call john"},
    ),
    (
        "dont let me forget to water the plants tonight",
        "reminder.set",
        {"when": "2026-03-02T20:00:00", "text": "water the plants"},
    ),
    (
        "can u remember my moms birthday is april 2",
        "memory.remember",
        {"fact": "my moms birthday is april 2"},
    ),
    # from a fifth held-out set's first run
    ("computer shush", "stop", {}),
    ("timer please", "timer.set", {}),  # a timer asked for: "For how long?"
    ("oh shut up computer, you're doing my head in", "stop", {}),
    ("bin the timer for the eggs", "timer.cancel", {"label": "eggs"}),
    ("launch firefox would you", "app.open", {"app": "firefox"}),
    ("remind me what my car reg is", "memory.recall", {"query": "my car reg"}),
    ("did I tell you my dentist's name", "memory.recall", {"query": "my dentist's name"}),
]

LOOKALIKE_CHAT = [
    "tell me about the history of timers",
    "what is the time complexity of quicksort",
    "how do kitchen timers work",
    "why do we forget our dreams",
    "how do I open a bank account",
    "i can't stop thinking about her",
    "what's the best way to remember vocabulary",
    "how do I calculate the area of a circle",
    "what time zone is tokyo in",
    "my meeting lasted two hours and it was boring",
    "what is the capital of australia",
    "hello there",
    "what does the word repeat mean",
    "i need more time to think",
    "tell me the time in new york",
    "what's the date of mothers day",
    "what day was the moon landing",
    "remind me why we are here",
    "remember that time we went to paris?",
    "remember when we were kids",
    "my mum used to set timers for everything when i was a kid",  # "when" starts no question
    "remember the good old days",
    "What a grey day it is today.",  # an exclamation: was the date
    "what a nice time we had yesterday",
    "wow, what a long day, huh",
    "How many minutes are in 3 hours?",  # was a three-hour timer
    "how many hours is 90 minutes",
    "what time do you usually go to bed",  # a habit, not the clock
]


@pytest.mark.parametrize(("text", "intent", "expected_slots"), CASES)
def test_commands(
    detector: EmbeddingIntentDetector, text: str, intent: str, expected_slots: dict[str, Any]
) -> None:
    found = detector.detect(text, now=NOW)
    assert found.name == intent
    got = {k: v for k, v in found.slots.items() if k != "expression"}
    assert got == expected_slots
    assert 0.0 < found.confidence <= 1.0


@pytest.mark.parametrize("text", LOOKALIKE_CHAT)
def test_mentions_of_command_words_are_chat(detector: EmbeddingIntentDetector, text: str) -> None:
    assert detector.detect(text, now=NOW).name == CHAT


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("wait really is it march already whats the date", "date"),  # unsure as a whole
        ("help me, what can you do", "help"),  # chat as a whole
    ],
)
def test_a_clear_last_clause_makes_the_command_sure(
    detector: EmbeddingIntentDetector, text: str, intent: str
) -> None:
    found = detector.assess(text, now=NOW)
    assert found.intent.name == intent and not found.unsure()


def test_a_surer_last_clause_keeps_the_slots_said_before_it(
    detector: EmbeddingIntentDetector,
) -> None:
    found = detector.detect("tomorrow at noon, remind me to call the landlord", now=NOW)
    assert found.slots == {"text": "call the landlord", "when": "2026-03-03T12:00:00"}


def test_a_command_after_an_exclamation_is_still_heard(detector: EmbeddingIntentDetector) -> None:
    intent = detector.detect("What a day! Set a timer for 5 minutes.")
    assert (intent.name, intent.slots) == ("timer.set", {"duration_s": 300})


def test_calculation_errors_become_a_slot(detector: EmbeddingIntentDetector) -> None:
    found = detector.detect("what is 10 divided by 0", now=NOW)
    assert found.name == "calculate" and "divide by zero" in found.slots["error"]


def test_empty_and_odd_input_is_chat(detector: EmbeddingIntentDetector) -> None:
    for text in ("", "   ", "?!", "🙂", "x" * 5000):
        assert detector.detect(text, now=NOW).name == CHAT


@pytest.mark.slow
def test_labelled_set_reaches_the_targets(detector: EmbeddingIntentDetector) -> None:
    from assistant.nlu.affect import VaderAffect

    examples = load_examples(DATA)
    assert len(examples) >= 300
    affect = VaderAffect()
    report = score(
        examples, [(detector.detect(e.text, now=e.now), affect.analyze(e.text)) for e in examples]
    )
    assert report["intent_accuracy"] >= 0.95
    assert report["chat_kept_from_commands"] >= 0.95
    assert report["slot_exact"] >= 0.90
