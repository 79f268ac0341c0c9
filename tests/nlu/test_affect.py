"""Sentiment (VADER) and emotion (MiniLM exemplars gated by polarity)."""

from __future__ import annotations

import pytest

from assistant.nlu.affect import VaderAffect


@pytest.mark.parametrize(
    ("text", "label", "emotion"),
    [
        ("I had an amazing day, I got the job!", "positive", "joy"),
        ("I'm so sad, my dog died yesterday", "negative", "sadness"),
        ("this is so frustrating, I hate this stupid thing", "negative", "anger"),
        ("I'm really scared about my exam tomorrow", "negative", "fear"),
        ("wow, I can't believe it, what a surprise!", "positive", "surprise"),
        ("set a timer for five minutes", "neutral", "neutral"),
        ("what is the capital of australia", "neutral", "neutral"),
        # manners are no feeling; thanks and love still are
        (
            "i wonder if you might be so kind as to remember my doctor is dr patel",
            "neutral",
            "neutral",
        ),
        ("would you kindly set a timer for 5 minutes", "neutral", "neutral"),
        ("you are so kind, thank you", "positive", "joy"),
    ],
)
def test_labels(affect: VaderAffect, text: str, label: str, emotion: str) -> None:
    result = affect.analyze(text)
    assert result.label == label
    assert result.emotion == emotion
    assert -1.0 <= result.score <= 1.0
    assert (result.score > 0) == (label == "positive")


def test_without_embedder_emotion_is_neutral() -> None:
    result = VaderAffect().analyze("I am furious")
    assert result.label == "negative" and result.emotion == "neutral"
