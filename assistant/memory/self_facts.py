"""Facts the user states about themselves in passing ("my name is Sam", "I live in Lyon").

They are stored as long-term facts (like an explicit "remember that …"), so the system prompt
carries them in later turns and later conversations; a small model uses a fact in its system
prompt far more reliably than one buried in the history. A newer statement of the same kind
(a new name, a new city) replaces the older one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = r"([A-Z][\w'-]+(?: [A-Z][\w'-]+)?)"
_PLACE = r"([A-Z][\w'.-]+(?:[ ,-]+[A-Z][\w'.-]+){0,3})"
_THING = r"([^.,;!?]{2,60})"

# (key, pattern, template): the key groups facts that replace each other.
_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (key, re.compile(pattern, re.IGNORECASE if key not in ("name", "home") else 0), template)
    for key, pattern, template in (
        (
            "name",
            rf"\b(?:[Mm]y name is|[Cc]all me|[Ii]'m called|[Ii] am called) {_NAME}",
            "The user's name is {0}.",
        ),
        (
            "home",
            rf"\b(?:I live in|I'm from|I am from|I'm living in|I moved to) {_PLACE}",
            "The user lives in {0}.",
        ),
        ("job", rf"\bI work as (?:an? )?{_THING}", "The user works as {0}."),
        ("allergy", rf"\bI(?:'m| am) allergic to {_THING}", "The user is allergic to {0}."),
        (
            "favourite-{0}",
            r"\bmy fav(?:ou?rite) (\w+) is ([^.,;!?]{2,60})",
            "The user's favourite {0} is {1}.",
        ),
    )
)
_NOT_NAMES = {"Not", "Just", "So", "Very", "Really", "Sorry", "Fine", "Good", "Tired", "Here"}


@dataclass(frozen=True)
class SelfFact:
    key: str
    text: str


def extract_self_facts(message: str) -> list[SelfFact]:
    facts = []
    for key, pattern, template in _PATTERNS:
        match = pattern.search(message)
        if not match:
            continue
        groups = [g.strip() for g in match.groups()]
        if key == "name" and groups[0].split()[0] in _NOT_NAMES:
            continue
        facts.append(SelfFact(key.format(*groups), template.format(*groups)))
    return facts
