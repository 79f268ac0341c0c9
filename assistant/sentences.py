"""Cut a streaming reply into sentences, so speech can start before the reply is finished.

The first piece may be a clause: it ends at the first comma, colon or dash after two words
("Today is Monday," while the date is still being generated) or before a quotation ("The
sentence" | "\"He was not …\" is from …"), before a word that opens a
subordinate clause after three ("I'm not sure" | "what you mean by …", "A rainbow forms" |
"when sunlight …"), before the verb after a subject of four words ("The passage you provided" |
"is from a novel …") or a preposition after five ("The Queen of Clubs is a card" | "in the
deck …") once the words after show the sentence goes on, or before "and"/"or" after six ("I'm
sorry for the wait" | "and …"). The voice starts a clause earlier, which is most of the wait
for a reply on a CPU: the model decodes ~12 tokens/s on two cores, so a first sentence of 15
tokens waits 1.2 s, its first words a third of that, and the rest is ready before they have
been spoken (speech is ~2.5 words/s, decoding ~9).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_END = re.compile(r"([.!?…]+[\"')\]]*)(\s+)|(\n+)")
_CLAUSE_END = re.compile(r"([,;:]|\s[—–])(\s+)")
# … or before a word that opens a subordinate clause ("I'm not sure | what you mean") …
_BEFORE_SUBORDINATE = re.compile(
    r"()(\s+)(?=(?:what|when|where|why|how|who|which|if|whether|because|but|while|although"
    r"|though|since|unless|until)\s)"
)
SUBORDINATE_WORDS = 3
# … or before the verb after a long subject ("The passage you provided | is from a novel"), or
# before a preposition once the first piece has grown long ("The Queen of Clubs is a card | in
# the deck"), where a speaker would take breath. Not inside a quotation, not after a word that
# needs the next one ("the smallest unit of matter that | can exist", "it is | from"), and not
# before "to", "of", "as" or "that" ("able | to chat", "such | as", "do | that") …
_BEFORE_VERB = re.compile(
    r"()(\s+)(?=(?:is|are|was|were|has|have|had|can|could|will|would|should|may|might|must"
    r"|does|did|seems|appears|looks|sounds|refers)\s)"
)
VERB_WORDS = 4
_BEFORE_PREPOSITION = re.compile(
    r"()(\s+)(?=(?:in|on|at|for|with|from|by|about|into|during|after|before|through|over"
    r"|under|without)\s)"
)
PREPOSITION_WORDS = 5
_NEEDS_NEXT = {
    *("a", "an", "the", "that", "which", "who", "whom", "whose", "to", "of", "not", "very"),
    *("is", "are", "was", "were", "be", "been", "has", "have", "had", "do", "does", "did"),
    *("can", "could", "will", "would", "should", "may", "might", "must"),
    *("i", "you", "we", "they", "he", "she", "it"),  # "I'm sorry that we | are not able"
}
# … and only once the words after the cut show a sentence that goes on (three of them and no
# full stop: "The currency of Japan is the yen." stays whole, ~0.3 s later than a cut) …
PHRASE_LOOKAHEAD_WORDS = 3
# … or before "and"/"or", once the first piece is long ("I'm sorry for the wait | and …";
# sooner would cut "black | and white")
_BEFORE_CONJUNCTION = re.compile(r"()(\s+)(?=(?:and|or|so)\s)")
CONJUNCTION_WORDS = 6
# … or before a quotation, where a speaker takes breath too ("The sentence" | "\"He was not an
# ill-disposed young man\" is …": the quoted words and the verb after them came ~1 s later)
_BEFORE_QUOTE = re.compile(r"()(\s+)(?=[\"“])")
_PHRASES = (_BEFORE_VERB, _BEFORE_PREPOSITION, _BEFORE_QUOTE)
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "no",
    "approx",
    "a.m",
    "p.m",
}
MIN_CHARS = 12  # very short pieces ("Hi.") are joined to the next sentence for a natural flow
FIRST_CLAUSE_WORDS = 2  # the first piece may end at a clause once it has this many words


class SentenceSplitter:
    """Feed text pieces; get back every sentence that became complete (the first one may be a
    clause of ``first_clause_words`` or more words; 0 = whole sentences only)."""

    def __init__(self, min_chars: int = MIN_CHARS, first_clause_words: int = 0) -> None:
        self._buffer = ""
        self._min_chars = min_chars
        self._first_clause_words = first_clause_words
        self._emitted = False

    def feed(self, piece: str) -> list[str]:
        self._buffer += piece
        sentences = self._first_clause() if not self._emitted else []
        sentences += self._sentences()
        self._emitted = self._emitted or bool(sentences)
        return sentences

    def _first_clause(self) -> list[str]:
        if not self._first_clause_words:
            return []
        for pattern, words in (
            (_CLAUSE_END, self._first_clause_words),
            (_BEFORE_QUOTE, self._first_clause_words),
            (_BEFORE_SUBORDINATE, max(self._first_clause_words, SUBORDINATE_WORDS)),
            (_BEFORE_VERB, max(self._first_clause_words, VERB_WORDS)),
            (_BEFORE_PREPOSITION, max(self._first_clause_words, PREPOSITION_WORDS)),
            (_BEFORE_CONJUNCTION, max(self._first_clause_words, CONJUNCTION_WORDS)),
        ):
            for match in pattern.finditer(self._buffer):
                clause = self._buffer[: match.end(1)].strip()
                if (
                    len(clause.split()) >= words
                    and not _holds_a_sentence_end(clause)
                    and (pattern not in _PHRASES or self._goes_on(clause, match.end()))
                ):
                    self._buffer = self._buffer[match.end() :]
                    return [clause]
        return []

    def _goes_on(self, clause: str, cut: int) -> bool:
        """Whether a cut before a phrase is worth it: not inside a quotation, and the words
        after it already run on without ending the sentence."""
        rest = self._buffer[cut:]
        return (
            clause.count('"') % 2 == 0
            and clause.count("“") == clause.count("”")
            and clause.split()[-1].lower() not in _NEEDS_NEXT
            and len(rest.split()) >= PHRASE_LOOKAHEAD_WORDS
            and not _holds_a_sentence_end(rest)
        )

    def _sentences(self) -> list[str]:
        sentences: list[str] = []
        start = 0
        for match in _sentence_ends(self._buffer):
            end = match.end()
            candidate = self._buffer[start:end].strip()
            if len(candidate) < self._min_chars and not match.group(3):
                continue
            if candidate:
                sentences.append(candidate)
            start = end
        self._buffer = self._buffer[start:]
        return sentences

    def flush(self) -> list[str]:
        rest = self._buffer.strip()
        self._buffer = ""
        return [rest] if rest else []


def _sentence_ends(text: str) -> Iterator[re.Match[str]]:
    """The ends of sentences in ``text``: a full stop, question or exclamation mark and the
    space after it, or a line break; not the point of "Mr." or "p.m." ("Mr. John Dashwood was
    …" is one sentence so far)."""
    for match in _END.finditer(text):
        if not (match.group(1) and _ends_with_abbreviation_or_number(text[: match.start(1) + 1])):
            yield match


def _holds_a_sentence_end(text: str) -> bool:
    return any(_sentence_ends(text + " "))


def _ends_with_abbreviation_or_number(text: str) -> bool:
    words = text.rstrip(".").split()
    if not words:
        return False
    last = words[-1].lower().strip("(\"'")
    if last in _ABBREVIATIONS:
        return True
    return len(last) == 1 and last.isalpha() and text.endswith(".")  # initials: "J. Smith"


def split_sentences(text: str) -> list[str]:
    splitter = SentenceSplitter()
    return splitter.feed(text) + splitter.flush()
