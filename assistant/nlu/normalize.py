"""Text normalisation shared by intent detection and slot extraction.

Typed and spoken messages end up alike: lower case, plain apostrophes, numbers as digits
(``text2num``), the most common misspellings of command words corrected against the model's own
vocabulary, and punctuation that carries no meaning removed (arithmetic signs are kept).
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from text_to_num import alpha2digit

# Words the commands hinge on; a misspelt word (not in the vocabulary) close to one of these is
# replaced by it ("timmer" → "timer", "remmber" → "remember").
COMMAND_WORDS = (
    "timer",
    "timers",
    "reminder",
    "reminders",
    "remind",
    "remember",
    "forget",
    "cancel",
    "minutes",
    "minute",
    "seconds",
    "second",
    "hours",
    "hour",
    "calculate",
    "conversation",
    "repeat",
    "launch",
    "open",
    "start",
    "stop",
    "quiet",
    "again",
    "everything",
    "birthday",
    "tomorrow",
    "tonight",
    "percent",
    "multiplied",
    "divided",
    "square",
    "root",
    "plus",
    "minus",
    "times",
    "what",
    "time",
    "date",
    "today",
    "left",
    "remaining",
    "delete",
    "erase",
    "please",
    "help",
    "editor",
    "browser",
    "terminal",
    "calculator",
)

_TENS = r"(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})
_TYPOGRAPHIC_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})


def straight_apostrophes(text: str) -> str:
    """ "I’m" as "I'm" (the user's or the model's words otherwise kept as they are)."""
    return text.translate(_TYPOGRAPHIC_APOSTROPHES)


_DROP = re.compile(r"[\"!?;,…]|(?<!\d)\.(?!\d)|\.$")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"(?<!['\w])[a-z]+(?!['\w])")


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    from assistant.nlu.embeddings import packaged_model_dir

    try:
        text = (packaged_model_dir() / "vocab.txt").read_text(encoding="utf-8")
    except Exception:
        return frozenset(COMMAND_WORDS)
    return frozenset(w for w in text.split() if w.isalpha()) | frozenset(COMMAND_WORDS)


def _swapped(word: str, target: str) -> bool:
    """True if ``word`` is ``target`` with two neighbouring letters swapped ("tiem")."""
    if len(word) != len(target) or word == target:
        return False
    diff = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and word[diff[0]] == target[diff[1]]
        and word[diff[1]] == target[diff[0]]
    )


@lru_cache(maxsize=4096)
def _correct_word(word: str) -> str:
    if len(word) < 4 or word in _vocabulary():
        return word
    for target in COMMAND_WORDS:
        if _swapped(word, target):
            return target
    if len(word) < 5:
        return word
    close = difflib.get_close_matches(word, COMMAND_WORDS, n=1, cutoff=0.85)
    return close[0] if close else word


def correct_typos(text: str) -> str:
    return _WORD.sub(lambda m: _correct_word(m.group(0)), text)


def words_to_digits(text: str) -> str:
    """'set a timer for five minutes' → 'set a timer for 5 minutes' (keeps 'a', 'one')."""
    # "ninety second timer" would become "92nd timer": make the unit plural first
    text = re.sub(rf"\b{_TENS} second\b", r"\1 seconds", text)
    return alpha2digit(text, "en")


# Chat shorthand and contractions typed without an apostrophe.
SHORTHAND = {
    "u": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "whats": "what's",
    "wheres": "where's",
    "whos": "who's",
    "hows": "how's",
    "thats": "that's",
    "dont": "don't",
    "cant": "can't",
    "wont": "won't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "isnt": "isn't",
    "im": "i'm",
    "ive": "i've",
    "youre": "you're",
    "lets": "let's",
    "todays": "today's",
    "moms": "mom's",
    "dads": "dad's",
}
_SHORTHAND = re.compile(r"(?<!['\w])(" + "|".join(SHORTHAND) + r")(?!['\w])")
_FILLERS = re.compile(r"^(?:(?:um+|uh+|erm|er|hmm+|so|well|like|okay so|ok so)\s+)+")

# What may come before any request, once or several times: greetings, fillers and the polite
# or indirect framings of "do this" ("hey", "um", "can you please", "would you mind", "I want you
# to", "you can", "go ahead and"). Used before the command phrasings, the slot readers' own
# verbs and the dialogue's follow-ups (on normalised text).
REQUEST_LEAD = (
    r"(?:(?:hey|hi|ok|okay|alright|please|pls|so|now|just|oh|ah|and|also|well|um+|uh+|erm|er|hmm+"
    r"|(?:can|could|would|will) (?:you|u)(?: please)?|would you mind|do you mind"
    r"|would it be possible to"
    r"|i (?:want|need|would like|'d like) you to|i'd like you to|you can|you could"
    r"|go ahead and|be a dear and|quickly|kindly|anyway|by the way|btw|one more thing"
    # the wordy and the non-native ("I wonder if you could possibly", "please you …")
    r"|i wonder if you (?:could|might|would|can)(?: possibly)?(?: be so kind as to)?"
    r"|(?:could|would) you (?:possibly |kindly )?be so kind as to|please you|you please)\s+)*"
)


# What may follow any request, once or several times ("… would you", "…, thanks", "… for me
# please"): no part of a timer's name, an app's or what is asked about.
POLITE_TAIL = (
    r"(?:,?\s+(?:for me|please|pls|plz|now|would you|will you|could you|can you|thanks|"
    r"thank you|thanks a lot|cheers|ta|if you can|if you could|if you would|if you don't mind"
    r"|dear|mate|love))"
)


def normalize(text: str) -> str:
    """Lower case, no noise punctuation, numbers as digits, command words spelt right."""
    text = text.translate(_APOSTROPHES).lower()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = _DROP.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    text = _SHORTHAND.sub(lambda m: SHORTHAND[m.group(1)], text)
    text = _FILLERS.sub("", text)
    return words_to_digits(correct_typos(text))
