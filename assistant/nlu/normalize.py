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
# the numbers said as one word up to twenty, and the days of the week
SMALL_NUMBERS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
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


# units as people type them: no typos ("mins" is not "minus")
_UNIT_SHORTHAND = frozenset({"mins", "secs", "hrs", "mths", "wks"})


def _one_letter_short(word: str, target: str) -> bool:
    """ "tmer" of "timer": the target with one letter left out."""
    if len(target) != len(word) + 1:
        return False
    return any(target[:i] + target[i + 1 :] == word for i in range(len(target)))


@lru_cache(maxsize=4096)
def _correct_word(word: str) -> str:
    if len(word) < 4 or word in _vocabulary() or word in _UNIT_SHORTHAND:
        return word
    for target in COMMAND_WORDS:
        if _swapped(word, target) or _one_letter_short(word, target):
            return target
    if len(word) < 5:
        return word
    close = difflib.get_close_matches(word, COMMAND_WORDS, n=1, cutoff=0.85)
    return close[0] if close else word


def correct_typos(text: str) -> str:
    return _WORD.sub(lambda m: _correct_word(m.group(0)), text)


# "one" after an ordinal names a thing ("the first one seven minutes" was "the first 1 7 …")
_ORDINAL_ONE = re.compile(
    r"\b(first|second|third|fourth|fifth|last|other|next|1st|2nd|3rd|4th|5th) 1\b(?=\s+\d)"
)


def words_to_digits(text: str) -> str:
    """'set a timer for five minutes' → 'set a timer for 5 minutes' (keeps 'a', 'one')."""
    # "ninety second timer" would become "92nd timer": make the unit plural first
    text = re.sub(rf"\b{_TENS} second\b", r"\1 seconds", text)
    return _ORDINAL_ONE.sub(r"\1 one", alpha2digit(text, "en"))


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
    # typed shorthand
    "w/": "with",
    "calc": "calculate",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmrow": "tomorrow",
    "opn": "open",
    "reminde": "remind",
    "msg": "message",
    "nvm": "never mind",
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
    r"|i (?:wonder|was wondering|am wondering|'m wondering) if you (?:could|might|would|can)"
    r"(?: possibly)?(?: be so (?:kind|good) as to)?|yo"
    r"|(?:could|would) you (?:possibly |kindly )?be so (?:kind|good) as to|please you|you please)"
    r"\s+)*"
)


# What may follow any request, once or several times ("… would you", "…, thanks", "… for me
# please"): no part of a timer's name, an app's or what is asked about.
POLITE_TAIL = (
    r"(?:,?\s+(?:for me|please|pls|plz|now|would you|will you|could you|can you|thanks|"
    r"thank you|thanks a lot|cheers|ta|if you can|if you could|if you would|if you don't mind"
    r"|dear|mate|love))"
)


# A word said twice or more in a row ("set set a timer for for ten minutes", "open the the
# terminal"): a recogniser writes the speaker's stutter; not digits ("10 10") nor the few words
# said twice on purpose
_STUTTER = re.compile(r"\b([a-z]+(?:'[a-z]+)?)(?:[\s,]+\1\b)+", re.IGNORECASE)
_SAID_TWICE = frozenset({"bye", "knock", "very", "so", "ha", "no", "yes", "really", "tut"})
# A speaker correcting themselves: "seven times eight no seven times nine", "at four no five
# pm", "for five, no wait, six minutes", "on tuesday sorry i mean wednesday". The plain "no"
# and "sorry" are also ordinary words ("say no to", "say sorry to"): after them only a number,
# a weekday or a time's preposition starts a correction; after the others any word does.
_EXPLICIT_REPAIR = (
    r"no,? wait|wait,? no|no,? sorry|sorry,? i mean|i mean|i meant|or rather"
    r"|(?:no|actually),? make (?:it|that)"
)
_REPAIR = re.compile(
    rf"[,.]?\s+(?:(?P<explicit>{_EXPLICIT_REPAIR})|(?P<plain>no|sorry|actually))[,.]?\s+",
    re.IGNORECASE,
)
_NUMBER_WORD = r"\d+(?:[:.]\d+)?|" + "|".join(SMALL_NUMBERS) + "|" + _TENS[1:-1] + r"|half"
_WEEKDAY = "|".join(WEEKDAYS) + "|tomorrow|today"
_RESTATED = re.compile(rf"\b(?:{_NUMBER_WORD}|{_WEEKDAY})\b", re.IGNORECASE)
_TIME_PREPOSITION = frozenset({"at", "on", "in", "for", "by", "until", "from"})


def without_disfluencies(text: str) -> str:
    """The message as the speaker meant it: stutters said once, and a self-correction in
    place of what it corrects (the words after "no", "no wait", "I mean" … restate those
    from the last earlier use of their first word on, else from the last number or weekday;
    a bare number takes only the place of the number before it)."""
    text = _STUTTER.sub(
        lambda m: m.group(0) if m.group(1).lower() in _SAID_TWICE else m.group(1), text
    )
    for _ in range(3):  # "four no five no six"
        repaired = _one_repair(text)
        if repaired == text:
            break
        text = repaired
    return text


