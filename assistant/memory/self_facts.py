"""Facts the user states about themselves in passing ("my name is Sam", "I'm vegan", "the gate
code at mum's is 4719").

They are stored as long-term facts (like an explicit "remember that …"), so the system prompt
carries them in later turns and later conversations; a small model uses a fact in its system
prompt far more reliably than one buried in the history (measured: a vegan told two turns
earlier was offered a turkey wrap; with the fact in the prompt, hummus and avocado). A newer
statement of the same kind (a new name, a new city, a new gate code) replaces the older one.

Only lasting facts: a statement about today or tomorrow ("my train leaves at 6:40 tomorrow")
would mislead next week, and a remark without a value ("my knees are really feeling it") is no
fact; both stay in the conversation's history only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = r"([A-Z][\w'-]+(?: [A-Z][\w'-]+)?)"
_PLACE = r"([A-Z][\w'.-]+(?:[ ,-]+[A-Z][\w'.-]+){0,3})"
_THING = r"([^.,;!?]{2,60})"
# a value up to the end of its clause: "bluebird42", "12 years old", "Oliver"
_WORD = r"[^\s,;!?]*[^\s,;!?.]"  # may hold a dot ("6.40"), never ends in one
_VALUE = rf"({_WORD}(?: {_WORD}){{0,5}}?)(?=\.?(?:\s*$|[,;!?]|\s+(?:and|but)\b))"
# what a diet rules out, said with it: a small model told only "the user is vegan" still
# offered a vegan a turkey sandwich
_DIET_MEANS = {
    "vegan": "no meat, fish, eggs, dairy or honey",
    "vegetarian": "no meat or fish",
    "pescatarian": "fish but no meat",
    "gluten-free": "no wheat, barley or rye",
    "coeliac": "no gluten: no wheat, barley or rye",
    "celiac": "no gluten: no wheat, barley or rye",
    "lactose intolerant": "no milk, cheese, cream or butter",
    "lactose-intolerant": "no milk, cheese, cream or butter",
    "dairy-free": "no milk, cheese, cream or butter",
    "halal": "no pork and no alcohol",
    "kosher": "no pork and no shellfish",
    "teetotal": "no alcohol",
    "diabetic": "little sugar",
}
_DIETS = (
    r"vegan|vegetarian|pescatarian|gluten[- ]free|lactose[- ]intolerant|dairy[- ]free|coeliac"
    r"|celiac|halal|kosher|diabetic|teetotal"
)
# a thing liked or avoided, not a pronoun or a clause ("I like it", "I hate when …")
_LIKED = (
    r"(?!(?:it|that|this|them|you|your|him|her|his|my|our|their|when|how|what|to|being|on|"
    r"the (?:idea|way))\b)"
    r"([^.,;!?]{2,40}?)(?: (?:completely|entirely|altogether|so much|a lot|very much))?"
    r"(?=\s*(?:[.,;!?]|$|\bbut\b|\band\b|\bbecause\b|\bso\b))"
)
_FOODS = r"meat|pork|beef|fish|seafood|dairy|eggs|gluten|nuts|shellfish|alcohol|sugar"
# things whose value is worth keeping however it is written ("the wifi password is x7")
_KEPT_THINGS = r"password|passcode|pin|code|combination|number|address|e-?mail|birthday|anniversary"

# (key, pattern, template): the key groups facts that replace each other; "{0}" in a key or a
# template is the first group, and so on.
_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (key, re.compile(pattern, flags), template)
    for key, pattern, flags, template in (
        (
            "name",
            rf"\b(?:[Mm]y name is|[Cc]all me|[Ii]'m called|[Ii] am called) {_NAME}",
            0,
            "The user's name is {0}.",
        ),
        (
            "home",
            rf"\b(?:I live in|I'm from|I am from|I'm living in|I(?:'ve)? moved to"
            rf"|[Ww]e live in|[Ww]e(?:'ve)? moved to) {_PLACE}",
            0,
            "The user lives in {0}.",
        ),
        ("job", r"\bI work as ((?:an? |the )?[^.,;!?]{2,60})", re.I, "The user works as {0}."),
        ("job", rf"\bI teach {_THING}", re.I, "The user teaches {0}."),
        ("allergy", rf"\bI(?:'m| am) allergic to {_THING}", re.I, "The user is allergic to {0}."),
        (
            "diet-{0}",
            rf"\bI(?:'m| am|'ve been| have been)"
            rf"(?: (?:a|an|strict|strictly|fully|mostly|now|also))* ({_DIETS})\b",
            re.I,
            "The user is {0}{diet}.",
        ),
        (
            "avoids-{0}",
            rf"\bI (?:don't|do not|can't|cannot|never) eat ({_FOODS})\b",
            re.I,
            "The user doesn't eat {0}.",
        ),
        ("born", r"\bI was born (on|in) ([^.,;!?]{2,40})", re.I, "The user was born {0} {1}."),
        (
            # "we just adopted a beagle called Biscuit"
            "has-{0}",
            r"\b(?:I|[Ww]e) (?:just |recently |finally )?(?:adopted|got|have|bought|rescued) "
            r"(?:a|an) ([a-z][\w -]{1,30}?) (?:called|named) ([A-Z][\w'-]+)",
            0,
            "The user has a {0} called {1}.",
        ),
        (
            "age",
            r"\bI(?:'m| am) (\d{1,3})(?: years? old)?(?=\s*(?:[,.!;]|$|and\b|but\b|by\b))",
            re.I,
            "The user is {0} years old.",
        ),
        (
            "likes-{0}",
            rf"\bI (?:really |just |absolutely )?(?:love|like|enjoy|adore) {_LIKED}",
            re.I,
            "The user likes {0}.",
        ),
        (
            "likes-{0}",
            rf"\bI (?:really |just |absolutely )?(?:don't like|do not like|can't stand|cannot "
            rf"stand|hate|dislike|can't bear) {_LIKED}",
            re.I,
            "The user doesn't like {0}.",
        ),
        (
            "avoids-{0}",
            rf"\bI(?:'m| am)? (?:trying to |going to )?(?:cut(?:ting)? out|avoid(?:ing)?|"
            rf"giv(?:e|ing) up|stay(?:ing)? away from) {_LIKED}",
            re.I,
            "The user avoids {0}.",
        ),
        (
            "takes-{0}",
            r"\bI (?:take|have|drink|like) my (coffee|tea) ([^.;!?]{2,40})",
            re.I,
            "The user likes {0} {1}.",
        ),
        (
            "favourite-{0}",
            r"\bmy fav(?:ou?rite) (\w+) is ([^.,;!?]{2,60})",
            re.I,
            "The user's favourite {0} is {1}.",
        ),
        (
            # "my son's name is Oliver", "my parrot Kiwi is 12 years old": a value checked below
            "my-{0}",
            rf"(?:^|,\s*|\b(?:and|but|so|well|also|oh)\s+)(?:[Mm]y|[Oo]ur) "
            rf"((?!name\b|fav)(?:[\w'-]+ ){{0,4}}?[\w'-]+) (is|are|was) {_VALUE}",
            0,
            "The user's {0} {1} {2}.",
        ),
        (
            # "the wifi password at home is bluebird42"
            "the-{0}",
            rf"\b[Tt]he ((?:[\w'-]+ ){{0,3}}(?:{_KEPT_THINGS})"
            rf"(?: (?:at|for|of|to|on) [\w' -]{{1,30}}?)?) (is|was) {_VALUE}",
            0,
            "The {0} {1} {2}.",
        ),
    )
)
_NOT_NAMES = {"Not", "Just", "So", "Very", "Really", "Sorry", "Fine", "Good", "Tired", "Here"}
# a statement about now or soon: kept in the conversation, not as a lasting fact
_FOR_NOW = re.compile(
    r"\b(today|tonight|tomorrow|yesterday|this (morning|afternoon|evening|week|weekend)|next "
    r"\w+|last night|right now|at the moment|currently|later|on (mon|tues|wednes|thurs|fri|"
    r"satur|sun)day)\b"
    # an event, which is soon over ("my dentist appointment is at 4", "my flight is at 7 pm")
    r"|\b(appointment|meeting|flight|train|bus|interview|party|exam|lesson|class|match|game)"
    r"s? (is|was|are|were|starts|leaves)\b",
    re.I,
)
_PRONOUN = re.compile(r"\b(it|this|that|them|these|those)\b", re.I)  # "my budget for it"
_NO_VALUE = re.compile(r"^(not|never|no|so|too|very|really|a bit|kind of|sort of)\b", re.I)
_NAMED = re.compile(r"(name|called)$|\b(" + _KEPT_THINGS + r")\b", re.I)


@dataclass(frozen=True)
class SelfFact:
    key: str
    text: str


def _worth_keeping(key: str, groups: list[str]) -> bool:
    if key == "name":
        return groups[0].split()[0] not in _NOT_NAMES
    if key.startswith(("my-", "the-")):
        thing, value = groups[0], groups[-1]
        if _NO_VALUE.match(value) or _PRONOUN.search(thing):
            return False
        # a value, not a remark: a number, a name, or the value of a thing worth keeping
        return bool(
            re.search(r"\d", value)
            or re.search(r"\b[A-Z]", f"{thing} {value}")  # a name: "our dog Rufus is a …"
            or _NAMED.search(thing)
        )
    return True


def extract_self_facts(message: str) -> list[SelfFact]:
    """The lasting facts a message states about the user, one per kind (``key``)."""
    facts: dict[str, SelfFact] = {}
    for clause in re.split(r"(?<=[.!?])\s+", message.strip()):
        if clause.endswith("?") or _FOR_NOW.search(clause):
            continue
        for key, pattern, template in _PATTERNS:
            match = pattern.search(clause)
            if not match:
                continue
            # the user's own words in a fact about them: "the gate code at the user's mum's"
            groups = [
                re.sub(r"\b[Mm]y\b", "the user's", g.strip().rstrip(".,;!?"))
                for g in match.groups()
            ]
            if not _worth_keeping(key, groups):
                continue
            kind = key.format(*(g.lower() for g in groups))
            means = _DIET_MEANS.get(groups[0].lower().replace("gluten free", "gluten-free"))
            diet = f" ({means})" if key.startswith("diet") and means else ""
            if kind not in facts:
                facts[kind] = SelfFact(kind, template.format(*groups, diet=diet))
    return list(facts.values())
