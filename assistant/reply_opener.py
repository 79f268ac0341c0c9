"""Drops the "As an AI language model," that small models open half their small talk with, and
an opening "I am an AI language model created by Anthropic." (an invented maker).

The persona asks for it not to be said, and the 1.5 B default model says it anyway (in 19 of
40 small-talk replies, 2026-12-07); once in the conversation, the model copies it into the next
replies. The opener is removed from the reply's start as it streams, so it is neither shown,
spoken nor stored (and so never copied): "As an AI language model, I don't have a favourite
colour." becomes "I don't have a favourite colour.". The start is held back only while it can
still become the opener (a few tokens); any other reply streams as it comes.

The default model, told in its persona that it does not know who made it and shown an
example, still opened "How old are you?" and "Do you have kids?" with "I am an AI language
model created by Anthropic." (2026-12-07): that first sentence is dropped the same way (held
back only while the reply starts "I am an AI …" and its first sentence has not ended), and a
reply that was nothing else becomes ``INSTEAD_OF_A_MAKER``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from assistant.nlu.normalize import straight_apostrophes

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
_MAKER_CLAIM = re.compile(
    r"\s*i(?: am|'m) an? (?:ai|artificial intelligence)\b[^.!?\n]*?"
    r"\b(?:created|developed|made|trained|built|designed) (?:by|at) [^.!?\n]*[.!?]\s*",
    re.IGNORECASE,
)
_SELF_INTROS = ("i am an ai", "i'm an ai", "i am an artificial", "i'm an artificial")
INSTEAD_OF_A_MAKER = "I'm an assistant on your computer."


def _plain(start: str) -> str:
    return " ".join(straight_apostrophes(start).lower().split())


def _may_become_opener(start: str) -> bool:
    text = _plain(start)
    if any(form.startswith(text) for form in _FORMS):
        return True
    if any(form.startswith(text) for form in _SELF_INTROS):
        return True  # "I", "I'm", "I'm an": it may still become a claim of who made it
    introduces = any(text.startswith(form) for form in _SELF_INTROS)
    return introduces and not re.search(r"[.!?]", text)  # its first sentence goes on


def _dropped(held: str) -> re.Match[str] | None:
    return _OPENER.match(held) or _MAKER_CLAIM.match(straight_apostrophes(held))


def without_ai_opener(pieces: Iterable[str]) -> Iterator[str]:
    """``pieces`` of a reply, without an "As an AI (language model)," or a first sentence
    that says who made it at its start."""
    stream = iter(pieces)
    held = ""
    for piece in stream:
        held += piece
        found = _dropped(held)
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
        if _MAKER_CLAIM.fullmatch(straight_apostrophes(held)):  # the claim was all the reply said
            yield INSTEAD_OF_A_MAKER
        elif held:  # the reply ended while it could still have been the opener
            yield held
        return
    yield from stream
