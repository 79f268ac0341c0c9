"""Arithmetic from words: '15 percent of 80', 'twelve times seven', 'square root of 81'.

The spoken form is rewritten into a small expression language (digits, + - * / ** %, brackets
and a few named functions) and evaluated by ``simpleeval`` (an AST walk over a whitelist; never
``eval``). Anything outside that language is not a calculation.
"""

from __future__ import annotations

import ast
import math
import re

from simpleeval import NumberTooHigh, SimpleEval

from assistant.errors import AssistantError

MAX_DIGITS = 60

_FUNCTIONS = {
    "sqrt": math.sqrt,
    "abs": abs,
    "round": round,
    "log": math.log10,
    "ln": math.log,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
}

_LEAD = re.compile(
    r"^(?:(?:hey|ok|okay|please|so|quick question|can you|could you|would you|tell me|"
    r"do you know|i need to know|help me|we're|we are|i'm|i am"
    r"|if (?:something|it|an? [a-z]+|the [a-z]+)(?:'s| is| costs?))\s+)*"
    r"(?:what(?:'s| is| are| does| do| would| will)?|what's|whats"
    r"|how much (?:is|are|does|do|would|will)|calculate|"
    r"compute|work out|figure out|evaluate|solve|how many is)?\s*"
)
# "quick one, what's …", "if I buy six, how much is …": the question word opens the sum
_ASKED = re.compile(
    r"\b(?:what(?:'s| is| are)|whats|how much (?:is|are)|calculate|compute|work out|figure out)"
    r"\s+"
)
_N = r"(\d+(?:\.\d+)?)"
_PCT = r"(?:percent|per cent|%)"
_CURRENCY = r"(?:dollars?|pounds?|euros?|bucks|quid)"
# what an amount is the price of ("a 45 dollar bill", "80 jacket"), said between it and the sum
_THING = (
    rf"(?:\s+{_CURRENCY})?(?:\s+(?!plus\b|and\b|with\b|split\b|shared\b|divided\b|between\b"
    r"|times\b|minus\b|off\b)[a-z]+)?"
)
# money signs and names around an amount ("$45", "45 dollars")
_MONEY = re.compile(
    rf"[$£€](?=\s*\d)|(?<=\d)(?:\s*{_CURRENCY}\b)?(?:\s+(?:bill|check|cheque|tab|meal)\b)?"
)
# the question after the sum ("…, what's the total", "how much do I pay", "how much is that each")
_SUM_QUESTION = re.compile(
    r"\s+(?:so\s+)?(?:(?:what'?s|whats|what is|how much)\s+(?:is\s+)?(?:the total|that each"
    r"|each|(?:do|will|would|should) (?:i|we) (?:pay|owe|leave)|that comes? to"
    r"|does that come to|is it)|what (?:do|will|would|should) (?:i|we) (?:pay|owe))\b.*$"
)
# a tip asked for with its bill said before the question
_TIP_ALONE = re.compile(
    rf"^(?:what(?:'s| is)|whats|how much (?:is|are))\s+(?:an?\s+)?{_N}"
    rf"(?P<half>\s+and\s+a\s+half)?\s*{_PCT}\s+tip$"
)
_REWRITES: list[tuple[str, str]] = [
    # amounts said in words: "half a dozen", "2 dozen", "3 and a half"
    (r"\bhalf a dozen\b", "6"),
    (rf"\b{_N}\s+dozen\b", r"(\1*12)"),
    (r"\b(?:a\s+)?dozen\b", "12"),
    (rf"\b{_N}\s+and\s+a\s+half\b", r"(\1+0.5)"),
    (rf"\b{_N}\s+and\s+(?:a|one)\s+quarter\b", r"(\1+0.25)"),
    (rf"\b{_N}\s+and\s+(?:3|three)\s+quarters\b", r"(\1+0.75)"),
    # a tip, alone or with the bill ("a 20% tip on 45", "tip 15 percent on 62.50", "40 dinner
    # plus a 15% tip"), and a bill shared ("120 split 4 ways", "splitting 96 between 4 people")
    (rf"\b{_N}\s*{_PCT}\s+tip(?:\s+be)?\s+(?:on|for|of)\s+(?:an?\s+)?{_N}", r"(\1/100*\2)"),
    (rf"\btip(?:\s+of)?\s+{_N}\s*{_PCT}\s+(?:on|for)\s+(?:an?\s+)?{_N}", r"(\1/100*\2)"),
    (rf"\b{_N}{_THING}\s+(?:\+|plus|with|and)\s+(?:an?\s+)?{_N}\s*{_PCT}\s+tip", r"(\1+\2/100*\1)"),
    (
        rf"\b(?:split(?:ting)?|shar(?:e|ing)|divid(?:e|ing))\s+{_N}{_THING}\s+(?:between|among|by|in)"
        rf"\s+{_N}(?:\s+(?:people|persons|ways|friends|of us))?",
        r"(\1/\2)",
    ),
    (
        rf"\b{_N}{_THING}\s+(?:split|shared|divided)\s+(?:between\s+|among\s+|by\s+)?{_N}"
        r"(?:\s+(?:people|persons|ways|friends|of us))?",
        r"(\1/\2)",
    ),
    # a share taken off or put on: "15 percent off 80", "80 minus 15 percent", "80 plus 20%"
    (rf"\b{_N}\s*{_PCT}\s+off\s+(?:of\s+)?{_N}", r"(\2-\1/100*\2)"),
    (
        rf"\b{_N}{_THING}\s+(?:with\s+|and\s+(?:it's|it is|there's)\s+)?{_N}\s*{_PCT}\s+off\b",
        r"(\1-\2/100*\1)",
    ),
    (rf"\b{_N}\s+(?:minus|less)\s+{_N}\s*{_PCT}", r"(\1-\2/100*\1)"),
    (rf"\b{_N}\s+plus\s+{_N}\s*{_PCT}", r"(\1+\2/100*\1)"),
    (rf"\b{_N}\s+lots\s+of\s+{_N}", r"\1 * \2"),  # British "a dozen lots of 7"
    (rf"\bsquare root of\s+{_N}", r"sqrt(\1)"),
    (rf"\bcube root of\s+{_N}", r"(\1)**(1/3)"),
    (rf"\b{_N}\s*{_PCT}\s+of\s+{_N}", r"(\1/100*\2)"),
    (rf"\bhalf of\s+{_N}", r"(\1/2)"),
    (rf"\b{_N}\s+squared\b", r"(\1**2)"),
    (rf"\b{_N}\s+cubed\b", r"(\1**3)"),
    (r"\bto the power of\b|\braised to(?: the power of)?\b|\bto the\b|\^", "**"),
    (r"\b(?:multiplied by|times|x)\b|×", "*"),
    (r"\b(?:divided by|over)\b|÷", "/"),
    (r"\bplus\b|\band\b", "+"),
    (r"\bminus\b|\btake away\b|−", "-"),
    (r"\b(?:mod|modulo)\b", "%"),
    (r"\b(?:absolute value of)\s+", "abs "),
    (rf"\bsqrt\s+{_N}", r"sqrt(\1)"),
    (r"\babs\s+(-?\d+(?:\.\d+)?)", r"abs(\1)"),
]
_TAIL = re.compile(r"\s*(?:=|equals?|is|please|for me|exactly|then)?\s*$")
_ALLOWED = re.compile(r"^(?:[\d.\s+\-*/%()]|sqrt|abs|round|log|ln|sin|cos|tan)+$")
_HAS_OPERATION = re.compile(r"\d\s*(?:\*\*|[+\-*/%])\s*[\d(]|sqrt\(|abs\(|\(\d+/\d+\*")


