"""Drops the "As an AI language model," that small models open half their small talk with.

The persona asks for it not to be said, and the 1.5 B default model says it anyway (in 19 of
40 small-talk replies, 2026-12-07); once in the conversation, the model copies it into the next
replies. The opener is removed from the reply's start as it streams, so it is neither shown,
spoken nor stored (and so never copied): "As an AI language model, I don't have a favourite
colour." becomes "I don't have a favourite colour.". The start is held back only while it can
still become the opener (a few tokens); any other reply streams as it comes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_OPENER = re.compile(
    r"\s*as an (?:ai|artificial intelligence)(?: (?:language model|model|assistant|program))?"
    r"\s*,\s*",
    re.IGNORECASE,
)
# every way the opener can be written, to tell whether a reply's start may still become one
_FORMS = tuple(
    f"as an {who}{what},"
    for who in ("ai", "artificial intelligence")
    for what in ("", " language model", " model", " assistant", " program")
)


def _may_become_opener(start: str) -> bool:
    text = " ".join(start.lower().split())
    return any(form.startswith(text) for form in _FORMS)


def without_ai_opener(pieces: Iterable[str]) -> Iterator[str]:
    """``pieces`` of a reply, without an "As an AI (language model)," at its start."""
    stream = iter(pieces)
    held = ""
    for piece in stream:
        held += piece
        found = _OPENER.match(held)
        if found is not None:
            rest = held[found.end() :]
            if not rest:
                continue  # the word after the comma decides nothing yet; wait for it
            yield rest[0].upper() + rest[1:]
            break
        if not _may_become_opener(held):
            yield held
            break
    else:
        if held:  # the reply ended while it could still have been the opener
            yield held
        return
    yield from stream
