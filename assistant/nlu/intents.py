"""The intents the assistant understands, declared once: what each means (for the language
model's parse), the fields the parse copies from the message, worked examples of that parse,
and the example phrasings the embedding detector compares with (``exemplars.py``).

The dialogue state's own intents (``timer.change``, ``undo`` …) come only from the follow-up
reader (``dialogue/followups.py``), never from a parse of a message on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.nlu.base import CHAT
from assistant.nlu.exemplars import EXEMPLARS


@dataclass(frozen=True)
class IntentSpec:
    name: str
    meaning: str  # one line for the language model
    fields: tuple[str, ...] = ()  # copied from the message by the parse ("all" is a boolean)
    shots: tuple[tuple[str, dict[str, Any]], ...] = ()  # message → parse, for the prompt
    exemplars: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.exemplars:
            object.__setattr__(self, "exemplars", EXEMPLARS.get(self.name, ()))


INTENTS: tuple[IntentSpec, ...] = (
    IntentSpec(
        CHAT,
        "anything else: questions about the world, advice, how-to, definitions, small talk, "
        "feelings, unit conversions",
        shots=(
            ("what is the capital of Italy", {}),
            ("how do timers work in javascript", {}),
            ("I had a rough day", {}),
            ("how many seconds are in a minute", {}),
        ),
    ),
    IntentSpec(
        "timer.set",
        "start a countdown timer",
        shots=(("set a timer for 5 minutes", {}),),
    ),
    IntentSpec(
        "timer.cancel",
        "cancel running timers",
        ("label", "all"),
        (("cancel all timers", {"all": True}), ("stop the egg timer", {"label": "egg"})),
    ),
    IntentSpec("timer.status", "ask how long is left on timers"),
    IntentSpec(
        "reminder.set",
        "be reminded later to do something",
        ("task",),
        (("remind me to call mom at 6 pm", {"task": "call mom"}),),
    ),
    IntentSpec(
        "calculate",
        "arithmetic on numbers the message gives",
        ("expression",),
        (("what's 15 percent of 80", {"expression": "15 / 100 * 80"}),),
    ),
    IntentSpec(
        "memory.remember",
        "store a fact the user tells about themselves or their things",
        ("fact",),
        (
            (
                "remember that my sister's birthday is May 3rd",
                {"fact": "my sister's birthday is May 3rd"},
            ),
        ),
    ),
    IntentSpec(
        "memory.recall",
        "ask for a fact the user told before",
        ("query",),
        (("what's my wife's name", {"query": "my wife's name"}),),
    ),
    IntentSpec(
        "memory.forget",
        "delete a stored fact",
        ("query", "all"),
        (("forget my sister's birthday", {"query": "my sister's birthday"}),),
    ),
    IntentSpec(
        "app.open",
        "start a desktop application",
        ("app",),
        (("open the text editor", {"app": "text editor"}),),
    ),
    IntentSpec("time", "the current time", shots=(("what time is it", {}),)),
    IntentSpec("date", "today's date or weekday"),
    IntentSpec("stop", "stop talking"),
    IntentSpec("repeat", "say the last reply again", shots=(("say that again", {}),)),
    IntentSpec("conversation.new", "start a new conversation"),
    IntentSpec("help", "what the assistant can do"),
)

BY_NAME = {spec.name: spec for spec in INTENTS}
