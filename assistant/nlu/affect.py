"""Sentiment (VADER) and emotion (nearest MiniLM exemplars, gated by VADER) of a user message.

VADER gives the label and the score in [-1, 1] (compound; ±0.05 are its authors' cut-offs).
Emotion: the message is compared with short example sentences of each emotion. The closest
emotion is kept when it is close enough and agrees with the polarity (joy positive;
sadness, anger, fear negative; surprise any; a neutral polarity needs a closer example); a
clearly positive or negative message without a close example gets the closest emotion of its
polarity; else ``neutral``. Thresholds chosen on the labelled set (its emotion field).
"""

from __future__ import annotations

import re
import threading
from typing import Any, cast

import numpy as np

from assistant.nlu.base import Affect, Emotion, SentimentLabel
from assistant.nlu.embeddings import Embedder, encode_cached
from assistant.nlu.normalize import normalize

POSITIVE_CUTOFF = 0.05
SENTIMENT_CHARS = 500  # the part of a message VADER reads (~80 words)
# Words VADER scores that carry no feeling in requests to an assistant ("please stop the
# timer", "cancel", "forget my …", "help"): on our labelled set dropping them raised sentiment
# agreement from 79 % to 95 % (dev split).
COMMAND_WORDS = (
    "please",
    "help",
    "stop",
    "stopped",
    "stopping",
    "cancel",
    "kill",
    "forget",
    "fire",
    "pardon",
    "clear",
    "fresh",
    "missed",
    "problem",
    "leak",
    "safe",
    "joke",
    "dead",
    "alarm",
    "solve",
    "no",
    "yes",
    "ok",
    "okay",
    "sorry",
    "save",
)
EMOTION_THRESHOLD = 0.45  # similarity to an example of a feeling, polarity agreeing
NEUTRAL_THRESHOLD = 0.55  # … when VADER found no polarity
STRONG_SENTIMENT = 0.5  # |compound| from which a message surely carries a feeling

EMOTION_EXEMPLARS: dict[str, tuple[str, ...]] = {
    "joy": (
        "we had so much fun at the beach",
        "i passed my exam",
        "my baby smiled at me",
        "finally some good news",
        "i'm proud of myself",
        "this is the best day ever",
        "i'm so happy",
        "this is wonderful news",
        "i had a great day",
        "i love this",
        "i got the job",
        "yay we won",
        "i'm thrilled",
        "that made my day",
        "i feel fantastic",
        "thank you so much that's awesome",
        "i'm excited about the trip",
        "life is good",
    ),
    "sadness": (
        "i miss her so much",
        "my best friend moved away",
        "i feel so alone",
        "nobody cares about me",
        "i'm grieving",
        "i didn't get into the school",
        "i feel sad",
        "i'm so lonely",
        "i miss my dad",
        "my dog died",
        "i feel empty",
        "i've been crying all day",
        "nothing makes me happy anymore",
        "i'm heartbroken",
        "i feel down today",
        "my day was terrible",
        "i lost my job",
        "i feel hopeless",
    ),
    "anger": (
        "i'm so mad at them",
        "this is ridiculous",
        "they lied to me again",
        "i'm sick of this",
        "why does nothing ever work",
        "that was rude",
        "i'm so angry",
        "this is infuriating",
        "i hate this",
        "that makes me furious",
        "stop being useless",
        "this is so frustrating",
        "i'm fed up with my neighbour",
        "how dare they",
        "shut up",
        "this stupid thing never works",
        "i'm really annoyed",
        "that's outrageous",
    ),
    "fear": (
        "i'm worried i'll fail",
        "what if they fire me",
        "i heard a noise downstairs",
        "i'm frightened",
        "i can't sleep because i'm scared",
        "i dread the dentist",
        "i'm scared",
        "i'm afraid of the exam",
        "i'm worried about my mother's health",
        "i'm anxious about tomorrow",
        "i'm terrified",
        "i think someone is following me",
        "i'm nervous about the interview",
        "what if something bad happens",
        "i'm panicking",
        "i can't stop worrying",
        "it frightens me",
        "i fear the worst",
    ),
    "surprise": (
        "wow i had no idea",
        "that's so surprising",
        "i never expected that",
        "wait what really",
        "no way that's crazy",
        "unbelievable",
        "wow i didn't expect that",
        "no way really",
        "that's unbelievable",
        "what a surprise",
        "i can't believe it",
        "seriously that's amazing",
        "oh my god",
        "whoa",
        "i'm shocked",
        "that's so unexpected",
        "really i had no idea",
        "you're kidding",
    ),
}
_POLARITY: dict[str, tuple[SentimentLabel, ...]] = {
    "joy": ("positive",),
    "sadness": ("negative",),
    "anger": ("negative",),
    "fear": ("negative",),
    "surprise": ("positive", "neutral", "negative"),
}


