"""Keeping the parts of a long shared text that matter for the question, within a token budget.

The text is cut into chunks (lines grouped within a paragraph); the chunks most similar to the
question (MiniLM sentence embeddings; word overlap if the model is unavailable) are kept, in
their original order, until the budget is used. Left-out stretches are marked in the text and
counted, so the model and the user are told that something was left out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.errors import AssistantError
from assistant.nlu.embeddings import Embedder

log = logging.getLogger(__name__)

TokenCount = Callable[[str], int]
GAP_MARK = "[…]"
CHUNK_TOKENS = 48  # a chunk is a few lines of one paragraph


def approx_tokens(text: str) -> int:
    """About four characters a token (English, SmolLM/GPT-style tokenizers)."""
    return (len(text) + 3) // 4


@dataclass(frozen=True)
class Selection:
    text: str
    kept_lines: int
    total_lines: int

    @property
    def left_out(self) -> bool:
        return self.kept_lines < self.total_lines

    def notice(self) -> str:
        return (
            f"The text in the image is long: I used the {self.kept_lines} of its "
            f"{self.total_lines} lines most relevant to your question."
        )


def chunks(text: str, count: TokenCount, max_tokens: int = CHUNK_TOKENS) -> list[list[str]]:
    """Lines grouped into chunks that never cross a paragraph break."""
    out: list[list[str]] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        current: list[str] = []
        for line in (ln.strip() for ln in paragraph.splitlines()):
            if not line:
                continue
            if current and count("\n".join([*current, line])) > max_tokens:
                out.append(current)
                current = []
            current.append(line)
        if current:
            out.append(current)
    return out


def _overlap_scores(question: str, pieces: Sequence[str]) -> np.ndarray:
    words = set(re.findall(r"\w+", question.lower()))
    return np.array([len(words & set(re.findall(r"\w+", p.lower()))) for p in pieces], float)


def select_relevant(
    text: str,
    question: str,
    budget_tokens: int,
    embedder: Embedder | None = None,
    count: TokenCount = approx_tokens,
) -> Selection:
    """The whole text if it fits ``budget_tokens``, else the most relevant chunks that do."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if count(text) <= budget_tokens:
        return Selection(text.strip(), len(lines), len(lines))
    parts = chunks(text, count)
    pieces = ["\n".join(p) for p in parts]
    scores = None
    if embedder is not None:
        try:
            vectors = embedder.encode([question, *pieces])
            scores = vectors[1:] @ vectors[0]
        except AssistantError as err:  # the model is missing: fall back to shared words
            log.warning("relevance by word overlap (%s)", err)
    if scores is None:
        scores = _overlap_scores(question, pieces)
    reserve = count(f"\n{GAP_MARK}\n") * (len(parts) // 2 + 1)
    chosen: set[int] = set()
    used = 0
    for index in np.argsort(-scores, kind="stable"):
        cost = count(pieces[index]) + 1
        if used + cost + min(reserve, len(chosen) * 4 + 4) > budget_tokens:
            continue
        chosen.add(int(index))
        used += cost
    out: list[str] = []
    for i, piece in enumerate(pieces):
        if i in chosen:
            out.append(piece)
        elif not out or out[-1] != GAP_MARK:
            out.append(GAP_MARK)
    kept = sum(len(parts[i]) for i in chosen)
    return Selection("\n".join(out), kept, len(lines))


class ContextFitter:
    """Fits shared text to the language model's budget for one question (used by the engine).

    ``notify`` receives the one-line notice when text was left out.
    """

    def __init__(
        self,
        budget_tokens: int,
        embedder: Embedder | None = None,
        count: TokenCount = approx_tokens,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.budget_tokens = budget_tokens
        self.embedder = embedder
        self.count = count
        self.notify = notify

    def fit(self, context: str, question: str) -> str:
        selection = select_relevant(
            context, question, self.budget_tokens, self.embedder, self.count
        )
        if not selection.left_out:
            return selection.text
        if self.notify is not None:
            self.notify(selection.notice())
        return (
            selection.text + f"\n(Only part of the text is shown: {GAP_MARK} marks what was "
            "left out. Say so if the answer may be in the missing part.)"
        )
