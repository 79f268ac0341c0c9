"""Cut a streaming reply into sentences, so speech can start before the reply is finished."""

from __future__ import annotations

import re

_END = re.compile(r"([.!?…]+[\"')\]]*)(\s+)|(\n+)")
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "e.g", "i.e", "no", "approx"}
MIN_CHARS = 12  # very short pieces ("Hi.") are joined to the next sentence for a natural flow


class SentenceSplitter:
    """Feed text pieces; get back every sentence that became complete."""

    def __init__(self, min_chars: int = MIN_CHARS) -> None:
        self._buffer = ""
        self._min_chars = min_chars

    def feed(self, piece: str) -> list[str]:
        self._buffer += piece
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