class VaderAffect:
    """Sentiment from VADER; emotion from MiniLM exemplars when an embedder is given."""

    def __init__(
        self, embedder: Embedder | None = None, threshold: float = EMOTION_THRESHOLD
    ) -> None:
        self._embedder = embedder
        self.threshold = threshold
        self._lock = threading.Lock()
        self._vader: Any = None
        self._matrix: np.ndarray | None = None
        self._labels: list[str] = []

    def load(self) -> None:
        with self._lock:
            if self._vader is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                vader = SentimentIntensityAnalyzer()
                for word in COMMAND_WORDS:
                    vader.lexicon.pop(word, None)
                self._vader = vader
            if self._embedder is not None and self._matrix is None:
                texts = [t for examples in EMOTION_EXEMPLARS.values() for t in examples]
                self._labels = [
                    name for name, examples in EMOTION_EXEMPLARS.items() for _ in examples
                ]
                self._matrix = encode_cached(self._embedder, texts)

    def sentiment(self, text: str) -> tuple[SentimentLabel, float]:
        self.load()
        # VADER's cost grows with the square of the word count (100 kB took minutes, 2 kB of
        # short words 60 ms); the feeling of a message shows in its first sentences.
        words = without_politeness(without_filler_like(text[:SENTIMENT_CHARS]))
        score = float(self._vader.polarity_scores(words)["compound"])
        if score >= POSITIVE_CUTOFF:
            return "positive", round(score, 4)
        if score <= -POSITIVE_CUTOFF:
            return "negative", round(score, 4)
        return "neutral", round(score, 4)

    def emotion(self, text: str, label: SentimentLabel, score_of_text: float = 0.0) -> Emotion:
        if self._embedder is None:
            return "neutral"
        self.load()
        assert self._matrix is not None
        sims = self._matrix @ self._embedder.encode([normalize(text)])[0]
        best: dict[str, float] = {}
        for name, sim in zip(self._labels, sims.tolist(), strict=True):
            best[name] = max(best.get(name, -1.0), sim)
        # a close example of a feeling agreeing with the polarity (VADER misses many
        # feelings, so a neutral polarity agrees with all of them, but needs a closer example)
        for name, score in sorted(best.items(), key=lambda kv: kv[1], reverse=True):
            if score < (NEUTRAL_THRESHOLD if label == "neutral" else self.threshold):
                break
            if label == "neutral" or label in _POLARITY[name]:
                return cast(Emotion, name)
        # clearly positive or negative words: the closest feeling of that polarity
        if abs(score_of_text) >= STRONG_SENTIMENT:
            allowed = [n for n in best if label in _POLARITY[n] and n != "surprise"]
            return cast(Emotion, max(allowed, key=lambda n: best[n]))
        return "neutral"

    def analyze(self, text: str) -> Affect:
        label, score = self.sentiment(text)
        return Affect(label, score, self.emotion(text, label, score))


_LIKE_AFTER = re.compile(r"\b(so|um+|uh+|and|just|was|it's|is)\s+like\b", re.IGNORECASE)
_LIKE_BEFORE = re.compile(
    r"\blike\s+(?=(?:um+|uh+|\d|a|an|the|maybe|you know|i mean|half|one|two|three|four|five|"
    r"six|seven|eight|nine|ten|twenty|thirty)\b)",
    re.IGNORECASE,
)


def without_filler_like(text: str) -> str:
    """Spoken "like" as a filler ("so like can you …", "like six minutes") is no liking:
    VADER scores the word +1.5, which made a timer request sound happy."""
    return _LIKE_BEFORE.sub("", _LIKE_AFTER.sub(r"\1", text))


# the formulas of a polite request ("would you be so kind as to", "kindly", "if you'd be so
# good"): VADER scores "kind" and "good" as warmth (+0.66 for "I wonder if you might be so kind
# as to set a timer"), but they are manners, not a feeling
_POLITENESS = re.compile(
    r"\b(?:(?:be|being) so (?:kind|good) as to|(?:would|could|will) you (?:be )?(?:so )?kind"
    r"(?:ly)?|if you(?:'d| would| could)? be so (?:kind|good)|kindly)\b",
    re.IGNORECASE,
)


def without_politeness(text: str) -> str:
    return _POLITENESS.sub(" ", text)


def command_affect(affect: Affect) -> Affect:
    """A command ("put a reminder for my dentist on friday") carries no feeling unless its
    words say so strongly ("cancel that stupid timer, I hate it"): its topic is not its mood."""
    if abs(affect.score) >= STRONG_SENTIMENT:
        return affect
    return Affect()
