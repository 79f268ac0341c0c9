"""`memory.remember`, `memory.recall`, `memory.forget`, and the fact selector for the prompt.

Facts are stored with their MiniLM embedding; recall and forget pick the closest fact, and
``EmbeddingFactSelector`` hands the most relevant facts to the language model's system prompt.
Forgetting everything asks first: the next "yes" confirms (``ConfirmationDetector``).
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime

import numpy as np

from assistant.memory.store import Fact, MemoryStore
from assistant.nlu.base import Intent, IntentDetector
from assistant.nlu.embeddings import Embedder, from_blob, to_blob
from assistant.skills.base import ASK_LLM, SkillContext, SkillReply
from assistant.skills.reminders import second_person

RECALL_MIN_SIMILARITY = 0.35
FORGET_MIN_SIMILARITY = 0.45
CONFIRM_WINDOW_S = 60.0
_ABOUT_ME = re.compile(r"^(?:me|myself|about me|everything|anything|you know|all)?$")
_YES = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|ok|okay|confirm|do it|go ahead|please do|"
    r"yes please|absolutely|correct)\b"
)
_NO = re.compile(r"^(?:no|nope|nah|cancel|don't|do not|stop|never mind|keep)\b")


_THIRD_PERSON = (
    (r"\bthe user's\b", "my"),
    (r"\bthe user is\b", "I am"),
    (r"\bthe user has\b", "I have"),
    (r"\bthe user (\w+?)s\b", r"I \1"),
    (r"\bthe user\b", "I"),
)


def first_person(fact: str) -> str:
    """Facts noted from chat are in the third person ("The user lives in Lyon."); questions are
    in the first person ("where do I live"): compare them in the first person."""
    text = fact.strip().rstrip(".")
    for pattern, replacement in _THIRD_PERSON:
        text = re.sub(pattern, replacement, text, flags=re.IGNORECASE)
    return text


def about_you(fact: str) -> str:
    """A stored fact said back to the user: "The user lives in Lyon." → "you live in Lyon"."""
    return second_person(first_person(fact))


class FactIndex:
    """The stored facts with their vectors (embeds any fact stored without one)."""

    def __init__(self, store: MemoryStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def add(self, text: str, source_message_id: int | None = None) -> int:
        vector = self.embedder.encode([first_person(text)])[0]
        return self.store.add_fact(text, to_blob(vector), source_message_id)

    def ranked(self, query: str) -> list[tuple[float, Fact]]:
        facts = self.store.facts()
        if not facts:
            return []
        vectors = []
        for fact in facts:
            if fact.embedding:
                vectors.append(from_blob(fact.embedding))
            else:
                vectors.append(self.embedder.encode([first_person(fact.text)])[0])
        sims = np.stack(vectors) @ self.embedder.encode([query])[0]
        order = np.argsort(-sims, kind="stable")
        return [(float(sims[i]), facts[i]) for i in order]


class EmbeddingFactSelector:
    """The engine's FactSelector: all facts if few, else the most similar to the message."""

    def __init__(self, index: FactIndex) -> None:
        self.index = index

    def relevant(self, text: str, limit: int) -> list[str]:
        return [fact.text for _, fact in self.index.ranked(text)[:limit]]


class RememberSkill:
    def __init__(self, index: FactIndex) -> None:
        self.index = index

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        fact = str(intent.slots.get("fact") or "").strip()
        if not fact:
            return SkillReply(
                'What should I remember? Say, for example, "remember that my '
                "sister's birthday is May 3rd\"."
            )
        self.index.add(fact)
        return SkillReply(f"Okay, I'll remember that {second_person(fact)}.")


class RecallSkill:
    def __init__(self, index: FactIndex) -> None:
        self.index = index

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        query = str(intent.slots.get("query") or "").strip().lower()
        ranked = self.index.ranked(query or "me")
        about_me = not query or bool(_ABOUT_ME.match(query))
        if not ranked and about_me:
            return SkillReply(
                "You haven't told me anything about yourself yet. Say \"remember "
                "that …\" and I'll keep it."
            )
        if about_me:
            facts = [about_you(f.text) for _, f in ranked[:5]]
            return SkillReply("Here's what I know: " + "; ".join(facts) + ".")
        if not ranked or ranked[0][0] < RECALL_MIN_SIMILARITY:
            # not a remembered fact: the language model may find it earlier in the conversation
            # ("my sister is called Maya" … "what's my sister's name?") or say it doesn't know
            return SkillReply("", actions=(ASK_LLM,))
        return SkillReply(f"You told me that {about_you(ranked[0][1].text)}.")


class ForgetSkill:
    """Forgets the closest fact, or (after a confirmation) every fact."""

    def __init__(self, index: FactIndex) -> None:
        self.index = index
        self._lock = threading.Lock()
        self._confirm_until = 0.0

    @property
    def awaiting_confirmation(self) -> bool:
        return time.monotonic() < self._confirm_until

    def drop_confirmation(self) -> None:
        with self._lock:
            self._confirm_until = 0.0

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        if "confirm" in intent.slots:
            with self._lock:
                self._confirm_until = 0.0
            if not intent.slots["confirm"]:
                return SkillReply("Okay, I'll keep everything.")
            count = self.index.store.delete_all_facts()
            return SkillReply(
                f"Done. I've forgotten everything you told me ({count} "
                f"fact{'s' if count != 1 else ''})."
            )
        if intent.slots.get("all"):
            if not self.index.store.facts():
                return SkillReply("There's nothing to forget: I don't know anything about you.")
            with self._lock:
                self._confirm_until = time.monotonic() + CONFIRM_WINDOW_S
            return SkillReply(
                "Do you really want me to forget everything I know about you? Say yes to confirm."
            )
        query = str(intent.slots.get("query") or "").strip()
        ranked = self.index.ranked(query) if query else []
        if not ranked or ranked[0][0] < FORGET_MIN_SIMILARITY:
            return SkillReply("I don't have anything like that stored.")
        fact = ranked[0][1]
        self.index.store.delete_fact(fact.id)
        return SkillReply(f"Okay, I've forgotten that {about_you(fact.text)}.")


class ConfirmationDetector:
    """Wraps the detector: while a forget-everything waits, "yes"/"no" answer it."""

    def __init__(self, inner: IntentDetector, forget: ForgetSkill) -> None:
        self.inner = inner
        self.forget = forget

    def detect(self, text: str, now: datetime | None = None) -> Intent:
        if self.forget.awaiting_confirmation:
            answer = " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())
            if _YES.match(answer):
                return Intent("memory.forget", 1.0, {"confirm": True})
            if _NO.match(answer):
                return Intent("memory.forget", 1.0, {"confirm": False})
            self.forget.drop_confirmation()  # the user moved on: nothing is deleted
        if now is None:
            return self.inner.detect(text)
        return self.inner.detect(text, now)  # type: ignore[call-arg]

    def load(self) -> None:
        load = getattr(self.inner, "load", None)
        if load is not None:
            load()
