"""Cut a streaming reply into sentences, so speech can start before the reply is finished.

The first piece may be a clause: it ends at the first comma, colon or dash after two words
("Today is Monday," while the date is still being generated), before a word that opens a
subordinate clause after three ("I'm not sure" | "what you mean by …", "A rainbow forms" |
"when sunlight …"), or before "and"/"or" after six ("I'm sorry for the wait" | "and …"). The
voice starts a clause earlier, which is most of the wait for a reply on a CPU: the model
decodes ~12 tokens/s on two cores, so a first sentence of 15 tokens waits 1.2 s, its first
three words a quarter of that, and the rest is ready before they have been spoken.
"""

from __future__ import annotations

import re

_END = re.compile(r"([.!?…]+[\"')\]]*)(\s+)|(\n+)")
_CLAUSE_END = re.compile(r"([,;:]|\s[—–])(\s+)")
# … or before a word that opens a subordinate clause ("I'm not sure | what you mean") …
_BEFORE_SUBORDINATE = re.compile(
    r"()(\s+)(?=(?:what|when|where|why|how|who|which|if|whether|because|but|while|although"
    r"|though|since|unless|until)\s)"
)
SUBORDINATE_WORDS = 3
# … or before "and"/"or", once the first piece is long ("I'm sorry for the wait | and …";
# sooner would cut "black | and white")
_BEFORE_CONJUNCTION = re.compile(r"()(\s+)(?=(?:and|or|so)\s)")
CONJUNCTION_WORDS = 6
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
            (_BEFORE_SUBORDINATE, max(self._first_clause_words, SUBORDINATE_WORDS)),
            (_BEFORE_CONJUNCTION, max(self._first_clause_words, CONJUNCTION_WORDS)),
        ):
            for match in pattern.finditer(self._buffer):
                clause = self._buffer[: match.end(1)].strip()
                if len(clause.split()) >= words and not _END.search(clause + " "):
                    self._buffer = self._buffer[match.end() :]
                    return [clause]
        return []

    def _sentences(self) -> list[str]:
        sentences: list[str] = []
        start = 0
        for match in _END.finditer(self._buffer):
            end = match.end()
            candidate = self._buffer[start:end].strip()
            if match.group(1) and _ends_with_abbreviation_or_number(
                self._buffer[start : match.start(1) + 1]
            ):
                continue
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
