"""Unit conversions asked in a message ("how many pounds is 5 kilograms", "350 F in celsius"),
worked out exactly with Pint and said instead of the language model's reply: a 1.5 B model
gets the figures wrong ("Five kilograms is equal to 10.23 pounds", "350 °F … ≈ 35.33 °C") or
writes out a formula, and it ignored the figure when it was given to it with the question. The
message stays chat for the intents (a conversion is a question about the world).

Pint's registry takes ~0.4 s to build: it is built on the first message that asks for a
conversion, never at start.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from assistant.nlu.normalize import normalize

# unit words as people say them → Pint's names (Pint itself knows "kilograms", "miles", "cups"…)
_ALIASES = {
    "fahrenheit": "degF",
    "degrees fahrenheit": "degF",
    "degree fahrenheit": "degF",
    "f": "degF",
    "celsius": "degC",
    "centigrade": "degC",
    "degrees celsius": "degC",
    "degree celsius": "degC",
    "degrees centigrade": "degC",
    "c": "degC",
    "kelvin": "kelvin",
    "kelvins": "kelvin",
    "kph": "kilometer / hour",
    "km/h": "kilometer / hour",
    "kilometers per hour": "kilometer / hour",
    "kilometres per hour": "kilometer / hour",
    "mph": "mile / hour",
    "miles per hour": "mile / hour",
    "lb": "pound",
    "lbs": "pound",
    "oz": "ounce",
    "fl oz": "fluid_ounce",
    "fluid ounce": "fluid_ounce",
    "fluid ounces": "fluid_ounce",
    "tbsp": "tablespoon",
    "tsp": "teaspoon",
    "ft": "foot",
    "feet": "foot",
    "kg": "kilogram",
    "kgs": "kilogram",
    "km": "kilometer",
    "cm": "centimeter",
    "mm": "millimeter",
    "ml": "milliliter",
    "l": "liter",
    "g": "gram",
    "st": "stone",
}
# how a unit is spelt in British English → Pint's American spelling
_BRITISH = (("litre", "liter"), ("metre", "meter"))
# the units a conversion may name: one or two words ("fluid ounces", "degrees celsius")
_UNIT = r"(?:°\s*)?[a-z]+(?:/[a-z]+)?(?:\s+(?:per\s+)?[a-z]+)?"
_NUMBER = r"\b(?P<n>\d+(?:\.\d+)?|(?:an?|one)(?=\s))"
_ASKS = (
    # "5 kilograms in pounds", "convert 10 miles to km", "350 degrees f to celsius"
    re.compile(rf"{_NUMBER}\s*(?P<from>{_UNIT})\s+(?:in|to|into|as)\s+(?P<to>{_UNIT})\b"),
    # "how many pounds is 5 kilograms", "how many cups in a liter", "how many feet are in a mile"
    re.compile(
        rf"how many\s+(?P<to>{_UNIT})\s+(?:are\s+|is\s+)?(?:there\s+)?(?:in|is|make|makes|equals?"
        rf"|to)\s+(?:an?\s+|one\s+)?{_NUMBER}?\s*(?P<from>{_UNIT})\b"
    ),
    # "what is 5 kilograms in pounds" is the first; "5 kilograms is how many pounds"
    re.compile(rf"{_NUMBER}\s*(?P<from>{_UNIT})\s+(?:is|equals?)\s+how many\s+(?P<to>{_UNIT})\b"),
    # "my recipe says 350 degrees fahrenheit what is that in celsius"
    re.compile(
        rf"{_NUMBER}\s*(?P<from>{_UNIT})\b(?:\s+\w+){{0,3}}?\s+(?:what'?s|what is|how much is"
        rf"|how many is|is) (?:that|it|this)\s+(?:in|to|into)\s+(?P<to>{_UNIT})\b"
    ),
)


@dataclass(frozen=True)
class Conversion:
    amount: float
    source: str  # as said ("kilograms")
    target: str
    result: float

    def sentence(self) -> str:
        """ "5 kilograms is 11.02 pounds." """
        source, target = _spoken(self.source), _spoken(self.target)
        return f"{_number(self.amount)} {source} is {_number(self.result)} {target}."


class UnitConverter:
    """``find(text)``: the conversion a message asks for, worked out, or None."""

    def __init__(self) -> None:
        self._registry: Any = None
        self._lock = threading.Lock()

    def _units(self) -> Any:
        with self._lock:
            if self._registry is None:
                import pint

                self._registry = pint.UnitRegistry(cache_folder=None)
            return self._registry

    def answer(self, text: str) -> str | None:
        """The answer to a message that asks for a conversion ("5 kilograms is 11.02
        pounds."), or None."""
        found = self.find(normalize(text))
        return found.sentence() if found is not None else None

    def find(self, normalized: str) -> Conversion | None:
        """``normalized``: the message as ``nlu.normalize`` writes it (numbers as digits)."""
        if not re.search(r"\b(?:in|to|into|as|how many|is|equals?)\b", normalized):
            return None
        for pattern in _ASKS:
            for match in pattern.finditer(normalized):
                found = self._convert(match)
                if found is not None:
                    return found
        return None

    def _convert(self, match: re.Match[str]) -> Conversion | None:
        said = match.group("n")
        amount = 1.0 if said in (None, "a", "an", "one") else float(said)
        source, target = _unit_words(match.group("from")), _unit_words(match.group("to"))
        units = [_unit_name(source), _unit_name(target)]
        if units[0] is None or units[1] is None:
            return None
        for source_unit, target_unit in _readings(units[0], units[1]):
            try:
                quantity = self._units().Quantity(amount, source_unit)
                result = float(quantity.to(target_unit).magnitude)
            except Exception:  # not units, or not of one kind (miles to kilograms)
                continue
            return Conversion(amount, source, target, result)
        return None


def _readings(source: str, target: str) -> list[tuple[str, str]]:
    """The units as said, then with an ounce read as a fluid ounce ("ounces in a cup")."""
    fluid = (_FLUID.get(source, source), _FLUID.get(target, target))
    return [(source, target)] if fluid == (source, target) else [(source, target), fluid]


_FLUID = {"ounce": "fluid_ounce", "ounces": "fluid_ounce"}


def _unit_words(said: str) -> str:
    """The unit's own words: two when they name one ("fluid ounces", "degrees f"), else the
    first ("feet" of "feet are", "pounds" of "pounds please")."""
    said = " ".join(said.lstrip("° ").split())
    if said in _ALIASES or said.startswith(("degrees ", "degree ", "square ", "cubic ")):
        return said
    return said.split(" ")[0] if said else said


def _unit_name(said: str) -> str | None:
    """Pint's name for a unit as said; None for a word that is no unit we convert."""
    if said.startswith("degrees ") and said[len("degrees ") :] in ("f", "c"):
        said = said[len("degrees ") :]
    if said in _ALIASES:
        return _ALIASES[said]
    for british, american in _BRITISH:
        said = said.replace(british, american)
    if not said.replace(" ", "").isalpha() or len(said) < 2:
        return None
    return said.replace(" ", "_")  # "square meters" → "square_meters"


# temperatures said in full
_TEMPERATURES = {"degF": "degrees Fahrenheit", "degC": "degrees Celsius", "kelvin": "kelvin"}


def _spoken(unit: str) -> str:
    """A unit as the answer says it: temperatures in full, the rest as the user said it."""
    name = _unit_name(unit)
    return _TEMPERATURES.get(name or "", unit)


def _number(value: float) -> str:
    """12 → "12", 176.667 → "176.7", 11.0231 → "11.02", 0.0353 → "0.0353"."""
    if float(value).is_integer():
        return f"{int(value):,}" if abs(value) >= 10_000 else str(int(value))
    if abs(value) >= 100:
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    if abs(value) >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"
