"""The slots of a language model's structured parse, read and checked by our own parsers.

Each intent of the catalogue (``intents.py``) declares its ``parsed`` reader here:
(the fields the model gave, original text, normalised text, now) → the slots we act on, or None
when the parse does not hold. Copied fields must come from the message (no invented fact is
stored), durations and moments are read from the message itself, an expression is evaluated by
the safe calculator and may use only numbers the message gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from assistant.errors import AssistantError
from assistant.nlu import slots as slot_parsers
from assistant.nlu.calculator import evaluate
from assistant.nlu.normalize import normalize as normalize_words

ParsedReader = Callable[[dict[str, Any], str, str, datetime], "dict[str, Any] | None"]
# Can a parse of an intent hold for this (normalised) message at all? The parse is only
# offered the intents that can: the model then says "chat" in three tokens instead of writing
# out an expression that is thrown away ("7 of clubs" → calculate "7 * 13": 2.5 s on two cores)
Gate = Callable[[str], bool]

COPIED_SHARE = 0.6  # of a copied field's words that must be in the message


def _copied(value: Any, text: str) -> str | None:
    """A field the model copied from the message: most of its words must be there. When the
    copy skipped words ("water basil" from "water the basil"), the message's own words from
    its first to its last word are taken instead."""
    if not isinstance(value, str) or not value.strip():
        return None
    words = re.findall(r"[\w'-]+", value.lower())
    have = set(re.findall(r"[\w'-]+", text.lower()))
    if not words or sum(w in have for w in words) / len(words) < COPIED_SHARE:
        return None
    return _own_words(value.strip(), text)


def _own_words(value: str, text: str) -> str:
    """The message's words for ``value``: from its first word to its last; when the model
    changed an end word ("call the bank" for "phone the bank"), as many of the message's words
    from the other end."""
    words = value.split()
    first = re.search(rf"\b{re.escape(words[0])}\b", text, re.IGNORECASE)
    start = first.start() if first is not None else 0
    ends = list(re.finditer(rf"\b{re.escape(words[-1])}\b", text[start:], re.IGNORECASE))
    if first is None and not ends:
        return value
    said = re.findall(r"\S+", text)
    if first is None:  # the first word is the model's: count back from the last
        upto = len(re.findall(r"\S+", text[: start + ends[-1].end()]))
        return " ".join(said[max(0, upto - len(words)) : upto]).strip(" ,.!?")
    if not ends:  # the last word is the model's: count on from the first
        begin = len(re.findall(r"\S+", text[:start]))
        return " ".join(said[begin : begin + len(words)]).strip(" ,.!?")
    span = text[start : start + ends[-1].end()].strip(" ,.!?")
    return span if len(span.split()) <= 2 * len(words) else value


_POLITE = re.compile(r"^(?:please\s+)?(?:can|could|would|will) you\s+(?:please\s+)?")
_QUESTION = re.compile(
    r"^(?:how|what|what's|why|when|where|who|which|can|could|do|does|is|are|should)\b|\?$"
)
_FIRST_PERSON = re.compile(r"\b(?:my|i|me|mine|i'm|i've|myself)\b")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ARITHMETIC = re.compile(
    r"\b(?:plus|minus|times|multipl\w*|divid\w*|over|percent|half|double|twice|triple|add|"
    r"sum|total|subtract|take|away|split|between|squared?|root|cubed?|power|tip|less|more|"
    r"calculate|compute|average|each|apiece|per (?:person|head)|share)\b|[-+*/×÷%^=]"
)


def _numbers_given(expression: str, normalized: str) -> bool:
    """Every number of the expression comes from the message ("15 percent" may be 0.15 or
    15 / 100, "a half" 0.5): no conversion factor the model knows, or thinks it knows ("how
    many days are in a week" is not 7 / 100 * 365)."""
    given = {float(n) for n in _NUMBER.findall(normalized)}
    if not given:
        return False
    allowed = set(given)
    if re.search(r"\bpercent\b|%", normalized):
        allowed |= {100.0} | {n / 100 for n in given} | {1 + n / 100 for n in given}
    if re.search(r"\bhalf\b", normalized):
        allowed |= {0.5, 2.0} | {n + 0.5 for n in given}
    if re.search(r"\b(?:double|twice)\b", normalized):
        allowed.add(2.0)
    used = [float(n) for n in _NUMBER.findall(expression)]
    return bool(used) and all(any(abs(u - a) < 1e-9 for a in allowed) for u in used)


def _without_moment(task: str | None, now: datetime) -> str | None:
    """A task as the model copied it, less the words that said when ("pick up grandma from
    the station saturday at noon" → "pick up grandma from the station")."""
    if not task:
        return task
    words = normalize_words(task)
    _, spans = slot_parsers.parse_when(words, now)
    if not spans:
        return task
    kept = slot_parsers.remove_spans(words, spans)
    kept = re.sub(r"\s+(?:on|at|by|for|in)$", "", kept.strip(" ,.")).strip()
    found = re.search(re.escape(kept), task, re.IGNORECASE) if kept else None
    return found.group(0) if found else (kept or None)


def always(normalized: str) -> bool:
    return True


def can_calculate(normalized: str) -> bool:
    """Numbers, and a word or sign that works them out ("5 5" or "8 of spades" has none)."""
    return bool(_NUMBER.search(normalized)) and bool(_ARITHMETIC.search(normalized))


_KEEP = re.compile(
    r"\b(?:remember\w*|memori[sz]\w*|not(?:e|es|ing)|jot\w*|writ\w*|sav\w*|stor\w*|keep\w*|"
    r"record\w*|log\w*|forget|know|mind|fyi|reference|heads up)\b"
)
# the words an intent cannot be said without, whatever the phrasing (a gate, not a reading)
_FORGET_WORD = re.compile(
    r"\b(?:forget\w*|delet\w*|eras\w*|remov\w*|wip\w*|clear\w*|drop\w*|scrap\w*|scratch"
    r"|get rid|purg\w*|unlearn|lose)\b"
)
_TIMER_WORD = re.compile(r"\b(?:timers?|countdowns?|count down|alarms?|stopwatch)\b")
_OPEN_WORD = re.compile(
    r"\b(?:open\w*|launch\w*|start\w*|run\w*|fir(?:e|ing)|bring\w*|pull\w*|load\w*|show"
    r"|get|boot\w*|go(?:ing)?|up)\b"
)
_REMIND_WORD = re.compile(
    r"\b(?:remind\w*|ping|nudge|alert|tell me|let me know|forget|make sure|notify|buzz|"
    r"reminder|shout|heads up|holler)\b"
)


# … and the words of the commands without fields: a short or misheard message without any of
# them ("5 5", "10 of close") is no stop, repeat, help or time, so it is not parsed (the parse
# held its reply ~1 s on two cores)
_STOP_WORD = re.compile(
    r"\b(?:stop\w*|quiet\w*|shut\w*|enough|silen\w*|s?hush\w*|shh+|plenty|halt\w*|pause\w*"
    r"|zip it|cut it|knock it|give it a rest|sock|that'?ll do|talk\w*|speak\w*|voice"
    r"|never ?mind|cancel\w*|forget it)\b"
)
_AGAIN_WORD = re.compile(
    r"\b(?:again|repeat\w*|pardon|what|huh|say|said|come|miss\w*|catch|caught|hear(?:d|ing)?"
    r"|once more|one more time|sorry)\b"
)
_HELP_WORD = re.compile(
    r"\b(?:help\w*|can|could|able|capab\w*|commands?|features?|skills?|abilit\w*|functions?"
    r"|do|use|ask|support\w*|things)\b"
)
_TIME_WORD = re.compile(r"\b(?:time|tiem|clock|late|early|hours?|o'?clock|noon|midnight|now)\b")


def _says(words: re.Pattern[str]) -> Gate:
    """The gate of an intent that cannot be said without one of ``words``."""

    def gate(normalized: str) -> bool:
        return bool(words.search(normalized))

    return gate


said_to_stop = _says(_STOP_WORD)
_AFTER_ME = re.compile(r"\b(?:repeat|say) (?:this |that )?after me\b")


def asks_again(normalized: str) -> bool:
    """A word of asking again; "repeat after me: …" asks the model to say the user's words."""
    return bool(_AGAIN_WORD.search(normalized)) and not _AFTER_ME.search(normalized)


asks_for_help = _says(_HELP_WORD)
can_forget = _says(_FORGET_WORD)
about_a_timer = _says(_TIMER_WORD)
can_open = _says(_OPEN_WORD)


def asks_the_time(normalized: str) -> bool:
    """A word of the clock, about now ("what time does the supermarket close" is not)."""
    return bool(_TIME_WORD.search(normalized)) and about_now(normalized)


def tells_something(normalized: str) -> bool:
    """A fact given to be kept: a word of keeping ("remember", "jot down", "keep in mind",
    "don't forget", "save", "for the record") and no question ("how do I remember all the kings
    of England" asks; "8 of spades, 4 of clubs" keeps nothing; "remember when we …" reminisces)."""
    return (
        bool(_KEEP.search(normalized))
        and not _QUESTION.search(_POLITE.sub("", normalized))
        and not _REMINISCING.search(normalized)
    )


# "remember when we went to that cafe" brings up a shared memory (the parse kept "we went …")
_REMINISCING = re.compile(r"\bremember\s+" + slot_parsers.REMINISCED)


def about_the_user(normalized: str) -> bool:
    """It speaks of the user ("what day was the moon landing" does not)."""
    return bool(_FIRST_PERSON.search(normalized))


_LEFT_WORD = re.compile(
    r"\b(?:left|remaining|how long|longer|more|until|till|still|to go|done|ready)\b"
)


def asks_how_long_left(normalized: str) -> bool:
    return about_a_timer(normalized) or bool(_LEFT_WORD.search(normalized))


# how long a way takes ("it takes me 25 minutes to get there", "a ten minute walk"): no timer
_JOURNEY = re.compile(
    r"\btakes? (?:me|us|him|her|them)\b|\b(?:walk|drive|ride|trip|journey|commute|flight)"
    r" (?:is|takes)\b|\b(?:minutes?|hours?|min)(?:'s)? (?:walk|drive|ride|away|trip|journey)\b"
)
# a question about the date needs a word of it ("where am I off to on friday" asks no date)
_DATE_WORD = re.compile(r"\b(?:date|day|today|weekday|month|year)\b|\bis it \w+day\b")


def can_time(normalized: str) -> bool:
    """A timer: the word, or a duration ("let me know when twelve minutes are up") that is not
    how long a way takes."""
    if about_a_timer(normalized):
        return True
    return slot_parsers.parse_duration(normalized) is not None and not _JOURNEY.search(normalized)


def can_remind(normalized: str) -> bool:
    return bool(_REMIND_WORD.search(normalized)) and not slot_parsers.asks_to_be_told(normalized)


def about_now(normalized: str) -> bool:
    """Not about another moment ("what time does the supermarket close")."""
    return not slot_parsers.about_another_moment(normalized)


def asks_the_date(normalized: str) -> bool:
    """A word of the date, about now ("where am I off to on friday" is about a plan)."""
    return bool(_DATE_WORD.search(normalized)) and about_now(normalized)


def judged_by_message(reader: slot_parsers.SlotReader) -> ParsedReader:
    """For an intent without fields: the parse holds when the message reader takes the
    message ("help me write a cover letter" is no question about what the assistant does,
    whoever reads it)."""

    def parsed(
        found: dict[str, Any], text: str, normalized: str, now: datetime
    ) -> dict[str, Any] | None:
        return reader(text, normalized, now)

    return parsed


def parsed_nothing(
    found: dict[str, Any], text: str, normalized: str, now: datetime
) -> dict[str, Any] | None:
    return {}


def parsed_time(
    found: dict[str, Any], text: str, normalized: str, now: datetime
) -> dict[str, Any] | None:
    return slot_parsers.read_time(text, normalized, now)  # "when does the shop close": no


def parsed_date(
    found: dict[str, Any], text: str, normalized: str, now: datetime
) -> dict[str, Any] | None:
    return slot_parsers.read_date(text, normalized, now)


def parsed_timer(
    found: dict[str, Any], text: str, normalized: str, now: datetime
) -> dict[str, Any] | None:
    return slot_parsers.timer_slots(normalized)


def parsed_timer_cancel(
    found: dict[str, Any], text: str, normalized: str, now: datetime
) -> dict[str, Any] | None:
    if found.get("all") is True:
        return {"all": True}
    label = _copied(found.get("label"), text)
    label = re.sub(r"\b(?:timers?|my|the|a|an|all|every|this|that)\b", " ", label or "")
    label = " ".join(w for w in label.split() if w.lower() not in slot_parsers.LABEL_STOP)
    return {"label": label} if label else {}


def parsed_reminder(
    found: dict[str, Any], text: str, normalized: str, now: datetime
) -> dict[str, Any] | None:
    when, _ = slot_parsers.parse_when(normalized, now)
    task = _without_moment(_copied(found.get("task"), text), now)
    slots: dict[str, Any] = {"text": task} if task else {}
    if when is not None:
        slots["when"] = when.isoformat(timespec="seconds")
    return slots


def parsed_calculation(
    found: dict[str, Any], text: str, normalized: str, now: datetime
) -> dict[str, Any] | None:
    expression = found.get("expression")
    if not can_calculate(normalized):
        return None  # "5 5", "8 of spades, 4 of clubs": numbers, but nothing to work out
    if not isinstance(expression, str) or not _numbers_given(expression, normalized):
        return None
    try:
        return {"expression": expression, "result": evaluate(expression)}
    except AssistantError:
        return None


def parsed_fact(
    found: dict[str, Any], text: str, normalized: str, now: datetime
) -> dict[str, Any] | None:
    if not tells_something(normalized):
        return None
    fact = _copied(found.get("fact"), text)
    if not fact or len(fact.split()) >= len(text.split()):
        return None  # "my car is in the garage" says a fact; it asks nothing to be kept
    own = slot_parsers.fact_text(text)
    if len(fact.split()) < 3 and fact.lower() in own.lower() and own != text:
        return {"fact": own}  # "ba 287" is no fact: what our reader takes around it is
    return {"fact": _to_clause_end(fact, text)}


def _to_clause_end(copy: str, text: str) -> str:
    """A copy the model ended mid-clause ("my new nephew is called" of "… is called Oscar!")
    runs on to the clause's end in the message (at most three more words)."""
    where = text.find(copy)
    if where < 0:
        return copy
    rest = re.match(r"[^.!?,;:]*", text[where + len(copy) :])
    more = rest.group(0) if rest else ""
    return (copy + more).strip() if 0 < len(more.split()) <= 3 else copy


def parsed_recall(
    found: dict[str, Any], text: str, normalized: str, now: datetime
) -> dict[str, Any] | None:
    if not about_the_user(normalized) or slot_parsers.read_recall(text, normalized, now) is None:
        return None  # "what day was the moon landing", "do you remember your childhood"
    query = _copied(found.get("query"), text)
    return {"query": query} if query else None


def parsed_forget(
    found: dict[str, Any], text: str, normalized: str, now: datetime
) -> dict[str, Any] | None:
    if found.get("all") is True:
        # everything only when the message says so ("… my car reg anymore, forget it" is one)
        return slot_parsers.forget_slots(normalized)
    query = _copied(found.get("query"), text)
    return {"query": query} if query else None


def parsed_app(
    found: dict[str, Any], text: str, normalized: str, now: datetime
) -> dict[str, Any] | None:
    app = _copied(found.get("app"), text)
    return {"app": app} if app else None
