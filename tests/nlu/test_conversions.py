"""Unit conversions worked out with the real Pint registry, and handed to the model's reply."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Config
from assistant.conversation import ConversationEngine
from assistant.llm.fake import FakeLanguageModel
from assistant.memory.store import MemoryStore
from assistant.nlu.conversions import UnitConverter
from assistant.nlu.normalize import normalize

CONVERTER = UnitConverter()


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        ("how many pounds is five kilograms", "5 kilograms is 11.02 pounds."),
        (
            "what is 350 degrees fahrenheit in celsius",
            "350 degrees Fahrenheit is 176.7 degrees Celsius.",
        ),
        ("how many cups in a litre", "1 litre is 4.23 cups."),
        ("how many feet are in a mile", "1 mile is 5280 feet."),
        ("convert 10 miles to km please", "10 miles is 16.09 km."),
        ("what's 100 kph in mph", "100 kph is 62.14 mph."),
        ("how many teaspoons in a tablespoon", "1 tablespoon is 3 teaspoons."),
        ("how many ounces in a cup", "1 cup is 8 ounces."),  # fluid ounces
        ("8 oz in grams", "8 oz is 226.8 grams."),
        (
            "My recipe says 350 degrees Fahrenheit. What is that in Celsius?",
            "350 degrees Fahrenheit is 176.7 degrees Celsius.",
        ),
    ],
)
def test_conversions_are_worked_out(asked: str, said: str) -> None:
    found = CONVERTER.find(normalize(asked))
    assert found is not None and found.sentence() == said


@pytest.mark.parametrize(
    "text",
    [
        "what is 2 plus 2",
        "I want to go to paris in june",
        "set a timer for 5 minutes",
        "remind me in 5 minutes to call mum",
        "how many people live in tokyo",
        "how many miles is it to the moon",  # no amount to convert
        "5 miles in kilograms",  # not of one kind
    ],
)
def test_no_conversion_where_none_is_asked(text: str) -> None:
    assert CONVERTER.find(normalize(text)) is None


def test_a_conversion_is_answered_exactly_instead_of_by_the_model(tmp_path: Path) -> None:
    llm = FakeLanguageModel("Five kilograms is about 10.23 pounds.")
    engine = ConversationEngine(
        store=MemoryStore(tmp_path / "a.db"),
        llm=llm,
        config=Config(),
        exact_answer=CONVERTER.answer,
    )
    result = engine.handle("how many pounds is five kilograms?")
    assert result.reply == "5 kilograms is 11.02 pounds."
    assert result.intent.name == "chat" and llm.calls == []
    # anything else is the model's
    assert engine.handle("what is a kilogram?").reply == "Five kilograms is about 10.23 pounds."
