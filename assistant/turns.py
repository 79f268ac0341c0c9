"""One user turn as the engine gets it, however it came: typed in the CLI or the window, spoken,
or with an image. ``ConversationEngine.handle(TurnRequest(...))`` runs it; the attachments are
stored with the user's message in the same transaction, and ``client_ref`` comes back in the
``UserText`` event, so the caller finds its own message (the window's bubble) without comparing
text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant.cancel import CancelToken
from assistant.events import Source
from assistant.memory.store import NewAttachment


@dataclass(frozen=True)
class TurnAttachment(NewAttachment):
    """A file shared with the message (an image): stored as it is with the user's message (its
    ``text``, read from it, beside it), and ``context`` for the prompt (the text, or a marker
    when there was none)."""

    context: str = ""


@dataclass(frozen=True)
class TurnRequest:
    text: str
    source: Source = "typed"
    attachments: tuple[TurnAttachment, ...] = ()
    client_ref: str | None = None
    cancel: CancelToken | None = None
    # called with the turn id after the reply's first sentence: the voice loop holds the
    # generation there until that sentence is heard, so its synthesis has the CPU to itself
    on_first_sentence: Callable[[int], None] | None = None

    @property
    def turn_context(self) -> str | None:
        """The attachments' text for the prompt (None without attachments)."""
        parts = [a.context for a in self.attachments if a.context]
        return "\n\n".join(parts) if parts else None