# "a quarter of 80", "3 quarters of 120", "two 3rds of 90" (text2num writes "third" as "3rd")
_DENOMINATORS = {"half": 2, "halve": 2, "third": 3, "3rd": 3, "quarter": 4, "fourth": 4, "4th": 4}
_DENOMINATORS |= {w: n for n, ws in ((5, "fifth 5th"), (6, "sixth 6th"), (8, "eighth 8th"),
                  (10, "tenth 10th")) for w in ws.split()}  # fmt: skip
_NUMERATORS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4}
_FRACTION = re.compile(
    r"\b(?P<n>an?|one|two|three|four|\d+)\s+(?P<d>"
    + "|".join(sorted(_DENOMINATORS, key=len, reverse=True))
    + r")s?\s+of\s+(?P<x>\d+(?:\.\d+)?)"
)


def _fraction(match: re.Match[str]) -> str:
    n = _NUMERATORS.get(match.group("n")) or match.group("n")
    return f"({n}/{_DENOMINATORS[match.group('d')]}*{match.group('x')})"


def to_expression(normalized: str) -> str | None:
    """The arithmetic expression in a normalised message, or None if it holds none: the whole
    message, or what follows its last question word ("quick one what's 2 3rds of 150")."""
    expression = _expression(normalized)
    asked = list(_ASKED.finditer(normalized))
    if expression is None and asked and asked[-1].start() > 0:
        before, question = normalized[: asked[-1].start()], normalized[asked[-1].start() :]
        expression = _expression(question)
        tip = _TIP_ALONE.search(question)
        amounts = re.findall(_N, _MONEY.sub("", before))
        if expression is None and tip and amounts:  # "dinner came to 64, how much is a 15% tip"
            share = f"({tip.group(1)}+0.5)" if tip.group("half") else tip.group(1)
            expression = f"({share}/100*{amounts[-1]})"
    return expression


