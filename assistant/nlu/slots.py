"""Slot extraction: durations, reminder times and texts, timer labels, facts, queries, apps.

All functions take *normalised* text (see ``normalize``) unless they say otherwise. Dates of
reminders come from ``parsedatetime``; clock times and relative times ("in 20 minutes") from the
patterns below, which handle spoken forms the library misreads ("at 6 30 pm", "at 6").

The ``read_*`` functions at the end are the slot readers the intent catalogue (``intents.py``)
declares for each intent: (original text, normalised text, now) → its slots, or None when the
message cannot be that intent after all (a "timer" with neither a duration nor the word timer).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any

from assistant.nlu.normalize import (
    POLITE_TAIL,
    REQUEST_LEAD,
    SMALL_NUMBERS,
    WEEKDAYS,
    normalize,
    sentences,
    straight_apostrophes,
)

_WORD_AMOUNTS = {
    "a": 1.0,
    "an": 1.0,
    "half an": 0.5,
    "half a": 0.5,
    "a half": 0.5,
    "a couple of": 2.0,
    "a few": 3.0,
} | {w: float(i) for i, w in enumerate(SMALL_NUMBERS)}
# the units of a timer's duration, as said or written ("20 mins", "1 hr")
_TIMER_UNITS = r"seconds?|secs?|minutes?|mins?|hours?|hrs?"
UNIT = rf"(?:{_TIMER_UNITS})\b"
_UNIT = rf"(?P<unit>{_TIMER_UNITS}|days?)\b"
_AMOUNT = (
    r"(?P<amount>(?:a |one |\d+ )?quarters? of an?|\d+(?:\.\d+)?|half an?|half a|a half|"
    r"a couple of|a few|an?|" + "|".join(SMALL_NUMBERS) + r")\b"
)
_QUARTERS = re.compile(r"^(?:(?P<n>\d+) |a |one )?quarters? of an?$")
# "… and a half", "… and a quarter", "… and three quarters" (before or after the unit)
_AND_PART = r"\s+and\s+(?:a\s+half|(?:a|one)\s+quarter|(?:3|three)\s+quarters)"
_DURATION_TERM = re.compile(
    rf"\b{_AMOUNT}(?P<half>{_AND_PART})?\s*-?\s*{_UNIT}(?P<half2>{_AND_PART})?"
    r"|\b(?P<amount2>\d+(?:\.\d+)?)(?P<unit2>s|m|h|d)\b"
)
_COMPACT = re.compile(r"\b(\d+)h\s*(\d+)(?:m|min)?\b")


def _unit_seconds(unit: str) -> int:
    if unit.startswith("s"):
        return 1
    if unit.startswith("m"):
        return 60
    if unit.startswith("h"):
        return 3600
    return 86400


def _amount(word: str) -> float:
    quarters = _QUARTERS.match(word)  # "a quarter of an hour", "3 quarters of an hour"
    if quarters:
        return int(quarters.group("n") or 1) / 4
    return _WORD_AMOUNTS[word] if word in _WORD_AMOUNTS else float(word)


def _and_part(text: str | None) -> float:
    if not text:
        return 0.0
    return 0.5 if "half" in text else 0.75 if "quarters" in text else 0.25


def duration_spans(text: str) -> list[tuple[int, int, float]]:
    """(start, end, seconds) of every duration term in ``text``."""
    spans: list[tuple[int, int, float]] = []
    for m in _COMPACT.finditer(text):
        spans.append((m.start(), m.end(), int(m.group(1)) * 3600 + int(m.group(2)) * 60))
    for m in _DURATION_TERM.finditer(text):
        if any(s <= m.start() < e for s, e, _ in spans):
            continue
        if m.group("amount2"):
            seconds = float(m.group("amount2")) * _unit_seconds(m.group("unit2"))
            spans.append((m.start(), m.end(), seconds))
            continue
        amount = _amount(m.group("amount"))
        amount += _and_part(m.group("half") or m.group("half2"))
        spans.append((m.start(), m.end(), amount * _unit_seconds(m.group("unit"))))
    return sorted(spans)


def parse_duration(text: str) -> int | None:
    """Total seconds of the durations in the text ('1 hour and 30 minutes' → 5400)."""
    spans = duration_spans(text)
    if not spans:
        return None
    total = round(sum(seconds for _, _, seconds in spans))
    return total if total > 0 else None


def remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return " ".join(text.split())


# --- timers ---------------------------------------------------------------------------------

# the verbs of cancelling a timer or reminder ("scrap", "ditch", British "bin" …)
CANCEL_VERB = (
    r"(?:cancel|delete|remove|scrap|ditch|bin|nix|axe|trash|kill|drop|get rid of|clear"
    r"|turn off|switch off|erase)"
)

LABEL_STOP = {
    "a",
    "an",
    "the",
    "my",
    "every",
    "each",
    "all",
    "set",
    "start",
    "new",
    "another",
    "one",
    "timer",
    "and",
    "for",
    "please",
    "quick",
    "cancel",
    "stop",
    "delete",
    "remove",
    "kill",
    "scrap",
    "ditch",
    "bin",
    "end",
    "clear",
    "of",
    "called",
    "named",
    "this",
    "that",
    "second",
    "minute",
    "hour",
    "s",
    "m",
    "h",
    "on",
    "up",
    "me",
    "put",
    "make",
    "create",
    "can",
    "you",
    "could",
    "would",
    "will",
    "i",
    "need",
    "want",
    "to",
    "it",
    "set up",
    "off",
    "turn",
    "go",
    "ahead",
    "just",
    "now",
    "run",
    # fillers and feelings are no names ("a timer for uh …", "the stupid timer")
    "uh",
    "um",
    "like",
    "so",
    "stupid",
    "damn",
    "darn",
    "bloody",
    "freaking",
    "silly",
    "dumb",
    "little",
    "clock",  # "put 20 minutes on the clock"
}
_SPOKEN_FILLER = re.compile(r"\b(?:um+|uh+|erm|er|like|you know)\b")
_POLITE_END = re.compile(POLITE_TAIL + "+$")


# the user going on about themselves after the request: no part of a timer's name ("a timer
# for 20 minutes please, I keep losing track of time" was named "please i keep losing …")
_ABOUT_ME_AFTER = re.compile(r"\s+(?:i|i'm|im|i've)\s+(?!mean\b).*$")
_ON_THE = re.compile(UNIT + r"\s+on\s+(?:the|my)\s+(?P<label>[a-z][a-z']*(?: [a-z][a-z']*)?)$")


def timer_label(text: str) -> str | None:
    """The name of a timer: 'for the eggs', 'called pasta', 'pasta timer', '12 minutes on
    the rice'."""
    text = _POLITE_END.sub("", text)
    on_the = _ON_THE.search(text)
    if on_the and on_the.group("label").strip() not in LABEL_STOP:
        return on_the.group("label").strip()
    body = remove_spans(text, [(s, e) for s, e, _ in duration_spans(text)])
    body = " ".join(_SPOKEN_FILLER.sub(" ", body).split())
    body = _ABOUT_ME_AFTER.sub("", body)
    body = re.sub(r"\b(?:and|for)\s+(?=(?:and|for)\b)", "", body)  # "for 1 hour and 15 minutes"
    body = _POLITE_END.sub("", body)
    body = re.sub(r"(?:\s+(?:and|please|now|for|of|on))+$", "", body)
    m = re.search(r"\b(?:called|named|labell?ed)\s+(?:the\s+)?([a-z][a-z' ]*)$", body)
    if m is None:
        m = re.search(r"\btimer\s+for\s+(?:the\s+|my\s+)?([a-z][a-z' ]*)$", body)
    if m is None:
        m = re.search(r"\bfor\s+(?:the\s+|my\s+)([a-z][a-z' ]*)$", body)
    if m is not None:
        label = m.group(1).strip()
        label = re.sub(r"\s+(?:timer|now)$", "", label)
        # "the eggs please they are done already": the name ends at the politeness
        label = re.sub(r"\s+(?:please|thanks|thank you|cheers|dear|mate)\b.*$", "", label).strip()
        return label if label and label not in LABEL_STOP else None
    m = re.search(r"\b([a-z][a-z']*)\s+timer\b", body)
    if m and m.group(1) not in LABEL_STOP and not m.group(1).endswith("ing"):
        return m.group(1)
    m = re.search(r"\btime (?:the|my) ([a-z][a-z']*)\b", body)  # "time the noodles"
    if m and m.group(1) not in LABEL_STOP:
        return m.group(1)
    return None


