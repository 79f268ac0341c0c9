"""The intent detector of the app: the embedding detector for clear messages, the language
model's structured parse when it is unsure (see ``Assessment.unsure``).

A command said in its own phrasing ("remind me …", "I need a timer") stands unless the parse
names another command that holds. When the two name the same intent, the detector's answer
stands (with what only the parse
found). A parse of another intent that does not hold (a calculation with numbers the message
never gave, or one the parse gave up on at its name) means neither is sure: the message is
chat, and the language model answers it. A
valid one is taken unless the nearest examples rule it out ("where did I park" is no new
conversation), and then the detector's answer stands. With no parse at all (no structured
output, a failure), the detector's answer stands."""

from __future__ import annotations

from datetime import datetime

from assistant.nlu.base import CHAT, Intent, OnUnsure
from assistant.nlu.detector import EmbeddingIntentDetector
from assistant.nlu.normalize import as_meant
from assistant.nlu.parse import LlmIntentParser, ParseStats


class SecondOpinionDetector:
    def __init__(self, detector: EmbeddingIntentDetector, parser: LlmIntentParser | None) -> None:
        self.detector = detector
        self.parser = parser

    def load(self) -> None:
        self.detector.load()

    def warm_parse(self) -> None:
        """Run the parse's instructions and examples into the model's prompt cache (~600
        tokens: ~14 s on a 2-core CPU), so the first unsure message does not pay for them."""
        if self.parser is not None and self.parser.available:
            self.parser.parse("hello")
            self.parser.stats = ParseStats()

    def detect(
        self, text: str, now: datetime | None = None, *, on_unsure: OnUnsure | None = None
    ) -> Intent:
        text = as_meant(text)  # the parse reads what the speaker meant too
        assessment = self.detector.assess(text, now)
        if self.parser is None or not self.parser.available or not assessment.unsure():
            return assessment.intent
        if on_unsure is not None:
            on_unsure(assessment.intent)
        give_up: list[str] = []
        if not assessment.intent.is_command:
            # leaning to chat, a parse of an intent the nearest examples rule out ends as chat
            # whatever its fields: the model stops at its name (a card list read as a fact to
            # forget wrote the whole list out: 4 s on two cores, while the reply waited)
            give_up = [n for n in self.parser.intents if n != CHAT and not assessment.agrees(n)]
            if not self.parser.could_hold(text) - set(give_up):
                # every command the parse could name ends as chat: no parse ("7 of clubs"
                # waited 0.9 s on two cores for a parse that could only give up)
                return assessment.intent
        result = self.parser.parse(text, now, give_up, expected=assessment.intent.name)
        if result.named is None:
            return assessment.intent
        if result.named == assessment.intent.name:
            if result.intent is None:
                return assessment.intent
            # the same intent: the detector's slots (the parse's when the detector found none:
            # "cancel them all"), and the parse's copy where it is the precise part of the
            # detector's ("firefox" of "can you get firefox going")
            slots = dict(assessment.intent.slots or result.intent.slots)
            mine, theirs = assessment.intent.slots.get("app"), result.intent.slots.get("app")
            if isinstance(mine, str) and isinstance(theirs, str) and theirs.lower() in mine:
                slots["app"] = theirs
            return Intent(assessment.intent.name, assessment.intent.confidence, slots)
        if assessment.phrased and (result.intent is None or not result.intent.is_command):
            # said in the command's own phrasing ("I need a timer", "can you remember I
            # parked on level 3"): only another command that holds changes it
            return assessment.intent
        if result.intent is None:
            return Intent(CHAT, 0.5)  # they disagree and the parse does not hold: do not act
        if not assessment.agrees(result.intent.name):
            return assessment.intent  # the nearest examples rule the parse out: it is noise
        return result.intent