def _expression(normalized: str) -> str | None:
    text = _MONEY.sub("", normalized.strip())
    text = _SUM_QUESTION.sub("", text)
    text = _LEAD.sub("", text, count=1)
    text = _FRACTION.sub(_fraction, text)
    text = re.sub(r"^(?:the )?(?:sum of|result of|answer to|value of)\s+|^(?:the|an?)\s+", "", text)
    text = re.sub(r"^add\s+(\d+(?:\.\d+)?)\s+(?:and|to)\s+(\d+(?:\.\d+)?)$", r"\1 + \2", text)
    text = re.sub(r"^multiply\s+(\d+(?:\.\d+)?)\s+(?:and|by)\s+(\d+(?:\.\d+)?)$", r"\1 * \2", text)
    text = re.sub(r"^divide\s+(\d+(?:\.\d+)?)\s+by\s+(\d+(?:\.\d+)?)$", r"\1 / \2", text)
    text = re.sub(r"^subtract\s+(\d+(?:\.\d+)?)\s+from\s+(\d+(?:\.\d+)?)$", r"\2 - \1", text)
    for pattern, replacement in _REWRITES:
        text = re.sub(pattern, replacement, text)
    text = _TAIL.sub("", text).strip()
    if not text or not _ALLOWED.match(text) or not _HAS_OPERATION.search(text):
        return None
    return " ".join(text.split())


def _power(base: float, exponent: float) -> float:
    if base not in (0, 1, -1) and abs(exponent) * math.log10(abs(base) or 1) > MAX_DIGITS:
        raise NumberTooHigh("result too large")
    return base**exponent


def evaluate(expression: str) -> int | float:
    """Evaluate a whitelisted expression; a one-line AssistantError when it cannot be done."""
    evaluator = SimpleEval(functions=_FUNCTIONS, names={})
    evaluator.operators[ast.Pow] = _power
    try:
        value = evaluator.eval(expression)
    except ZeroDivisionError:
        raise AssistantError("I can't divide by zero.") from None
    except NumberTooHigh:
        raise AssistantError("That number is too big for me to work out.") from None
    except (ValueError, OverflowError):
        raise AssistantError("That has no answer I can give as a number.") from None
    except Exception:
        raise AssistantError("I can only work out plain arithmetic.") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AssistantError("I can only work out plain arithmetic.")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AssistantError("That number is too big for me to work out.")
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
        return float(f"{value:.10g}")
    if value.bit_length() * math.log10(2) > MAX_DIGITS:
        raise AssistantError("That number is too big for me to say.")
    return value


def format_number(value: int | float) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:.6g}"
