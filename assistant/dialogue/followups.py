"""Reads a turn against the dialogue state, before the intent detector.

In this order:

1. A question waits ("For how long?"): the turn is read as its answer ("ten minutes", "tomorrow
   at 9", "to feed the cat", "the terminal", "yes"). "Never mind" declines it. A question of its
   own or a new command ("what time is it", "remind me at 5 to …") changes the subject: the
   question is dropped and the detector reads the turn.
2. "Undo that".
3. A reference to something made or touched earlier ("cancel it", "the second one", "make it
   fifteen", "no, 6 pm", "push it back 10 minutes", "how long is left on it"): the intent on
   that thing, with its row id in the ``ref`` slot. With nothing to refer to, the
   ``followup.nothing`` intent says so instead of guessing.

Anything else returns None: the detector decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assistant.dialogue.state import DialogueState, Question, Referent
from assistant.nlu import slots as slot_parsers
from assistant.nlu.base import Intent
from assistant.nlu.normalize import (
    CLAUSE_BREAK,
    REQUEST_LEAD,
    normalize,
    without_disfluencies,
)

UNDO = "undo"
DISMISS = "dismiss"
NOTHING = "followup.nothing"  # a reference with nothing to refer to
# the intents only this reader gives (a message on its own is never one of these)
OWN_INTENTS = (
    "timer.change",
    "reminder.change",
    "reminder.cancel",
    "reminder.status",
    UNDO,
    DISMISS,
    NOTHING,
)

_YES = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|ok|okay|confirm|confirmed|do it|go ahead|please do|"
    r"yes please|yes do it|that's right|correct|absolutely|definitely)(?: please)?$"
)
_NO = re.compile(r"^(?:no|nope|nah|don't|do not|cancel|keep (?:it|them|everything)|no thanks)$")
_DECLINE = re.compile(
    r"^(?:(?:oh|ah|actually|well|no|nah|nope|eh|sorry|wait|um+|uh+|hmm+|you know what|"
    r"on second thought),?\s+)*(?:never ?mind|forget it|forget about it|nothing|no thanks|"
    r"no thank you|cancel|"
    r"cancel that|don't bother|not now|skip it|leave it|drop it|nevermind|no need|it's fine|"
    r"don't worry(?: about it)?|no worries|"
    r"doesn't matter|it doesn't matter)(?:\s+(?:then|please|thanks|thank you|actually|anyway|"
    r"for now|after all|it's fine|i'll do it myself))*"
    # … and what the user will do instead ("forget it, I'll just keep an eye on it")
    r"(?:\s+(?:i'll|ill|i will|i can|i'm going to|i am going to|we'll|i'd rather)\b.*)?$"
)
# a question or a command of its own: the turn changes the subject
_NEW_REQUEST = re.compile(
    r"^(?:what|what's|whats|when|where|who|whose|why|how|which|is|are|am|can|could|would|will"
    r"|should|do|does|did|tell|remind|set|start|open|launch|cancel|stop|delete|remember"
    r"|forget|play|show|turn|give|let's(?! say\b)|calculate|please)\b"
)
# … but an answer to "what should I remind you about?" is a task in the imperative ("turn off
# the sprinkler", "call the bank"): only a question or a command of the assistant changes it
_NEW_REQUEST_NOT_TASK = re.compile(
    r"^(?:(?:actually|oh|wait|no|sorry|ok|okay|um+|uh+|so|and|well|hmm+|hey|please|by the way"
    r"|btw|anyway|just|instead)\s+)*(?:what|what's|whats|when|where|who|whose|why|how|which|is|are|am|can|could|would|will"
    r"|should|do|does|did|set (?:a|an|the|my) |start (?:a|an|the|my) |open|launch|remind me|"
    r"remember|forget|cancel|calculate|tell me)\b"
)
_CLOCK_OR_WHEN = re.compile(r"\b(?:at|in|on|by|tomorrow|tonight|today|am|pm|noon|midnight)\b")
_ANSWER_LEAD = re.compile(
    r"^(?:(?:oh|ah|well|hmm+|um+|uh+|er|erm|let's say|lets say|say|make it|how about|for|maybe"
    r"|like)\s+)+"
)
_TEXT_LEAD = re.compile(r"^(?:to|that|about|for)\s+")
# … and what is no task but the user saying how they are ("ugh, I can't think straight today"
# became the reminder): a sentence about themselves, unless it says what they need to do
_ABOUT_THEMSELVES = re.compile(
    r"^(?:(?:ugh|argh|meh|oh|ah|hmm+|well|man|god|gosh|honestly)\s+)*"
    r"(?:i|i'm|im|i've|i am|i was|i feel)\s+"
    rf"(?!(?:{slot_parsers.OWN_NEED_VERB}|will|would)\b)"
)

_UNDO = re.compile(
    r"^(?:(?:oh|no|actually|wait|oops|sorry|please)\s+)*(?:undo(?: (?:that|it|this|the))?"
    r"(?: (?:last|previous) (?:thing|change|one|bit))?|take (?:that|it) back|revert (?:that|it)"
    r"|put it back)"
    r"(?:\s+please)?$"
)
_LEAD = (
    r"^(?:(?:oh|ah|no|actually|wait|sorry|ok|okay|please|hmm|never ?mind|and|so|then)\s+)*"
    + REQUEST_LEAD
)
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "1st": 0, "2nd": 1, "3rd": 2}
_THING = (
    r"(?P<thing>it|that|this|that one|this one|the (?P<ord>first|second|third|fourth|1st|2nd|3rd"
    r"|last|other|new|latest) one|(?:the|that|this|my) (?:new |last |latest )?"
    r"(?P<kind>timer|reminder)|the (?P<named>[a-z]+) one)"
)
_CANCEL = re.compile(
    # not "stop it": that is the stop command (stop talking)
    _LEAD
    + r"(?:"
    + slot_parsers.CANCEL_VERB
    + r"|forget(?! it$))\s+"
    + _THING
    + r"(?:\s+(?:please|then|too|as well|now))*$"
)
_STATUS = (
    re.compile(
        _LEAD + r"how (?:long|much time|much longer|many minutes) (?:is |are )?(?:left|remaining)"
        r"(?: on " + _THING + r")?$"
    ),
    re.compile(
        _LEAD + r"(?:when (?:is|does)|what time is) " + _THING + r"(?: (?:go off|ring|due))?"
        r"(?: again)?$"
    ),
)
_SHIFT_LATER = re.compile(
    r"\b(?:push (?:it|that) back|move (?:it|that) back|delay (?:it|that)(?: by)?|postpone"
    r" (?:it|that)(?: by)?|add|give it|give me (?:\d+ )?(?:more|another|extra)|another|extra"
    r"|additional)\b|\b(?:later|more)$"
    r"|\b\d+(?:\.\d+)? (?:more|extra)\b|\bmore (?:minutes?|seconds?|hours?)\b"
    r"|\b(?:on|onto|to) (?:it|that|the timer|the reminder)$"
)
_SHIFT_EARLIER = re.compile(
    r"\b(?:bring (?:it|that) forward|move (?:it|that) forward|take|knock|shave)\b.*\boff\b"
    r"|\b(?:bring (?:it|that) forward|move (?:it|that) (?:forward|up))\b"
    r"|\b(?:earlier|less|sooner)$|\b(?:off|from) (?:it|that|the timer|the reminder)$"
)
# "throw another two minutes on it", "take five off that": a change said by where it goes
_SHIFT_REFERRED = re.compile(
    r"\b(?:on|onto|to|off|from) (?:it|that|this|the timer|the reminder|that one|this one)$"
)
_CLAUSE_BREAK = re.compile(CLAUSE_BREAK)
# the one a change is about, said anywhere in it ("take a minute off the first one", "add 3
# minutes to the pasta timer")
_THING_NAMED = re.compile(
    r"\bthe (?P<ord>first|second|third|fourth|1st|2nd|3rd|other|last) "
    r"(?:one|(?P<kind>timer|reminder))\b"
    r"|\bthe (?!(?:same|next|new|latest|whole|other|last|first|second|third)\b)"
    r"(?P<named>[a-z]+(?: [a-z]+)?) (?:one|timer)\b"
)
_CHANGE = re.compile(
    _LEAD + r"(?:make (?:it|that|the (?:[a-z]+ )?(?:one|timer|reminder))"
    r"|change (?:it|that|the (?:[a-z]+ )?(?:one|timer|reminder))(?: to)?"
    r"|set (?:it|that)(?: to| for)?"
    r"|move (?:it|that)(?: to)?|switch (?:it|that) to|i (?:meant|said)|i mean|let's do|"
    r"push (?:it|that) back|move (?:it|that) back|bring (?:it|that) forward|delay (?:it|that)"
    r"|postpone (?:it|that)|add|take|knock|shave|give it"
    r"|give me (?:\d+ )?(?:more|another|extra))\b"
)
_CORRECTION = re.compile(
    r"^(?:(?:oh|ah|um+|uh+|hmm+|no),?\s+)*(?:actually|no|sorry|oops|wait|i mean|i meant)\b"
)
# "wednesday, not tomorrow", "5 pm rather than 4": what it is no longer is no part of the change
_NOT_THAT = re.compile(
    r",?\s*\b(?:not|rather than|instead of)\s+(?:on\s+|at\s+)?(?:tomorrow|today|tonight|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|\d{1,2}(?::\d{2})?(?:\s*(?:am|pm))?)\b"
)
_BARE_NUMBER = re.compile(r"\b(\d+(?:\.\d+)?)\b")
# "and ten for the rolls", "plus another 5 minutes one for the sauce": one more timer like the
# one just set, its unit (minutes) taken as said
_ANOTHER_TIMER = re.compile(
    r"^(?:(?:and|plus|also|then|oh)\s+)+(?:(?:a|an|another|one)\s+)?(?:for\s+)?"
    r"(?P<amount>\d+(?:\.\d+)?(?:\s+" + slot_parsers.UNIT + r")?)(?:\s+(?:one|timer))?"
    r"(?:\s+for\s+(?:the\s+|my\s+)?(?P<label>[a-z][a-z']*(?:\s+[a-z][a-z']*)?))?$"
)


@dataclass(frozen=True)
class FollowUpReader:
    """Turns a message into an intent on the dialogue state, or None for the detector."""

    def read(self, text: str, state: DialogueState, now: datetime) -> Intent | None:
        normalized = normalize(text).strip()
        if not normalized:
            return None
        if state.question is not None:
            answer = self._answer(normalized, text, state.question, now)
            if answer is not None:
                return answer
        found = self._undo_or_reference(normalized, state, now)
        if found is None:  # … said after a sentence of its own ("oh he just texted, cancel it")
            clauses = _CLAUSE_BREAK.split(text.strip(" .!?"))
            last = normalize(clauses[-1]).strip() if len(clauses) > 1 else ""
            found = self._undo_or_reference(last, state, now) if last else None
        return found

    def _undo_or_reference(
        self, normalized: str, state: DialogueState, now: datetime
    ) -> Intent | None:
        if _UNDO.match(normalized):
            return Intent(UNDO, 1.0)
        return self._reference(normalized, state, now)

    # --- answers to the question asked ----------------------------------------------------

    def _answer(
        self, normalized: str, text: str, question: Question, now: datetime
    ) -> Intent | None:
        slots = dict(question.slots)
        if question.slot == "confirm":
            if _YES.match(normalized):
                return Intent(question.intent, 1.0, {**slots, "confirm": True})
            if _NO.match(normalized):
                return Intent(question.intent, 1.0, {**slots, "confirm": False})
            return None
        if _DECLINE.match(normalized):
            return Intent(DISMISS, 1.0)
        new_request = _NEW_REQUEST_NOT_TASK if question.slot == "text" else _NEW_REQUEST
        if new_request.match(normalized):
            return None
        value = _ANSWER_LEAD.sub("", normalized).strip()
        if question.slot in ("duration_s", "when"):
            value = without_disfluencies(value)  # "8 minutes no wait 9"
        if question.slot == "duration_s":
            seconds = slot_parsers.parse_duration(value) or _bare_minutes(value)
            if seconds is None:
                return None
            label = slot_parsers.timer_label(value)
            if label and "label" not in slots:
                slots["label"] = label
            return Intent(question.intent, 1.0, {**slots, "duration_s": int(seconds)})
        if question.slot == "when":
            when, _ = slot_parsers.parse_when(value, now)
            if when is None:
                return None
            return Intent(question.intent, 1.0, {**slots, "when": _iso(when)})
        if question.slot == "text":
            if _ABOUT_THEMSELVES.match(value):
                return None
            when, spans = slot_parsers.parse_when(value, now)
            reminder = slot_parsers.remove_spans(value, spans) if spans else value
            reminder = slot_parsers.without_own_need(_TEXT_LEAD.sub("", reminder).strip(" ,."))
            if not reminder:
                return None
            # the user's words, not the normalised ones ("call Anna", not "call anna")
            original = _original_words(text, reminder)
            found: dict[str, Any] = {**slots, "text": original}
            if when is not None:
                found["when"] = _iso(when)
            return Intent(question.intent, 1.0, found)
        if question.slot == "app":
            app = slot_parsers.app_name(f"open {value}") or value
            return Intent(question.intent, 1.0, {**slots, "app": app})
        return None

    # --- references to what was made or touched --------------------------------------------

    def _reference(self, normalized: str, state: DialogueState, now: datetime) -> Intent | None:
        another = _ANOTHER_TIMER.match(normalized)
        made = state.last("timer", "reminder")
        if another and made is not None and made.kind == "timer":
            amount = another.group("amount")
            seconds = slot_parsers.parse_duration(amount) or _bare_minutes(amount)
            if seconds is not None:
                slots: dict[str, Any] = {"duration_s": int(seconds)}
                if another.group("label"):
                    slots["label"] = another.group("label")
                return Intent("timer.set", 1.0, slots)
        cancel = _CANCEL.match(normalized)
        if cancel and cancel.group("named"):
            latest = state.last("timer")  # "cancel the tea one": a timer by its name
            return Intent("timer.cancel", 1.0, {"label": cancel.group("named")}) if latest else None
        if cancel:
            referent = _pick(state, cancel)
            if referent is None:
                kind = cancel.group("kind")
                if kind == "reminder":
                    return Intent("reminder.cancel", 1.0)
                if kind == "timer":
                    return None  # "cancel the timer": the detector's timer.cancel
                return Intent(NOTHING, 1.0, {"verb": "cancel"})
            if referent.kind == "fact":
                return Intent("memory.forget", 1.0, {"ref": referent.id})
            return Intent(f"{referent.kind}.cancel", 1.0, {"ref": referent.id})
        status = _STATUS[0].match(normalized) or _STATUS[1].match(normalized)
        if status:
            referent = _pick(state, status, kinds=("timer", "reminder"))
            if referent is None:
                return None  # "how long is left": the detector's timer.status
            return Intent(f"{referent.kind}.status", 1.0, {"ref": referent.id})
        if (
            _CHANGE.match(normalized)
            or _CORRECTION.match(normalized)
            or _SHIFT_REFERRED.search(normalized)
        ):
            return self._change(normalized, state, now)
        return None

    def _change(self, normalized: str, state: DialogueState, now: datetime) -> Intent | None:
        referent = state.last("timer", "reminder")
        label = ""
        thing = _THING_NAMED.search(normalized)  # "the second one", "the pasta timer"
        if thing is not None:
            if thing.group("named"):
                label = thing.group("named")
            else:
                referent = _pick(state, thing, kinds=("timer", "reminder"))
            normalized = f"{normalized[: thing.start()]} {normalized[thing.end() :]}"
        normalized = _NOT_THAT.sub("", normalized).strip()
        later = bool(_SHIFT_LATER.search(normalized))
        earlier = bool(_SHIFT_EARLIER.search(normalized))
        duration = slot_parsers.parse_duration(normalized)
        when, _ = slot_parsers.parse_when(normalized, now)
        number = _BARE_NUMBER.search(normalized)
        if duration is None and when is None and number is None:
            return None  # "no, that's wrong": nothing to change it to
        slots: dict[str, Any]
        if label:  # a timer by its name: the skill finds it among those running
            kind, slots = "timer", {"label": label}
        elif referent is not None:
            kind, slots = referent.kind, {"ref": referent.id}
        elif _CHANGE.match(normalized):
            return Intent(NOTHING, 1.0, {"verb": "change"})
        else:
            return None  # "no, 6 pm" with nothing to correct: the detector reads it
        if later or earlier:
            if duration is None and number is not None:
                duration = int(float(number.group(1)) * 60)
            if duration is None:
                return None
            slots["delta_s"] = int(duration) * (-1 if earlier else 1)
        elif kind == "timer":
            seconds = duration or (_bare_minutes(number.group(1)) if number else None)
            if seconds is None:
                return None
            slots["duration_s"] = int(seconds)
        elif when is not None and slot_parsers.only_a_day(normalized):
            slots["day"] = when.date().isoformat()  # "make that tomorrow": the time stays
        elif when is not None and (_CLOCK_OR_WHEN.search(normalized) or duration is None):
            slots["when"] = _iso(when)
        elif duration is not None:
            slots["after_s"] = int(duration)  # "make it 30 minutes": from when it was set
        elif number is not None:
            slots["number"] = float(number.group(1))  # "make it 6" / "make it 30": the skill
        else:
            return None
        return Intent(f"{kind}.change", 1.0, slots)


_ANY_KIND = ("timer", "reminder", "fact")


def _pick(
    state: DialogueState, match: re.Match[str], kinds: tuple[str, ...] = _ANY_KIND
) -> Referent | None:
    """The referent a phrase means: "it" the latest, "the second one" the second of its kind."""
    groups = match.groupdict()
    kind = groups.get("kind")
    wanted = tuple(k for k in kinds if kind is None or k == kind)
    latest = state.last(*wanted)  # type: ignore[arg-type]
    ordinal = groups.get("ord")
    if latest is None or ordinal in (None, "last", "new", "latest"):
        return latest
    same = state.of_kind(latest.kind)
    if ordinal == "other":
        others = [r for r in same if r.id != latest.id]
        return others[-1] if others else None
    index = _ORDINALS.get(ordinal or "", -1)
    if 0 <= index < len(same):
        return same[index]
    everything = [r for r in state.referents if r.kind in wanted]  # "the second one" of all
    return everything[index] if 0 <= index < len(everything) else None


def _bare_minutes(value: str) -> int | None:
    """An answer of a bare number to "for how long?" means minutes ("15")."""
    match = re.fullmatch(r"(?:for\s+)?(\d+(?:\.\d+)?)(?:\s+please)?", value.strip())
    if match is None:
        return None
    minutes = float(match.group(1))
    return int(minutes * 60) if 0 < minutes <= 24 * 60 else None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _original_words(text: str, normalized_part: str) -> str:
    """``normalized_part`` in the user's own spelling when it appears there (case kept)."""
    found = re.search(re.escape(normalized_part), text, flags=re.IGNORECASE)
    return found.group(0) if found else normalized_part
