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
        ("how many pounds is five kilograms", "5 kilograms = 11.02 pounds"),
        ("what is 350 degrees fahrenheit in celsius", "350 degrees fahrenheit = 176.67 celsius"),
        ("how many cups in a litre", "1 litre = 4.23 cups"),
        ("how many feet are in a mile", "1 mile = 5280 feet"),
        ("convert 10 miles to km please", "10 miles = 16.09 km"),
        ("what's 100 kph in mph", "100 kph = 62.14 mph"),
        ("how many teaspoons in a tablespoon", "1 tablespoon = 3 teaspoons"),
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


def test_the_figure_goes_with_the_message_to_the_model(tmp_path: Path) -> None:
    llm = FakeLanguageModel("Five kilograms is about 11 pounds.")
    engine = ConversationEngine(
        store=MemoryStore(tmp_path / "a.db"),
        llm=llm,
        config=Config(),
        turn_notes=CONVERTER.note,
    )
    engine.handle("how many pounds is five kilograms?")
    message = llm.calls[-1][-1]
    assert message.role == "user"
    assert message.content.startswith("how many pounds is five kilograms?")
    assert "5 kilograms = 11.02 pounds" in message.content
    # the stored message is what the user said
    stored = engine.store.messages(engine.conversation_id)
    assert stored[0].text == "how many pounds is five kilograms?"