# --- reminders ------------------------------------------------------------------------------

_WEEKDAY_SHORT = {
    "mon": "monday",
    "tue": "tuesday",
    "tues": "tuesday",
    "wed": "wednesday",
    "thu": "thursday",
    "thur": "thursday",
    "thurs": "thursday",
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
}
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH = "|".join(_MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec"
_DAY_PATTERNS = [
    r"\bthe day after tomorrow\b",
    r"\b(?:tomorrow|today|tonight)\b(?:\s+(?:morning|afternoon|evening|night))?",
    r"\bthis (?:morning|afternoon|evening)\b",
    r"\b(?:on\s+|next\s+|this\s+)?(?:" + "|".join((*WEEKDAYS, *_WEEKDAY_SHORT)) + r")\b"
    r"(?:\s+(?:morning|afternoon|evening|night))?",
    rf"\b(?:on\s+)?(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+of\s+(?:{_MONTH})\b",
    rf"\b(?:on\s+)?(?:{_MONTH})\s+\d{{1,2}}(?:st|nd|rd|th)?\b",
]
_DAY = re.compile("|".join(f"(?:{p})" for p in _DAY_PATTERNS))
_CLOCK = re.compile(
    r"\b(?:at|by|around)\s+(?P<h>\d{1,2})(?:[: ](?P<m>\d{2}))?\s*"
    r"(?P<ap>am|pm|a\.m\.?|p\.m\.?|o'clock)?"
    r"|\b(?P<h2>\d{1,2})(?:[: ](?P<m2>\d{2}))?\s*(?P<ap2>am|pm|a\.m\.?|p\.m\.?)"
    r"|\b(?:at\s+)?(?P<word>noon|midday|midnight)\b"
    # "half three": British for half past three (not "half 3 hours")
    r"|\b(?:at\s+)?(?P<rel>half past|quarter past|quarter to|half)\s+(?P<h3>\d{1,2})\b"
    r"(?!\s*(?:hours?|hrs?|minutes?|mins?|seconds?|secs?|days?|of|percent|%)\b)"
    r"|\b(?P<h4>\d{1,2})\s*o'?clock\b"
)
# "at 2 in the afternoon", "at 7 in the morning", "at 9 at night": which half of the day
_PART_AFTER = re.compile(r"\b(?:in the (?P<part>morning|afternoon|evening)|at (?P<n>night))\b")
_PART_OF_DAY = {"morning": 9, "afternoon": 15, "evening": 19, "night": 21, "tonight": 20}


@lru_cache(maxsize=1)
def _calendar():  # type: ignore[no-untyped-def]
    import parsedatetime

    return parsedatetime.Calendar(version=parsedatetime.VERSION_CONTEXT_STYLE)


def _relative_span(text: str) -> tuple[int, int, float] | None:
    """'in 20 minutes', 'in an hour and a half', '2 hours from now'."""
    for m in re.finditer(r"\b(?:in|after|within)\s+(?:about\s+|another\s+)?", text):
        spans = duration_spans(text[m.end() :])
        if spans and spans[0][0] == 0:
            end, total = m.end(), 0.0
            for s, e, seconds in spans:
                gap = text[end : m.end() + s]
                if gap.strip() not in ("", "and", ","):
                    break
                end, total = m.end() + e, total + seconds
            return m.start(), end, total
    later = re.search(r"\bfrom now\b", text)
    if later:
        spans = [
            sp
            for sp in duration_spans(text[: later.start()])
            if not text[sp[1] : later.start()].strip(" and")
        ]
        if spans:
            return spans[0][0], later.end(), sum(s for _, _, s in spans)
    return None


def _clock_time(m: re.Match[str], hint_pm: bool) -> tuple[int, int, bool]:
    """(hour, minute, explicit) of a clock match; explicit = am/pm given or 24-hour."""
    if m.group("word"):
        return (0, 0, True) if m.group("word") == "midnight" else (12, 0, True)
    if m.group("rel"):
        hour = int(m.group("h3"))
        minute = {"half past": 30, "half": 30, "quarter past": 15, "quarter to": -15}[
            m.group("rel")
        ]
        if minute < 0:
            hour, minute = hour - 1, 45
        return hour % 24, minute, False
    hour = int(m.group("h") or m.group("h2") or m.group("h4"))
    minute = int(m.group("m") or m.group("m2") or 0)
    ap = (m.group("ap") or m.group("ap2") or "").replace(".", "")
    if ap in ("am", "pm"):
        hour = hour % 12 + (12 if ap == "pm" else 0)
        return hour, minute, True
    if hour > 12 or hour == 0:
        return hour, minute, True
    if (hint_pm and hour < 12) or 1 <= hour <= 6:  # "at 2" means 2 pm, not 2 am
        return hour + 12, minute, True
    return hour, minute, False


def only_a_day(text: str) -> bool:
    """The moment is a day with no time of day ("tomorrow", "on saturday", "friday instead")."""
    day = _DAY.search(text)
    if day is None or _CLOCK.search(text) or _relative_span(text) is not None:
        return False
    return not re.search(r"\b(?:morning|afternoon|evening|night|tonight)\b", day.group(0))


# "at two", "half one", "one o'clock": the hours text2num leaves as words (it writes only
# numbers from three up), as digits padded to the word's length so the spans stay in place
_HOUR_WORD = (
    re.compile(r"\b(at |by |around |half |past |until |quarter to )(one|two)\b"),
    re.compile(r"\b()(one|two)(?=\s*(?:o'?clock|am|pm|\d{2}\b))"),
)


def _hour_digits(text: str) -> str:
    for pattern in _HOUR_WORD:
        text = pattern.sub(
            lambda m: m.group(1) + ("1" if m.group(2) == "one" else "2").rjust(3), text
        )
    return text


def parse_when(text: str, now: datetime) -> tuple[datetime | None, list[tuple[int, int]]]:
    """The moment a reminder is for, and the character spans that said it."""
    text = _hour_digits(text)
    rel = _relative_span(text)
    if rel is not None:
        start, end, seconds = rel
        return (now + timedelta(seconds=seconds)).replace(microsecond=0), [(start, end)]
    spans: list[tuple[int, int]] = []
    day_match = _DAY.search(text)
    day: datetime | None = None
    hint_pm = False
    part_hour: int | None = None
    if day_match:
        spans.append(day_match.span())
        phrase = day_match.group(0)
        for part, hour in _PART_OF_DAY.items():
            if part in phrase:
                part_hour = hour
                hint_pm = part != "morning"
        phrase = re.sub(r"\b(?:morning|afternoon|evening|night)\b", "", phrase)
        phrase = phrase.replace("tonight", "today").replace("this ", "").strip()
        phrase = re.sub(
            r"\b(" + "|".join(_WEEKDAY_SHORT) + r")\b",
            lambda w: _WEEKDAY_SHORT[w.group(1)],
            phrase,
        )
        if phrase in ("", "today"):
            day = now
        else:
            parsed, context = _calendar().parseDT(phrase, sourceTime=now)
            day = parsed if context.hasDate else now
            if (
                re.search(r"\bnext\b", phrase) is None
                and any(d in phrase for d in WEEKDAYS)
                and day.date() == now.date()
            ):
                day = now
    clock = _CLOCK.search(text)
    if clock:
        spans.append(clock.span())
        after = _PART_AFTER.search(text, clock.end())
        morning = False
        if after is not None and not text[clock.end() : after.start()].strip():
            spans.append(after.span())  # "at 2 in the afternoon"
            morning = after.group("part") == "morning"
            hint_pm = hint_pm or not morning
        hour, minute, explicit = _clock_time(clock, hint_pm)
        explicit = explicit or (morning and hour < 12)
        base = day or now
        moment = datetime.combine(base.date(), time(hour % 24, minute))
        if not explicit and moment <= now and hour < 12:
            moment += timedelta(hours=12)  # "at 6" said at 10:00 means 18:00
        if day is None and moment <= now:
            moment += timedelta(days=1)
        return moment, spans
    if day is not None:
        hour = part_hour if part_hour is not None else 9
        moment = datetime.combine(day.date(), time(hour, 0))
        if moment <= now and day.date() == now.date() and part_hour is None:
            moment = now.replace(second=0, microsecond=0) + timedelta(hours=1)
        return moment, spans
    return None, []


# British and casual ways to ask for a reminder ("give us a shout at noon to move the car")
NUDGE = r"give (?:me|us) a (?:shout|nudge|buzz|ping|bell|heads up|holler)"
_REMINDER_LEAD = re.compile(
    r"^(?:(?:hey|ok|okay|please|can you|could you|would you|will you|i need you to|"
    r"i want you to|don't forget to|dont forget to)\s+)*"
    r"(?:remind me|set (?:a|up a|me a)? ?reminder|create (?:a )?reminder|add (?:a )?reminder|"
    rf"make (?:a )?reminder|reminder|{NUDGE})\s*(?:for me\s*)?(?:(?:to|too|that|about|of|for)\b)?"
    r"\s*",
)


# the verbs of a task of one's own ("I need to …", "we ought to …")
OWN_NEED_VERB = r"(?:need|have|must|should|ought|got|gotta|want)"
# "remind me that I need to move the car": the task is "move the car"
_OWN_TASK = re.compile(
    rf"^(?:that\s+)?(?:i|we)\s+{OWN_NEED_VERB}(?:\s+to)?\s+"
    r"|^(?:that\s+)?(?:i|we)(?:'ve| have) got to\s+|^(?:that\s+)?(?:i|we)(?:'ll| will) need to\s+"
)


def without_own_need(task: str) -> str:
    """ "that I need to ring the plumber" → "ring the plumber" (a reminder's task)."""
    return _OWN_TASK.sub("", task)


def reminder_text(original: str, normalized: str, spans: list[tuple[int, int]]) -> str:
    """What to remind about: the message without the command words and the time phrase."""
    body = remove_spans(normalized, spans)
    # whatever came before "remind me" is politeness or filler ("uh can you like remind me …")
    cut = re.search(
        rf"\b(?:remind me|reminder|don't let me forget|do not let me forget|{NUDGE})\b", body
    )
    if cut:
        body = body[cut.start() :]
    body = re.sub(r"^(?:don't|do not) let me forget (?:to |that |about )?", "", body)
    body = _REMINDER_LEAD.sub("", body)
    body = re.sub(r"(?:^|\s)(?:remind me|please)(?:\s+(?:to|that|about))?(?=\s|$)", " ", body)
    body = re.sub(r"^(?:to|that|about|for|at|on|by)\s+", "", body.strip())
    body = without_own_need(body)
    body = re.sub(r"\s+(?:to|at|on|by|for|please|and)$", "", body.strip())
    return as_written(body.strip(), original)


def as_written(words: str, original: str) -> str:
    """``words`` (read from the normalised message) in the capitals the user wrote them with
    ("email sarah" → "email Sarah"), when the message holds them as they are."""
    if not words:
        return words
    pattern = r"\s+".join(re.escape(word) for word in words.split())
    found = re.search(rf"(?<!\w){pattern}(?!\w)", straight_apostrophes(original), re.IGNORECASE)
    return found.group(0) if found else words


# --- memory and apps ------------------------------------------------------------------------

# the lead on the user's own words, where commas may part it ("um, store this, …")
_RAW_LEAD = REQUEST_LEAD.replace(r"\s+", r"[\s,]+")
_FACT_LEAD = re.compile(
    rf"^[\s,]*{_RAW_LEAD}"
    r"(?:remember(?:ing)?|memori[sz](?:e|ing)|not(?:e|ing)(?: down)?|make a note(?: of)?|"
    r"keep(?:ing)? in mind|don'?t forget|do not forget|stor(?:e|ing)|sav(?:e|ing)|"
    r"jot(?:ting)? (?:it |this )?down|writ(?:e|ing) (?:it |this )?down|log(?:ging)?|record(?:ing)?|"
    r"for the record|for future reference|just so you know|fyi)[\s,]*"
    r"(?:(?:this|the following)(?: (?:fact|note|one|info|information))?[\s,]*)?"
    r"(?:(?:for me|please)[\s,]+)*(?:that\b|:)?[\s,]*",
    re.IGNORECASE,
)


# the lead said after the fact ("my gym number is 55021, remember that", "… please note it")
_FACT_LEAD_AFTER = re.compile(
    r"[\s,.!?;:-]+(?:(?:please|pls|so|and|can you|could you)\s+)*(?:remember|note|keep in mind"
    r"|don'?t forget|save|store|jot down|write down)(?: (?:that|this|it))?(?: down)?"
    r"(?: (?:for me|please|thanks))*[\s.!?]*$",
    re.IGNORECASE,
)


# the lead alone, before a fact whose keeping is asked for after it ("so um my … remember that")
_LEAD_ONLY = re.compile(rf"^[\s,]*{_RAW_LEAD}", re.IGNORECASE)
# … or a feeling before the fact ("I'm over the moon, my new nephew is called Oscar")
_FEELING_BEFORE = re.compile(
    r"^(?:(?:oh|yay|wow|ugh|hooray|great news|guess what)\b[^,.!?]*"
    r"|(?:i'm|i am|im)\s+(?:so\s+|really\s+|just\s+)?(?:over the moon|thrilled|happy|excited"
    r"|delighted|sad|upset|gutted|nervous|worried|stressed)\b[^,.!?]*)[,.!?]+\s*(?=\S)",
    re.IGNORECASE,
)


def fact_text(original: str) -> str:
    """'Remember that my sister's birthday is May 3rd.' → "my sister's birthday is May 3rd"."""
    text = " ".join(straight_apostrophes(original).split())
    before = _FACT_LEAD_AFTER.sub("", text)
    if before != text and len(before.split()) >= 3:  # the lead said after it: fillers go too
        text = before if _FACT_LEAD.match(before) else _LEAD_ONLY.sub("", before) or before
    said = sentences(text)
    for start in range(1, len(said)):
        rest = " ".join(said[start:])
        if _FACT_LEAD.match(rest) and re.search(r"\w", _FACT_LEAD.sub("", rest)):
            text = rest
            break
    text = _FACT_LEAD.sub("", _FEELING_BEFORE.sub("", text)).strip()
    text = re.sub(r"[\s.!?]+$", "", text)
    text = re.sub(r"^,\s*", "", text)
    return text


_RECALL_LEAD = re.compile(
    rf"^{REQUEST_LEAD}(?:do you\s+)?"
    r"(?:tell me|remind me|what do you (?:know|remember)|what have you (?:got|stored|saved)|"
    r"(?:what|where|when|who) did i (?:tell you|tell|say to you|say|mention)(?: that)?"
    r"|(?:did|have) i (?:tell|told|give|given|mention(?:ed)?)"
    r"(?: you| to you)?|do you (?:know|remember|happen to (?:know|remember|recall))"
    r"|(?:can|could) you (?:recall|remember)|recall|what facts do you have)"
    r"\s*(?:about|of|regarding|on)?\s*",
)
_RECALL_TAIL = re.compile(
    rf"(?:\s+again|\s+(?:did i tell you|have i told you|do you (?:remember|know))|{POLITE_TAIL})$"
)


# "what's my bike lock code", "who is my dentist": the thing asked about is all the query
_WHAT_IS = re.compile(
    r"^(?:what|who|when|where)(?:'s|s|\s+is|\s+was|\s+are|\s+were)\s+(?=(?:my|our|the)\b)"
)
# "(remind me) what my wifi password is", "(what did I tell you) the printer's ip was": the
# same, asked inside a sentence
_WHAT_IT_IS = re.compile(
    r"^(?:(?:what|who|when|where)\s+)?((?:my|our|the)\b.*?)\s+(?:is|was|are|were)$"
)


def recall_query(normalized: str) -> str:
    """What the user asks about themselves, without asking whether it is known ("do you
    remember …"), "again", or "what is" when a thing is named: "what was my bike lock code
    again" → "my bike lock code"; "where did I park" stays (the question is the query)."""
    query = _RECALL_LEAD.sub("", normalized).strip()
    while _RECALL_TAIL.search(query):
        query = _RECALL_TAIL.sub("", query)
    query = _WHAT_IS.sub("", query.strip())
    query = _WHAT_IT_IS.sub(r"\1", query)
    return query.strip() or normalized


_FORGET_LEAD = re.compile(
    rf"^{REQUEST_LEAD}"
    r"(?:forget(?:ting)?|delet(?:e|ing)|eras(?:e|ing)|remov(?:e|ing)|wip(?:e|ing)|clear(?:ing)?"
    r"|drop(?:ping)?|scrap|you (?:don't|do not|no longer) need to (?:remember|know|keep)"
    r"|i (?:don't|do not) want you (?:to )?(?:stor(?:e|ing)|keep(?:ing)?|remember(?:ing)?"
    r"|know(?:ing)?|sav(?:e|ing)))\s+"
    r"(?:about\s+|what (?:i (?:told|said to) you|i (?:said|told you|mentioned)|you know"
    r"|you remember|you have) about\s+"
    r"|the (?:fact|note|thing|bit|memory) (?:that|about|on|of)\s+)?",
)
_FORGET_ALL = re.compile(
    r"\b(?:everything|all (?:of )?(?:the |my |your )?(?:saved |stored |remembered |personal )?"
    r"(?:facts|memories|memory|data|notes|that|info|information|details|stuff|things)"
    r"|all you know"
    r"|all about me|whatever you know|your (?:whole |entire )?memory|every(?:thing| fact)"
    r"|all(?: the)? facts)\b"
)


def forget_slots(normalized: str) -> dict[str, object]:
    if _FORGET_ALL.search(normalized):
        return {"all": True}
    query = _FORGET_LEAD.sub("", normalized).strip()
    query = re.sub(r"^(?:that|about)\s+", "", query)
    query = re.sub(
        r"(?:\s+(?:now|please|for me|anymore|any more|forget it|forget that|delete it|thanks"
        r"|thank you|cheers))+$",
        "",
        query,
    )
    # "…, I've changed it": the reason is no part of what to forget
    query = re.sub(r"\s+(?:i've|i have|i'm|i am|because|since|as|it's|it is|cause)\b.*$", "", query)
    return {"query": query or normalized}


_APP_LEAD = re.compile(
    rf"^{REQUEST_LEAD}(?:(?:i want to|i'd like to|i need to|let's|let me)\s+)?"
    r"(?:open(?:ing)?|open up|launch(?:ing)?|start(?:ing)?|start up|run(?:ning)?|fir(?:e|ing) up"
    r"|bring(?:ing)? up|pull(?:ing)? up|load(?:ing)?|show)\s+"
    r"(?:up\s+)?(?:(?:the|my|a|an)\s+)?"
)
# "I need the text editor open", "get firefox going": the app named before the verb (after
# the lead; the intent's phrasing too)
APP_FIRST = (
    r"(?:i (?:need|want|'d like)|get|have|give me)\s+(?:the\s+|my\s+)?"
    r"(?P<app>[a-z0-9.+-]+(?:\s+[a-z0-9.+-]+)?)\s+(?:open|opened|up|running|going|started)\b"
)
_APP_FIRST = re.compile(rf"^{REQUEST_LEAD}{APP_FIRST}")
GENERIC_APP = re.compile(
    r"^(?:(?:an?|some|another|the)\s+)?(?:app|application|program|something)"
    r"(?:\s+(?:for me|please))?$"
)


def app_lead_removed(normalized: str) -> str:
    return _APP_LEAD.sub("", normalized).strip()


def app_name(normalized: str) -> str:
    """The application a launch names; '' for "open an app" (the skill asks which)."""
    first = _APP_FIRST.match(normalized)
    if first:
        return first.group("app")
    name = _app_words(normalized)
    if GENERIC_APP.match(name):
        return ""
    name = _APP_PURPOSE.sub("", name)
    name = _APP_TAIL.sub("", name)
    return name.strip()


def _app_words(said: str) -> str:
    """The words after the launch's lead, to the first comma: what follows is a reason or a
    request ("firefox, I need to check something" was the app "firefox,")."""
    return re.split(r"\s*,\s*", app_lead_removed(said), maxsplit=1)[0]


# what may follow the name ("firefox would you", "the text editor pls", "spotify for me now")
APP_TAIL = rf"(?:{POLITE_TAIL}|\s+(?:app|application|program|up))"
_APP_TAIL = re.compile(APP_TAIL + "+$")
# … and why ("thunderbird so I can check my email", "firefox and go to youtube", "spotify to
# play some jazz"; "to do" and "and" between two words of a name stay)
_APP_PURPOSE = re.compile(
    r"\s+(?:so\b|because\b|cause\b|since\b|as i\b|in order\b|i (?:want|need|wanna)\b"
    r"|and (?:then )?\S+\s+\S|to (?!do\b)\S+\s+\S).*$"
)


_DAY_OFFSET = {"tomorrow": 1, "yesterday": -1}


def day_offset(normalized: str) -> int:
    """ "what day is it tomorrow" → 1; today → 0."""
    for word, offset in _DAY_OFFSET.items():
        if re.search(rf"\b{word}\b", normalized):
            return offset
    return 0


_NOT_NOW = re.compile(
    r"\b(?:was|were|did|will|does)\b|\bwhen is\b|\b(?:time|date) (?:in|of|for|zone)\b(?! the\b)"
    r"|\b(?:time|date) (?:in|of) the (?!day\b)|\bmore time\b|\btime has\b|\btime to\b"
)


def about_another_moment(normalized: str) -> bool:
    """ "what day was the moon landing", "what time does the shop close": not the clock now."""
    return _NOT_NOW.search(normalized) is not None


# "timer 7", "a timer for 12 please": a bare number is minutes
_BARE_TIMER = re.compile(
    r"^(?:(?:set|start)\s+)?(?:a\s+)?(?:timer|countdown)\s+(?:for\s+)?(\d+(?:\.\d+)?)"
    + POLITE_TAIL
    + "*$"
)
# "the pasta needs 9 minutes", "my bread takes 40 minutes": what needs the time is the name
_NEEDS_TIME = re.compile(
    r"\b(?:the|my|our)\s+(?P<label>[a-z][a-z']*(?:\s+[a-z][a-z']*)?)\s+(?:needs?|takes?"
    r"|has to (?:cook|bake|rest|boil|go) for)\b"
)


def timer_slots(normalized: str) -> dict[str, object]:
    """``duration_s`` and ``label`` of a timer, those the message gives."""
    found: dict[str, object] = {}
    bare = _BARE_TIMER.match(normalized)
    duration = parse_duration(normalized) or (int(float(bare.group(1)) * 60) if bare else None)
    if duration is not None:
        found["duration_s"] = int(duration)
    needs = _NEEDS_TIME.search(normalized)
    needs_label = needs.group("label") if needs else None
    label = timer_label(normalized) or (needs_label if needs_label not in LABEL_STOP else None)
    if label:
        found["label"] = label
    return found


# --- the slot readers of the intents ----------------------------------------------------------

SlotReader = Callable[[str, str, datetime], "dict[str, Any] | None"]

_TIMER = re.compile(r"\b(?:timer|timers|countdown|count down|alarm)\b")
_REMIND = re.compile(rf"\b(?:remind|reminder|reminders|don't let me forget|{NUDGE})\b")
_WH_CLAUSE = re.compile(r"\bremind me (?:what|who|where|why|how|which|whether|if)\b")
_CALC_VERB = re.compile(r"^(?:please\s+)?(?:calculate|compute|evaluate|solve)\b")


def read_nothing(text: str, normalized: str, now: datetime) -> dict[str, Any] | None:
    return {}


def read_time(text: str, normalized: str, now: datetime) -> dict[str, Any] | None:
    return None if about_another_moment(normalized) else {}  # "what time does the shop close"


def read_date(text: str, normalized: str, now: datetime) -> dict[str, Any] | None:
    if about_another_moment(normalized):
        return None  # "what day was the moon landing"
    offset = day_offset(normalized)
    return {"offset_days": offset} if offset else {}


_STILL_LEFT = re.compile(r"\b(?:left|remaining|to go)\b")
_TIME_VERB = re.compile(r"\btime (?:the|my|a|an|this|these|those|how long)\b")


def read_timer(text: str, normalized: str, now: datetime) -> dict[str, Any] | None:
    found = timer_slots(normalized)
    said = _TIMER.search(normalized) or _TIME_VERB.search(normalized)  # "time the noodles"
    if "duration_s" not in found and (not said or _STILL_LEFT.search(normalized)):
        return None  # "how many minutes are left on the countdown" asks
    return found


_EVERY = re.compile(r"\b(?:all|every|each|everything)\b")


def read_timer_cancel(text: str, normalized: str, now: datetime) -> dict[str, Any] | None:
    if not _TIMER.search(normalized):
        return None
    if _EVERY.search(normalized):
        return {"all": True}  # "get rid of every timer"
    label = timer_label(normalized)
    return {"label": label} if label else {}


def names_a_moment(normalized: str) -> bool:
    """A clock time, a day or a delay is said ("at 5", "on friday", "in ten minutes")."""
    return bool(_CLOCK.search(normalized) or _DAY.search(normalized) or _relative_span(normalized))


def asks_to_be_told(normalized: str) -> bool:
    """ "remind me what my wifi password is", "remind me what we talked about": a question,
    no reminder (one with a moment is: "remind me at 5 what to buy")."""
    return bool(_WH_CLAUSE.search(normalized)) and not names_a_moment(normalized)


# said after the request, past its last comma: how the user feels ("…tomorrow at 8am, I'm so
# nervous"), why ("…, it's for the wedding", "…, we changed it", "…, because …"), or a tag
# ("…, did I tell you"): no part of a reminder's task nor of what is asked about or forgotten
_AFTERTHOUGHT = re.compile(
    r",\s*(?:(?:and|but)\s+)?(?:because|cause|cos|since|it's|it is|its|that's|this is|they're"
    r"|we|we've|we're|i've|i have|i'm|i am|im|i feel|did i tell you|have i told you"
    r"|do you (?:remember|know)|right|ok|okay)\b[^,]*$",
    re.IGNORECASE,
)


def without_afterthought(text: str, normalized: str) -> tuple[str, str]:
    """``text`` and ``normalized`` without what was said after the request (``_AFTERTHOUGHT``)."""
    aside = _AFTERTHOUGHT.search(text)
    if aside is None or not text[: aside.start()].strip():
        return text, normalized
    text = text[: aside.start()]
    return text, normalize(text)


def read_reminder(text: str, normalized: str, now: datetime) -> dict[str, Any] | None:
    text, normalized = without_afterthought(text, normalized)
    when, spans = parse_when(normalized, now)
    if when is None and (not _REMIND.search(normalized) or _WH_CLAUSE.search(normalized)):
        return None  # "remind me what we talked about" is a question
    task = reminder_text(text, normalized, spans)
    found: dict[str, Any] = {"text": task} if task else {}  # none said: the skill asks
    if when is not None:
        found["when"] = when.isoformat(timespec="seconds")
    return found


def read_calculation(text: str, normalized: str, now: datetime) -> dict[str, Any] | None:
    # a complete expression never gets here (the detector's rule takes it): only "calculate …"
    return {"expression": normalized} if _CALC_VERB.search(normalized) else None


# "remember when we went to that tiny cafe in Lisbon?": a shared memory brought up, not a fact
REMINISCED = r"(?:when|how|that time|the time|the day|the night)\s+(?:we|i|you|they|he|she|us)\b"
_REMINISCING = re.compile("^" + REMINISCED, re.IGNORECASE)


def read_fact(text: str, normalized: str, now: datetime) -> dict[str, Any] | None:
    fact = fact_text(text)
    return {"fact": fact} if fact and not _REMINISCING.match(fact) else None


def read_forget(text: str, normalized: str, now: datetime) -> dict[str, Any] | None:
    return forget_slots(without_afterthought(text, normalized)[1])


def read_app(text: str, normalized: str, now: datetime) -> dict[str, Any] | None:
    # from the raw words: the skill must see any path or shell characters to refuse them
    words = " ".join(text.lower().split()).rstrip(".!?,")
    app = app_name(words)
    if app:
        return {"app": app}
    return {} if GENERIC_APP.match(_app_words(words)) else None


# not "again" alone: "where do I work again" asks to be reminded ("start again" has "start")
_FRESH_START = re.compile(
    r"\b(?:new|fresh|over|afresh|anew|restart|reset|clear|wipe|scratch|another|"
    r"different|slate|begin|start)\b"
)


def starts_afresh(normalized: str) -> bool:
    """Words of a fresh start ("do you remember what we talked about last week" asks about the
    conversation, it starts none)."""
    return bool(_FRESH_START.search(normalized))


def read_new_conversation(text: str, normalized: str, now: datetime) -> dict[str, Any] | None:
    """Only a fresh start (``starts_afresh``)."""
    return {} if starts_afresh(normalized) else None


# "help me write a cover letter", "help me with my homework"; not "what can you help me with"
_HELP_WITH_TASK = re.compile(r"\bhelp (?:me |us )?with \w+|\bhelp (?:me|us) (?!with\b)\w+")


def read_help(text: str, normalized: str, now: datetime) -> dict[str, Any] | None:
    """What the assistant can do; not help with a task ("help me write a cover letter")."""
    return None if _HELP_WITH_TASK.search(normalized) else {}


_ABOUT_YOU = re.compile(r"\b(?:you|your|yours|yourself)\b")
_ABOUT_ME = re.compile(r"\b(?:my|me|i|mine|i'm|i've|myself|our|we)\b")


def read_recall(text: str, normalized: str, now: datetime) -> dict[str, Any] | None:
    query = recall_query(without_afterthought(text, normalized)[1])
    if _ABOUT_YOU.search(query) and not _ABOUT_ME.search(query):
        return None  # "do you remember your childhood" asks about the assistant
    return {"query": query}


_LEFT = re.compile(
    r"\b(?:left|remaining|long until|how long|how much time|much longer|still|status|check)\b"
)


# a status is asked ("whats the timer at", "is the bread timer nearly done"); "timer please" asks
# for one
_ASKING = re.compile(
    r"\b(?:what|what's|whats|how|when|is|are|has|have|does|do|will|till|until|nearly|almost"
    r"|done|ready|yet|any|going|running|active|on)\b"
)


def read_timer_status(text: str, normalized: str, now: datetime) -> dict[str, Any] | None:
    """How long is left; a duration with no asking ("let me know when twelve minutes are
    up") sets a timer instead, and so does a bare "timer please"."""
    if not _LEFT.search(normalized) and (
        parse_duration(normalized) is not None or not _ASKING.search(normalized)
    ):
        return None
    return {}
