"""Intent detection: nearest exemplars in MiniLM space, an out-of-scope threshold, slot checks.

Chosen by measurement on tests/data/intents.jsonl (``assistant bench intents``).

1. The message is normalised (lower case, digits, typos, shorthand, fillers, the assistant's
   name dropped). A complete arithmetic expression is ``calculate``, a bare "stop" is ``stop``;
   questions about words ("what does … mean") are chat.
2. The message is embedded; each intent scores the mean cosine similarity of its ``TOP_K``
   nearest exemplars (``exemplars.py``, which include chat that mentions command words).
3. A command phrasing ("remind me …", "remember that …", "open X") needs only a loose
   agreement of the embedding; otherwise the best command must reach ``threshold`` (or
   ``cue_threshold`` when its cue words are present) and beat chat by ``margin``.
4. Slots are extracted with precise patterns (each intent's reader, declared in ``intents.py``)
   and confirm or veto the choice: a "calculation" with no expression, a timer with neither a
   duration nor the word timer, a reminder with neither a time nor the word remind, time/date
   questions about another moment or place, an app launch that names no app are chat.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from assistant.errors import AssistantError
from assistant.nlu.base import CHAT, Intent, OnUnsure
from assistant.nlu.calculator import evaluate, to_expression
from assistant.nlu.embeddings import Embedder, encode_cached
from assistant.nlu.intents import BY_NAME, LEAD, MESSAGE_INTENTS
from assistant.nlu.normalize import CLAUSE_BREAK, as_meant, normalize, sentences
from assistant.nlu.slots import UNIT

DEFAULT_THRESHOLD = 0.58  # a command needs this similarity …
CUE_THRESHOLD = 0.45  # … or this much when its cue words are present,
MARGIN = 0.06  # and must beat the nearest chat exemplars by this much
TOP_K = 2
UNSURE_COMMAND_LEAD = 0.2  # a command that beats chat by less than this is in doubt …
UNSURE_CAREFUL_LEAD = 0.35  # (facts and timer cancels: this)
UNSURE_CHAT_TOP = 0.3  # … and so is chat when a command is this close
UNSURE_CHAT_GAP = 0.1  # and trails chat by less than this
# a last clause with no phrasing rule of its own is read as the command when it beats chat by
# this much on its own ("…, what can you do", "… whats the date")
CLEAR_CLAUSE_LEAD = 0.4
PARSE_AGREE_MIN = 0.3  # a parse's intent needs this much similarity …
PARSE_AGREE_SLACK = 0.25  # … and at most this much below the best command

# Words that make an intent likely, and phrasings that are commands whatever they talk about:
# declared with each intent in ``intents.py``.
_CUES: dict[str, re.Pattern[str]] = {s.name: re.compile(s.cue) for s in MESSAGE_INTENTS if s.cue}
STRONG_MIN = 0.3  # the embedding only has to agree loosely with a command's phrasing
STRONG_SLACK = 0.1
_STRONG: dict[str, re.Pattern[str]] = {
    s.name: re.compile(LEAD + s.phrasing) for s in MESSAGE_INTENTS if s.phrasing
}
_ABOUT_WORDS = re.compile(
    r"\b(?:mean|meaning|means|definition|define|synonym|spell|spelled|pronounce|translate)\b"
    r"|\bthe word\b|\bin (?:spanish|french|german|italian|japanese|chinese)\b"
)
_QUESTION = re.compile(
    r"^(?:when|what|what's|where|who|whose|which|how|do you|did i|tell me)\b"
    r"|^remind me (?:what|who|where|when|which|how)\b"
)
# an exclamation, never a request: "What a grey day it is today." (was the date), "what a
# week, huh" (a tag after it is still the exclamation)
_EXCLAIMED = re.compile(
    r"^(?:(?:oh|wow|gosh|man|god|boy|ah|ugh)[,!]*\s+)*what an?\s+[^,.!?]*"
    r"(?:[,.!?]+\s*(?:isn['’]t it|wasn['’]t it|hasn['’]t it|huh|eh|right|innit|ha+)?)*$"
)
# a question about how units of time convert, never a timer ("how many minutes are in 3 hours"
# was a three-hour timer)
_TIME_SPAN = rf"(?:{UNIT}|days?\b|weeks?\b|years?\b)"
_UNITS_IN_UNITS = re.compile(
    rf"\bhow many {_TIME_SPAN} (?:are |is )?(?:there )?(?:in|is|make|makes|equals?) "
    rf"(?:an? |one |[\w.]+ and a half |[\d.]+ )?{_TIME_SPAN}"
)
# … or when something happens, not what time it is now ("what time do you usually go to bed";
# "what time do you have" and "what time do you make it" do ask the time, "what time did I set
# the reminder for" asks about a reminder)
_WHEN_SOMETHING_HAPPENS = re.compile(
    r"^what time (?:do|does|did|will|would|should|can|could) (?:you|i|we|they|he|she|people)"
    r" (?!(?:have|got|make it|reckon)\b)(?!.*\b(?:timers?|reminders?|alarms?)\b)\w+"
)
_FORGET_VERB = re.compile(
    r"^(?:(?:please|can you|could you)\s+)?(?:forget|erase|delete|wipe|"
    r"remove|clear)\b"
)

# … a stop said with feeling: "oh my god shut up", "shush", "shut up aria, you're doing my
# head in" (the name it is called by and a complaint after it are no part of the command)
_STOP_EXACT = (
    r"^(?:(?:ok|okay|hey|please|just|now|oh|oh my god|omg|god|ugh|jeez|come on|seriously"
    r"|for god's sake|would you|will you|can you)\s+)*(?:stop|stop it|stop talking|stop speaking|"
    r"be quiet|quiet|shut up|silence|enough|that's enough|hush|shush|shh+|pause)"
    r"(?:\s+(?:please|now|thanks|thank you|already))*(?:\s+(?:{called}))?"
    r"(?:\s+you(?:'re| are)\s.*)?$"
)


# where a message's clauses part, or a reason before the command ("I need to write something
# down so open the editor")
_CLAUSE_BREAK = re.compile(
    CLAUSE_BREAK + r"|\s+(?:and )?(?:so|then)\s+(?=(?:(?:please|just|can you|could you)\s+)*"
    r"(?:open|launch|start|set|remind|remember|forget|cancel|stop|note|save|tell me)\b)",
    re.IGNORECASE,
)
# … or where a question starts ("oh no im locked out of the shed whats my shed combination")
# ("when I was a kid" is no question: a question word with its verb)
_ASKING = re.compile(
    r"\b(?:what'?s|where'?s|when'?s|who'?s|(?:what|where|when|who|how)\s+(?:is|are|was|were"
    r"|time|long|much|many)|(?:what|where|when) did i)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Assessment:
    """The detector's answer, the best command's similarity and its lead over chat (for a
    command: the chosen one's); ``by_rule`` when an exact rule decided (an arithmetic
    expression, a bare "stop"), which is never in doubt."""

    intent: Intent
    top_command: float = 0.0
    lead: float = 0.0
    by_rule: bool = True
    scores: dict[str, float] = field(default_factory=dict)  # per intent
    phrased: bool = False  # the message is in the chosen command's own phrasing

    def agrees(self, name: str) -> bool:
        """The nearest examples do not rule ``name`` out: a second opinion for an intent they
        put far below the best command ("where did I park" is no new conversation) is not
        taken."""
        if name == CHAT or not self.scores:
            return True
        score = self.scores.get(name, 0.0)
        return score >= PARSE_AGREE_MIN and score >= self.top_command - PARSE_AGREE_SLACK

    def unsure(self) -> bool:
        """Close enough to a command, or too close to chat, to ask for a second opinion
        (chosen on the labelled and the fresh sets; see the README for how often)."""
        if self.by_rule:
            return False
        if self.intent.is_command:
            # storing, finding and deleting facts (and timers) is worth a closer look
            careful = self.intent.name.startswith("memory.") or self.intent.name == "timer.cancel"
            return self.lead < (UNSURE_CAREFUL_LEAD if careful else UNSURE_COMMAND_LEAD)
        return self.top_command >= UNSURE_CHAT_TOP and self.lead >= -UNSURE_CHAT_GAP


class EmbeddingIntentDetector:
    """Nearest-exemplar intent classifier; the embedder loads on first use."""

    def __init__(
        self,
        embedder: Embedder,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        cue_threshold: float = CUE_THRESHOLD,
        margin: float = MARGIN,
        exemplars: dict[str, tuple[str, ...]] | None = None,
        clock: Callable[[], datetime] = datetime.now,
        names: tuple[str, ...] = ("assistant", "computer"),
    ) -> None:
        self._embedder = embedder
        self.threshold = threshold
        self.cue_threshold = cue_threshold
        self.margin = margin
        self._exemplars = exemplars or {s.name: s.exemplars for s in MESSAGE_INTENTS}
        self._clock = clock
        # "hey Aria, stop": the name the user calls the assistant by is not part of the request
        called = "|".join(re.escape(n.lower()) for n in names if n.strip())
        self._address = re.compile(
            rf"^(?:(?:hey|hi|ok|okay|yo)\s+)*(?:{called})\b\s*" if called else r"^(?!)"
        )
        self._stop_exact = re.compile(_STOP_EXACT.format(called=called or "(?!)"))
        # … and in the user's own words ("Hey Aria, remember that …"), for the slot readers
        self._address_raw = re.compile(
            rf"^\W*(?:(?:hey|hi|ok|okay|yo)\W+)*(?:{called})\b[\s,:;!.]*" if called else r"^(?!)",
            re.IGNORECASE,
        )
        self._lock = threading.Lock()
        self._matrix: np.ndarray | None = None
        self._labels: list[str] = []

    def load(self) -> None:
        """Embed the exemplars (once)."""
        with self._lock:
            if self._matrix is not None:
                return
            labels, texts = [], []
            for name, examples in self._exemplars.items():
                for example in examples:
                    labels.append(name)
                    texts.append(example)
            self._matrix = encode_cached(self._embedder, texts)
            self._labels = labels

    def scores(self, normalized: str) -> dict[str, float]:
        """Per intent, the mean similarity of its TOP_K nearest exemplars."""
        self.load()
        assert self._matrix is not None
        sims = self._matrix @ self._embedder.encode([normalized])[0]
        per: dict[str, list[float]] = {}
        for label, sim in zip(self._labels, sims.tolist(), strict=True):
            per.setdefault(label, []).append(sim)
        return {name: float(np.mean(sorted(v, reverse=True)[:TOP_K])) for name, v in per.items()}

    def detect(
        self, text: str, now: datetime | None = None, *, on_unsure: OnUnsure | None = None
    ) -> Intent:
        """The nearest examples' answer (never a second opinion: ``on_unsure`` is not called)."""
        return self.assess(text, now).intent

    def assess(self, text: str, now: datetime | None = None) -> Assessment:
        """The intent, and how sure the nearest examples are of it."""
        text = as_meant(text)
        normalized = self._address.sub("", normalize(text)).strip()
        text = self._address_raw.sub("", text).strip() or text
        if not normalized:
            return Assessment(Intent(CHAT, 1.0))
        if (
            _EXCLAIMED.match(text.lower())
            or _ABOUT_WORDS.search(normalized)
            or _UNITS_IN_UNITS.search(normalized)
            or _WHEN_SOMETHING_HAPPENS.search(normalized)
        ):
            # "what a day" exclaims, "what does the word repeat mean" talks about words, "how
            # many minutes are in 3 hours" about units, "what time do you go to bed" a habit
            return Assessment(Intent(CHAT, 0.9))
        expression = to_expression(normalized)
        if expression is not None:
            return Assessment(Intent("calculate", 0.99, _calculation(expression)))
        if self._stop_exact.match(normalized):
            return Assessment(Intent("stop", 0.99))
        scores = self.scores(normalized)
        top_command = max(v for k, v in scores.items() if k != CHAT)
        intent = self._choose(scores, text, normalized, now)
        lead = top_command - scores[CHAT]
        phrasing = _STRONG.get(intent.name)
        if intent.is_command:
            lead = scores[intent.name] - scores[CHAT]
        phrased = phrasing is not None and phrasing.search(normalized) is not None
        words = any(isinstance(v, str) for v in intent.slots.values())
        if words:  # read from the one sentence that says the command, when others surround it
            intent = self._from_own_sentence(text, intent, now) or intent
        found = Assessment(intent, top_command, lead, False, scores, phrased)
        settled = intent.is_command and not (words or found.unsure())
        if settled and (found.phrased or not _CLAUSE_BREAK.search(text)):
            return found  # sure, with nothing to narrow and no other clause to be it
        last = self._last_clause(text, now)
        if last is None:
            return found
        if not intent.is_command:
            return last
        if last.intent.name != intent.name:
            # a command in its own phrasing after a sentence that swayed the whole ("ugh I'm
            # so annoyed with myself, just set a timer for two minutes")
            return last if last.phrased and not found.phrased else found
        # the same command, surer and losing none of its slots ("wait really is it march
        # already whats the date"), or in fewer of the message's words ("… where did I park")
        surer = (found.unsure() or last.phrased) and last.intent.slots.keys() >= intent.slots.keys()
        return last if surer or _narrower(last.intent, intent) else found

    def _from_own_sentence(self, text: str, intent: Intent, now: datetime | None) -> Intent | None:
        """The command's slots read from the only sentence of the message that has its cue or
        phrasing ("Meeting in a bit. Timer for 8 min please.", "remind me at 6pm to water the
        plants pls. i always forget"), when that keeps every slot but the words."""
        said_in = sentences(text)
        spec = BY_NAME.get(intent.name)
        said = [p for p in (_CUES.get(intent.name), _STRONG.get(intent.name)) if p is not None]
        if len(said_in) < 2 or spec is None or not said:
            return None
        own = [s for s in said_in if any(p.search(normalize(s)) for p in said)]
        if len(own) != 1:
            return None
        slots = spec.slots(own[0], normalize(own[0]), now or self._clock())
        if slots is None or slots == intent.slots:
            return None
        kept = all(
            isinstance(value, str) or slots.get(key) == value for key, value in intent.slots.items()
        )
        return Intent(intent.name, intent.confidence, slots) if kept else None

    def _last_clause(self, text: str, now: datetime | None) -> Assessment | None:
        """A command said after a sentence of its own ("oh no I can't find the car, where did
        I park", "yay I got the job!! remember that my id is …"): the last clause, when it is
        a command by a rule, in the command's own phrasing, or clearly above chat on its own."""
        clauses = [c for c in _CLAUSE_BREAK.split(text.strip(" .!?")) if c.strip()]
        if len(clauses) < 2:  # unpunctuated, as a recogniser may write it: the last question
            asked = [
                m.start() for m in _ASKING.finditer(text) if len(text[: m.start()].split()) > 2
            ]
            if not asked:
                return None
            clauses = [text[: asked[-1]], text[asked[-1] :]]
        last = self.assess(clauses[-1], now)
        if not last.intent.is_command:
            return None
        return last if last.by_rule or last.phrased or last.lead >= CLEAR_CLAUSE_LEAD else None

    def _choose(
        self, scores: dict[str, float], text: str, normalized: str, now: datetime | None
    ) -> Intent:
        chat = scores[CHAT]
        strong = [name for name, pattern in _STRONG.items() if pattern.search(normalized)]
        top_name, top_command = max(
            ((k, v) for k, v in scores.items() if k != CHAT), key=lambda kv: kv[1]
        )
        top_cue = _CUES.get(top_name)
        if top_cue is not None and top_cue.search(normalized):
            # a clearly closer command with its own cue words wins over the phrasing rule
            strong = [n for n in strong if scores[n] >= top_command - STRONG_SLACK * 1.5]
        if strong:
            best = max(strong, key=lambda name: scores[name])
            score = scores[best]
            # asking about or telling facts about oneself: the phrasing says it all, the
            # embedding mostly sees the topic ("my gym is open until 10 pm")
            memory = best in ("memory.recall", "memory.remember", "memory.forget")
            slack = STRONG_SLACK * 2 if memory else STRONG_SLACK
            floor = STRONG_MIN - 0.2 if memory else STRONG_MIN
            accepted = score >= floor and score >= chat - slack
        else:
            best, score = max(
                ((k, v) for k, v in scores.items() if k != CHAT), key=lambda kv: kv[1]
            )
            best = _disambiguate(best, normalized)
            cue = _CUES.get(best)
            has_cue = cue is not None and cue.search(normalized) is not None
            needed = self.cue_threshold if has_cue else self.threshold
            accepted = score >= needed and score - chat >= self.margin
        if not accepted:
            return Intent(CHAT, _confidence(chat - score))
        moment = now or self._clock()
        spec = BY_NAME.get(best)
        intent_slots = spec.slots(text, normalized, moment) if spec else {}
        if intent_slots is None:
            # its reader rules it out ("remind me what my son's shoe size is" asks): the next
            # command, when it is as clearly above chat and its reader takes the message
            runner = self._runner_up(scores, best, normalized)
            spec = BY_NAME.get(runner or "")
            found = spec.slots(text, normalized, moment) if spec else None
            if runner is None or found is None:
                return Intent(CHAT, _confidence(chat - score))
            best, score, intent_slots = runner, scores[runner], found
        return Intent(best, _confidence(score - chat), intent_slots)

    def _runner_up(self, scores: dict[str, float], best: str, normalized: str) -> str | None:
        """The next command, when its own cue words or phrasing are in the message and it
        clears the cue threshold and chat (closeness alone brought "what time does the
        supermarket close" to the timers)."""
        others = [(k, v) for k, v in scores.items() if k not in (CHAT, best)]
        if not others:
            return None
        name, score = max(others, key=lambda kv: kv[1])
        name = _disambiguate(name, normalized)  # "remind me what my wifi password is" asks
        said = [p for p in (_CUES.get(name), _STRONG.get(name)) if p is not None]
        if not any(p.search(normalized) for p in said):
            return None
        clear = score >= self.cue_threshold and score - scores[CHAT] >= self.margin
        return name if clear else None


def _narrower(part: Intent, whole: Intent) -> bool:
    """The same command, its words copied from a part of the whole's ("where did I park" of
    "oh no I can't find the car where did I park"): the part's are the precise ones."""
    if part.name != whole.name or part.slots.keys() != whole.slots.keys() or not part.slots:
        return False
    return all(
        isinstance(value, str) and value != whole.slots[key] and value in str(whole.slots[key])
        for key, value in part.slots.items()
    )


def _confidence(lead: float) -> float:
    """How clearly the choice beat the alternative (command vs chat), mapped to 0.01-0.99."""
    return round(min(0.99, max(0.01, 0.5 + lead)), 4)


def _disambiguate(best: str, normalized: str) -> str:
    """Within the memory family the verb decides: forget …, remember …, or a question."""
    if not best.startswith("memory."):
        return best
    if _FORGET_VERB.search(normalized):
        return "memory.forget"
    if best == "memory.remember" and _QUESTION.search(normalized):
        return "memory.recall"
    return best


def _calculation(expression: str) -> dict[str, Any]:
    try:
        return {"expression": expression, "result": evaluate(expression)}
    except AssistantError as err:  # the skill explains it (division by zero, too big …)
        return {"expression": expression, "error": str(err)}
