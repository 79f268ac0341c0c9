"""`memory.remember`, `memory.recall`, `memory.forget`, and the fact selector for the prompt.

Facts are stored with their MiniLM embedding; recall and forget pick the closest fact. The
system prompt carries the newest (``conversation.PROMPT_FACTS``), and ``EmbeddingFactSelector``
picks the ones a request for advice should keep in mind, said next to it.
Forgetting everything asks first: the question goes into the dialogue state, and the next "yes"
answers it (``FollowUpReader``); "undo that" puts forgotten facts back.
"""

from __future__ import annotations

import re

import numpy as np

from assistant.dialogue.state import Question, Referent, Undo
from assistant.memory.store import Fact, MemoryStore
from assistant.nlu.base import Intent
from assistant.nlu.embeddings import Embedder, from_blob, to_blob
from assistant.skills.base import ASK_LLM, SkillContext, SkillReply
from assistant.skills.reminders import second_person

RECALL_MIN_SIMILARITY = 0.35
# facts at least this like a request for advice are said next to it (measured with MiniLM: a
# vegan and "what should I put in my sandwich" 0.35, allergic to cats and "should I take a
# kitten" 0.30, where the user lives and "what language do people speak where I live" 0.23;
# unrelated facts mostly 0.05–0.18)
MIND_MIN_SIMILARITY = 0.2
# any other question: only a fact much like it ("what's the code for mum's gate" and the gate
# code 0.78, "when's the wedding again?" and the sister's wedding 0.61; unrelated questions
# at most 0.42 over 14 tried)
ASKED_MIN_SIMILARITY = 0.5
_QUESTION = re.compile(
    r"\?\s*$|^(what|what's|whats|when|when's|where|where's|who|who's|which|how|why|is|are|do"
    r"|does|did|can|could|will|would)\b",
    re.IGNORECASE,
)
# a request whose answer depends on the user: advice, a suggestion, a choice, or a question
# about them ("how do I like my coffee", "am I old enough to …")
_ASKS_ADVICE = re.compile(
    r"\b(should|shall|can|could|may|must) (i|we)\b|\bwhat (can|could|should|shall) (i|we)\b"
    r"|\b(how|what|where|when|which|who|why) (do|did|does|am|was|have|is) (i|we|my|our)\b"
    r"|^(am|was|do|did|have) (i|we)\b"
    r"|\b(recommend\w*|suggest\w*|ideas?|tips?|advice|advise)\b|\b(for|to) (me|us)\b"
    r"|\bwhere (i|we) live\b|\b(is|are) (it|that|this|they) (ok|okay|safe|fine|good|bad)\b"
    r"|\bwithin my\b|\bmy (budget|diet)\b|\bwhat to (eat|cook|make|buy|get|wear|drink)\b",
    re.IGNORECASE,
)
FORGET_MIN_SIMILARITY = 0.45
_ABOUT_ME = re.compile(r"^(?:me|myself|about me|everything|anything|you know|all)?$")
REALLY_FORGET = (
    "Are you sure you want me to forget everything I know about you? Say yes to confirm."
)


_THIRD_PERSON = (
    (r"\bthe user's\b", "my"),
    (r"\bthe user is\b", "I am"),
    (r"\bthe user has\b", "I have"),
    (r"\bthe user was\b", "I was"),
    (r"\bthe user does(n't| not)\b", r"I do\1"),
    (r"\bthe user (\w+?)ies\b", r"I \1y"),  # "the user flies" → "I fly"
    (r"\bthe user (\w+?)(?:(?<=ch|sh|ss)es|(?<=x)es|s)\b", r"I \1"),
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
    """A stored fact said back to the user: "The user lives in Lyon." → "you live in Lyon";
    "The wifi password is x7." → "the wifi password is x7"."""
    text = second_person(first_person(fact))
    return re.sub(r"^(The|A|An|Our|Their)\b", lambda m: m.group(1).lower(), text)


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
    """The engine's FactSelector: for a request for advice ("what should I cook?"), the stored
    facts most like it; for any other question, a fact very like it ("what's the code for
    mum's gate"). A 1.5 B model with "the user is vegan" in its system prompt still
    offered a turkey sandwich; with the fact next to the question, hummus and avocado."""

    def __init__(self, index: FactIndex) -> None:
        self.index = index

    def relevant(self, text: str, limit: int) -> list[str]:
        if _ASKS_ADVICE.search(text):
            least = MIND_MIN_SIMILARITY
        elif _QUESTION.search(text.strip()):
            least = ASKED_MIN_SIMILARITY
        else:
            return []
        ranked = self.index.ranked(text)[:limit]
        return [fact.text for similarity, fact in ranked if similarity >= least]


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
        fact_id = self.index.add(fact)
        return SkillReply(
            f"Okay, I'll remember that {second_person(fact)}.",
            touched=(Referent("fact", fact_id),),
            undo=Undo("delete_fact", (fact_id,), f"that {second_person(fact)}"),
        )


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
    """Forgets the closest fact (or the one referred to), or after a "yes" every fact."""

    def __init__(self, index: FactIndex) -> None:
        self.index = index

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        store = self.index.store
        if "confirm" in intent.slots:
            if not intent.slots["confirm"]:
                return SkillReply("Okay, I'll keep everything.")
            facts = store.facts()
            count = store.delete_all_facts()
            return SkillReply(
                f"Done. I've forgotten everything you told me ({count} "
                f"fact{'s' if count != 1 else ''}).",
                undo=_put_back(facts, "everything you told me"),
            )
        if intent.slots.get("all"):
            if not store.facts():
                return SkillReply("There's nothing to forget: I don't know anything about you.")
            question = Question("memory.forget", "confirm", REALLY_FORGET, {"all": True})
            return SkillReply(REALLY_FORGET, asks=question)
        ref = intent.slots.get("ref")
        if isinstance(ref, int):
            chosen = [f for f in store.facts() if f.id == ref]
            if not chosen:
                return SkillReply("I don't have that stored any more.")
            fact = chosen[0]
        else:
            query = str(intent.slots.get("query") or "").strip()
            ranked = self.index.ranked(query) if query else []
            if not ranked or ranked[0][0] < FORGET_MIN_SIMILARITY:
                return SkillReply("I don't have anything like that stored.")
            fact = ranked[0][1]
        store.delete_fact(fact.id)
        return SkillReply(
            f"Okay, I've forgotten that {about_you(fact.text)}.",
            undo=_put_back([fact], f"that {about_you(fact.text)}"),
        )


def _put_back(facts: list[Fact], description: str) -> Undo:
    return Undo("restore_facts", description=description, texts=tuple(f.text for f in facts))