def _one_repair(text: str) -> str:
    for match in _REPAIR.finditer(text):
        before, after = text[: match.start()], text[match.end() :]
        first = after.split(maxsplit=1)[0].strip(",.").lower() if after.strip() else ""
        if not before.strip() or not first:
            continue
        restated = _RESTATED.fullmatch(first) is not None
        if match.group("plain") and not (restated or first in _TIME_PREPOSITION):
            continue
        same = list(re.finditer(rf"\b{re.escape(first)}\b", before, re.IGNORECASE))
        if same:
            return before[: same[-1].start()] + after
        earlier = list(_RESTATED.finditer(before)) if restated else []
        if not earlier:
            continue
        where = earlier[-1]
        if _RESTATED.fullmatch(after.strip(" ,.")):  # "for five minutes no six"
            return before[: where.start()] + after.strip(" ,.") + before[where.end() :]
        return before[: where.start()] + after
    return text


# A question asked indirectly ("I was wondering what today's date is", "do you happen to know
# what 144 divided by 16 is", "can you tell me what time it is"): asked directly
_INDIRECT_QUESTION = re.compile(
    r"^(?:(?:hey|so|um+|uh+|ok|okay|well|yo|oh)[\s,]+)*"
    r"(?:i (?:was |am |'m )?wondering|i wonder|do you (?:happen to |by any chance )?know"
    r"|any idea|(?:can|could) you (?:please )?tell me|tell me|please tell me)[\s,]+"
    r"(?P<wh>what|when|where|who|how (?:much|many|long|late|old|far))\s+"
    r"(?P<body>.+?)\s+(?P<verb>is|are|was|were)[\s?.!]*$",
    re.IGNORECASE,
)
_SUBJECT_PRONOUN = re.compile(r"\s+(it|they|that|this|he|she)$", re.IGNORECASE)


def direct_question(text: str) -> str:
    """An indirect question asked directly: "… what time it is" → "what time is it", "… what
    today's date is" → "what is today's date"; any other text as it was."""
    match = _INDIRECT_QUESTION.match(text.strip())
    if match is None:
        return text
    wh, body, verb = match.group("wh"), match.group("body"), match.group("verb")
    pronoun = _SUBJECT_PRONOUN.search(body)
    if pronoun:  # "what time it is" → "what time is it"
        return f"{wh} {body[: pronoun.start()]} {verb} {pronoun.group(1)}"
    return f"{wh} {verb} {body}"


# emoji and pictographs ("set a timer 🙏", "open spotify 🎵"), with their joiners and variants
_PICTOGRAPHS = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0e\ufe0f\u200d]+")
# a colon or a dash that parts a request from its details ("remind me: call Dad", "sunday 10am
# - renew my passport"); not a time's colon nor a word's hyphen
_PARTING = re.compile(r"(?<!\d):|:(?!\d)|(?<=[^\d\s]\s)[-–—]+(?=\s[^\d\s])")
LEAD_WORDS = 4  # typed typos are corrected in this many first words ("reminde me", "opn the")


# where a message's clauses part ("…, where did I park", "… oven!! 14 minutes please")
CLAUSE_BREAK = r"[.!?]+\s+|,\s+|\s+-\s+"
# where sentences end: after . ! or ? and a space, but not after a title ("Dr. Patel")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_TITLE = re.compile(r"\b(?:dr|mr|mrs|ms|st|jr|sr|prof|mt|vs|etc)\.$", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    """The message's sentences ("Long day. Can you set a timer for 25 min? Need a nap.")."""
    found: list[str] = []
    for piece in _SENTENCE_END.split(text.strip()):
        if found and _TITLE.search(found[-1]):
            found[-1] = f"{found[-1]} {piece}"
        elif piece.strip():
            found.append(piece)
    return found


def as_meant(text: str) -> str:
    """What the intent readers read: the message without emoji, stutters and self-corrections,
    typos in its first words (where the command's words are: the rest may be a name or a fact
    to keep as written), a question asked indirectly asked directly (the language model still
    gets the words said)."""
    text = _PARTING.sub(" ", _PICTOGRAPHS.sub(" ", text))
    words = text.split()
    head = " ".join(
        correct_typos(_SHORTHAND.sub(lambda m: SHORTHAND[m.group(1)], word))
        for word in words[:LEAD_WORDS]
    )
    text = " ".join([head, *words[LEAD_WORDS:]]) if head else ""
    return direct_question(without_disfluencies(text))


def normalize(text: str) -> str:
    """Lower case, no noise punctuation, numbers as digits, command words spelt right."""
    text = text.translate(_APOSTROPHES).lower()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = _DROP.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    text = _SHORTHAND.sub(lambda m: SHORTHAND[m.group(1)], text)
    text = _FILLERS.sub("", text)
    return words_to_digits(correct_typos(text))
