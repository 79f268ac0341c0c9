"""Arithmetic from words, evaluated safely; injections and runaway numbers are refused."""

from __future__ import annotations

import pytest

from assistant.errors import AssistantError
from assistant.nlu.calculator import evaluate, format_number, to_expression
from assistant.nlu.normalize import normalize


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("what's 15 percent of 80", 12),
        ("twelve times seven", 84),
        ("what is the square root of 81", 9),
        ("2 to the power of 10", 1024),
        ("what is ten divided by four", 2.5),
        ("how much is 3 plus 4 times 2", 11),
        ("calculate 6 * (3 + 4)", 42),
        ("what's 1,250 plus 3,750?", 5000),
        ("12 squared", 144),
        ("subtract 5 from 12", 7),
        ("what is 0.1 plus 0.2", 0.3),
        ("what's three quarters of 120", 90),
        ("a quarter of 80", 20),
        ("two thirds of 90", 60),
        ("half of 50", 25),
        ("a dozen lots of seven", 84),
        ("how much is half a dozen times 3", 18),
        ("what is 15 percent off 80", 68),
        ("what is 80 minus 15 percent", 68),
        ("what's 200 plus 20%", 240),
        ("what's 3 and a half times 4", 14),
        ("quick one what's two thirds of 150", 100),
        # money: a tip alone or with the bill, a discount, a bill shared
        ("what would a 20 percent tip be on a 45 dollar bill", 9),
        ("how much is an 18% tip on $62.50", 11.25),
        ("$40 dinner + 15% tip, whats the total", 46),
        ("$80 jacket w/ 25% off, how much do i pay?", 60),
        ("$120 split 4 ways?", 30),
        ("we're splitting 96 pounds between four people, how much is that each", 24),
        ("whats 7*8 - 6", 50),
        ("dinner came to 64 quid, how much is a twelve and a half percent tip", 8),
        ("if something's 1250 and it's 15 percent off what do i pay", 1062.5),
    ],
)
def test_results(text: str, result: float) -> None:
    expression = to_expression(normalize(text))
    assert expression is not None
    assert evaluate(expression) == pytest.approx(result)


@pytest.mark.parametrize(
    "text",
    [
        "calculate __import__('os').system('ls')",
        "what is 5; rm -rf /",
        "$(reboot)",
        "what is `id`",
        "what is (1).__class__",
        "what is the capital of france",
        "i have 2 kids and 3 dogs",
        "open('/etc/passwd').read()",
        "lambda: 1",
    ],
)
def test_no_expression_in_injections_or_chat(text: str) -> None:
    assert to_expression(normalize(text)) is None


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("10 / 0", "divide by zero"),
        ("9 ** 9 ** 9", "too big"),
        ("99999 ** 4000000", "too big"),
        ("10 ** 400", "too big"),
        ("sqrt(-1)", "no answer"),
        ("__import__('os')", "plain arithmetic"),
        ("x + 1", "plain arithmetic"),
    ],
)
def test_refusals(expression: str, message: str) -> None:
    with pytest.raises(AssistantError, match=message):
        evaluate(expression)


def test_format_number() -> None:
    assert format_number(5000) == "5,000"
    assert format_number(2.5) == "2.5"
