"""Does a transcript sound finished? Lets the voice loop end a turn at a short pause.

Silence alone must be long (800 ms) because people pause mid-sentence. Whisper's own
punctuation and the last word tell most mid-sentence pauses apart: "Set a timer for" or "I was
wondering if," go on; "What time is it?" does not. A turn whose speculative transcript (made at
the first short pause) looks finished ends at once; one without punctuation ending on a content
word ends at half the silence; otherwise the loop waits for the full silence. When the user goes
on speaking anyway, the voice loop joins the two parts into one turn. With the acoustic model
(``assistant.voice.smart_turn``) on, ``ends_turn`` lets its score decide the turns whose words
do not go on.
"""

from __future__ import annotations

import enum
import re

# A sentence rarely ends on these words: articles, possessives, conjunctions, subject pronouns
# and fillers …
_ALWAYS_CONTINUES = frozenset(
    """
    a an the this these those my your his her our their its some any every each
    and or but nor so because if when while although though unless until since whether that
    i we they he she
    um uh er erm hmm mm ah eh like well
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
# … nor, unless it is a question ("Where are you from?", "Where is it?"), on these.
_CONTINUES_UNLESS_QUESTION = frozenset(
    """
    to of for with in on at from by about into onto over under between through after before
    during without than as via per
    is are am be been being do does
    what which who whom whose where why how
    """.split()  # noqa: SIM905
)
_FINAL_PUNCTUATION = re.compile(r"[.!?]['\")\]]*$")
_TRAILING_OFF = re.compile(r"(\.\.\.|…|[,;:\-–—])['\")\]]*$")
_WORD = re.compile(r"[a-z0-9']+")


class Verdict(enum.Enum):
    FINISHED = "finished"  # "What time is it?": end the turn at the first short pause
    UNSURE = "unsure"  # "4 queen of clubs" (no punctuation): end it at half the silence
    GOES_ON = "goes on"  # "Set a timer for", "I was wondering if,": wait for the full silence


def verdict(text: str) -> Verdict:
    """How ``text`` (a Whisper transcript up to a pause) reads: finished, unsure, or going on."""
    text = text.strip()
    words = _WORD.findall(text.lower())
    if not words or _TRAILING_OFF.search(text) or words[-1] in _ALWAYS_CONTINUES:
        return Verdict.GOES_ON
    question = text.rstrip("'\")]").endswith("?")
    if not question and words[-1] in _CONTINUES_UNLESS_QUESTION:
        return Verdict.GOES_ON
    return Verdict.FINISHED if _FINAL_PUNCTUATION.search(text) else Verdict.UNSURE


def looks_complete(text: str) -> bool:
    """True when ``text`` reads as a finished request."""
    return verdict(text) is Verdict.FINISHED


# Smart Turn's own threshold: a probability at least this high means "the turn is complete".
COMPLETE = 0.5


def ends_turn(
    reading: Verdict | None,
    probability: float | None,
    silence_ms: float,
    full_silence_ms: float,
    complete: float = COMPLETE,
) -> bool:
    """Does a pause of ``silence_ms`` end the turn now (else: wait)?

    ``reading``: how the speculative transcript up to the pause reads (None until it is known);
    ``probability``: the acoustic end-of-turn model's score of the same audio (None when the
    model is off). The full silence always ends the turn. A transcript that goes on waits for it;
    otherwise, without the model, finished ends the turn at once and unsure at half the silence;
    with it, the model decides: complete ends the turn at once, incomplete waits for the full
    silence (a finished-looking "He was not." said with the voice of a sentence going on).
    """
    if silence_ms >= full_silence_ms:
        return True
    if reading is None or reading is Verdict.GOES_ON:
        return False
    if probability is not None:
        return probability >= complete
    return reading is Verdict.FINISHED or silence_ms >= full_silence_ms / 2


# Replies that changed nothing, so a turn answered by them can be withdrawn and asked again whole
# (the language model, and skills that only read); a timer set or a fact stored stays.
WITHDRAWABLE_SKILLS = frozenset(
    {"time", "date", "calculate", "timer.status", "memory.recall", "repeat", "help"}
)


# What a listener says to show they are following, not to take the turn ("mm-hmm", "yeah,
# right", "oh, I see"): said over a reply, it must not stop it.
_BACKCHANNEL_WORDS = frozenset(
    """
    mm mmm hmm hm mhm mm-hmm mmhmm uh-huh uhhuh uh huh ah oh wow
    yeah yes yep yup yea ok okay right sure alright cool nice good great
    i see got it all
    """.split()  # noqa: SIM905
)
_NOT_ALONE = frozenset(("i", "got", "it", "all"))  # parts of "I see", "got it", "all right"
_BACKCHANNEL_MAX_WORDS = 3
_BACKCHANNEL_TOKEN = re.compile(r"[a-z]+(?:-[a-z]+)*")


def is_backchannel(text: str) -> bool:
    """``text`` (a transcript of speech over a reply) is only a sign of listening."""
    words = _BACKCHANNEL_TOKEN.findall(text.lower())
    if not words or len(words) > _BACKCHANNEL_MAX_WORDS:
        return False
    if len(words) == 1 and words[0] in _NOT_ALONE:
        return False
    return all(word in _BACKCHANNEL_WORDS for word in words)
