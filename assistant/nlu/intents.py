"""The intents the assistant understands, declared once: what each means (for the language
model's parse), the fields the parse copies from the message, worked examples of that parse,
the example phrasings the embedding detector compares with (``exemplars.py``), and its cue words
and command phrasing. A skill answers each (``skills/setup.py``; a test checks that every
declared intent has one). Reading slots stays in ``slots.py`` (durations, moments, labels).

The dialogue state's own intents (``timer.change``, ``undo`` …) come only from the follow-up
reader (``dialogue/followups.py``), never from a parse of a message on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.nlu.base import CHAT
from assistant.nlu.exemplars import EXEMPLARS

# what may come before a command's phrasing ("hey", "please", "can you" …)
LEAD = (
    r"^(?:(?:hey|ok|okay|please|so|now|can you|could you|would you|will "
    r"you)\s+)*"
)


@dataclass(frozen=True)
class IntentSpec:
    name: str
    meaning: str  # one line for the language model
    fields: tuple[str, ...] = ()  # copied from the message by the parse ("all" is a boolean)
    shots: tuple[tuple[str, dict[str, Any]], ...] = ()  # message → parse, for the prompt
    exemplars: tuple[str, ...] = field(default=())
    # for the embedding detector: words that make the intent likely (a lower similarity then
    # suffices), and a phrasing that is this command whatever it talks about ("remind me …";
    # the embedding only has to agree loosely); both regular expressions on normalised text,
    # the phrasing after an optional lead ("hey", "can you" … see ``LEAD``)
    cue: str = ""
    phrasing: str = ""

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
        cue=r"\b(?:timer|countdown)\b.*\d|\d.*\b(?:timer|countdown)\b",
        phrasing=(
            r"(?:set|start|put on|make|begin|create)\s+(?:a |an |the |my )?(?:new "
            r")?(?:\S+\s+){0,3}(?:timer|countdown)\b"
        ),
    ),
    IntentSpec(
        "timer.cancel",
        "cancel running timers",
        ("label", "all"),
        (("cancel all timers", {"all": True}), ("stop the egg timer", {"label": "egg"})),
        cue=r"\b(?:cancel|stop|delete|remove|kill)\b.*\btimers?\b",
    ),
    IntentSpec(
        "timer.status",
        "ask how long is left on timers",
        cue=r"\b(?:left|remaining|long until|still running)\b",
    ),
    IntentSpec(
        "reminder.set",
        "be reminded later to do something",
        ("task",),
        (("remind me to call mom at 6 pm", {"task": "call mom"}),),
        cue=r"\b(?:remind me|reminder|don't let me forget)\b",
        phrasing=(
            r"(?:remind me\b|set (?:a |up a )?reminder\b|add a reminder\b|create a "
            r"reminder\b)|\bremind me to\b"
        ),
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
        cue=(
            r"^(?:please\s+)?(?:remember|memori[sz]e|don't forget|keep in mind|note "
            r"that|make a note)\b|^my name is\b"
        ),
        phrasing=(
            r"(?:remember|memori[sz]e|don't forget|keep in mind|note) (?!that time\b|"
            r"when\b|the day\b)(?:that |this |my |i |i'm |i am |me )|^my name is \w+$|"
            r"^call me \w+$"
        ),
    ),
    IntentSpec(
        "memory.recall",
        "ask for a fact the user told before",
        ("query",),
        (("what's my wife's name", {"query": "my wife's name"}),),
        cue=r"\b(?:my|me|i)\b",
        phrasing=(
            r"(?:(?:when|what|where|who|which|how old|how do i take)(?:'s| is| are| was|"
            r" were| do| does| did)? (?:my|i)\b(?! (?:do|need|should|can|could|make|get|"
            r"say|cook|fix|stop|learn|start|open|calculate)\b)|do you (?:know|remember) "
            r"(?:my|what i|where i|when i|who i|what my)\b|what do you (?:know|"
            r"remember) about me\b)"
        ),
    ),
    IntentSpec(
        "memory.forget",
        "delete a stored fact",
        ("query", "all"),
        (("forget my sister's birthday", {"query": "my sister's birthday"}),),
        cue=r"^(?:please\s+)?(?:forget|erase|delete|wipe)\b",
        phrasing=(
            r"(?:forget|erase|delete|wipe|remove) (?:my |that |about |where |what |who |"
            r"when |everything|all |the fact)"
        ),
    ),
    IntentSpec(
        "app.open",
        "start a desktop application",
        ("app",),
        (("open the text editor", {"app": "text editor"}),),
        cue=r"^(?:please\s+)?(?:open|launch|start|run|fire up)\b",
        phrasing=(
            r"(?:open|launch|start|run|fire up|bring up)\s+(?:up\s+)?(?:the\s+|"
            r"my\s+)?(?!over\b|again\b|fresh\b|from\b|new\b|a\b|all\b|anew\b|"
            r"afresh\b)[a-z0-9.+-]+(?:\s+[a-z0-9.+-]+)?(?:\s+(?:app|application|program|"
            r"for me|please))?$"
        ),
    ),
    IntentSpec(
        "time",
        "the current time",
        shots=(("what time is it", {}),),
        cue=r"\btime\b",
    ),
    IntentSpec(
        "date",
        "today's date or weekday",
        cue=r"\b(?:date|day|today|month|year)\b",
    ),
    IntentSpec("stop", "stop talking"),
    IntentSpec(
        "repeat",
        "say the last reply again",
        shots=(("say that again", {}),),
        cue=r"\b(?:again|repeat|pardon|catch that|missed that)\b",
    ),
    IntentSpec("conversation.new", "start a new conversation"),
    IntentSpec("help", "what the assistant can do"),
)

BY_NAME = {spec.name: spec for spec in INTENTS}
