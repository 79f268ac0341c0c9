"""Cutting a streamed reply into pieces to speak."""

from __future__ import annotations

import pytest

from assistant.sentences import FIRST_CLAUSE_WORDS, SentenceSplitter, split_sentences


def _streamed(text: str, first_clause_words: int) -> list[str]:
    """Feed ``text`` word by word, as a language model streams it."""
    splitter = SentenceSplitter(first_clause_words=first_clause_words)
    pieces: list[str] = []
    for word in text.replace(" ", " |").split("|"):
        pieces += splitter.feed(word)
    return pieces + splitter.flush()


def test_whole_sentences_with_abbreviations_and_short_ones_joined() -> None:
    assert split_sentences("Hi. Mr. Smith is here. Call Dr. Jones at 5 p.m. today.") == [
        "Hi. Mr. Smith is here.",
        "Call Dr. Jones at 5 p.m. today.",
    ]


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        (
            "Today is Monday, November 23, 2026. It is sunny.",
            ["Today is Monday,", "November 23, 2026.", "It is sunny."],
        ),
        ("It's 6:25 PM.", ["It's 6:25 PM."]),
        ("Well, the answer is yes.", ["Well, the answer is yes."]),  # one word: no cut
        ("I'm sorry, but I cannot.", ["I'm sorry,", "but I cannot."]),
        (
            "I'm sorry that we are not able to chat because the server is down.",
            ["I'm sorry that we are not able to chat", "because the server is down."],
        ),
        ("I like tea and cake a lot.", ["I like tea and cake a lot."]),  # too short to cut
        (
            'I\'m not sure what you mean by "7 of clubs". Are you playing cards?',
            ["I'm not sure", 'what you mean by "7 of clubs".', "Are you playing cards?"],
        ),
        (
            "A rainbow forms when sunlight passes through raindrops.",
            ["A rainbow forms", "when sunlight passes through raindrops."],
        ),
        ("I know what you mean.", ["I know what you mean."]),  # two words: no cut
        ("The capital of Australia is Canberra.", ["The capital of Australia is Canberra."]),
        (
            "You can mix black and white paint to get grey.",
            ["You can mix black and white paint to get grey."],
        ),
        ("Sure: here is a list: one, two.", ["Sure: here is a list:", "one, two."]),
        (  # "Mr." ends no sentence: the first piece may still be cut
            "Mr. John Dashwood was a wealthy landowner and social figure in England.",
            ["Mr. John Dashwood was a wealthy landowner", "and social figure in England."],
        ),
        (  # a long first sentence: cut before a preposition once the words after it go on
            "Inflation is a measure of the general increase in prices of goods and services.",
            ["Inflation is a measure of the general increase", "in prices of goods and services."],
        ),
        (  # … or before the verb after a long subject
            "The passage you provided is from a novel by Jane Austen.",
            ["The passage you provided", "is from a novel by Jane Austen."],
        ),
        (  # a linking verb too: five read sentences of a device run began so
            "The passage you provided appears to be from a book by Jane Austen.",
            ["The passage you provided", "appears to be from a book by Jane Austen."],
        ),
        ("The currency of Japan is the yen.", ["The currency of Japan is the yen."]),
        (  # not after a word that needs the next one, not inside a quotation
            "An atom is the smallest unit of matter that can exist on its own.",
            ["An atom is the smallest unit of matter that can exist on its own."],
        ),
        (
            'The phrase "he might even have been made amiable" is ironic.',
            # before the quotation, never inside it
            ["The phrase", '"he might even have been made amiable" is ironic.'],
        ),
        ("I have 1,000 books, really.", ["I have 1,000 books,", "really."]),
    ],
)
def test_the_first_piece_may_be_a_clause_so_speech_starts_sooner(
    text: str, pieces: list[str]
) -> None:
    assert _streamed(text, FIRST_CLAUSE_WORDS) == pieces
    assert " ".join(pieces) == text


def test_only_the_first_piece_is_a_clause() -> None:
    assert _streamed("Yes, of course, I can do that. Then, later, we go.", 3) == [
        "Yes, of course,",
        "I can do that.",
        "Then, later, we go.",
    ]
    assert _streamed("Yes, of course, I can.", 0) == ["Yes, of course, I can."]
